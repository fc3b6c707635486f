/** Property tests for ps's own parsers: option syntaxes, -o lists, escaping. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseArgs } from '../../src/ps/options.js';
import { parseFormatList, PsError, sysvList } from '../../src/ps/format.js';
import { escapeText, cellsOf } from '../../src/ps/text.js';
import { bsdTime, cpuTime, elapsed } from '../../src/ps/times.js';

const onlyPsErrors = (f: () => unknown): void => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof PsError, String(e));
  }
};

describe('ps option parser', () => {
  test('any argv parses or fails with a PsError, never a crash', () => {
    const word = fc.oneof(
      fc.string(),
      fc.constantFrom('-e', '-f', 'aux', '-o', 'pid,comm', '--sort', '-pid', 'p', '1', '-L', '-T', 'f', '--forest', '-N', 'x', 'O', '--cols', '0'),
    );
    fc.assert(fc.property(fc.array(word, { maxLength: 6 }), (argv) => onlyPsErrors(() => parseArgs(argv))));
  });

  test('the three syntaxes', () => {
    const r = parseArgs(['-ef']);
    assert.equal(r.all, true);
    assert.equal(r.sysv.f, true);
    const b = parseArgs(['aux']);
    assert.deepEqual([...b.simple].sort(), ['Ba', 'Bx']);
    assert.equal(b.bsdFormat, 'u');
    const g = parseArgs(['--pid=1,2', '--sort', '-rss', '--no-headers']);
    assert.deepEqual(g.lists[0], { kind: 'pid', values: ['1', '2'] });
    assert.deepEqual(g.sort, [{ key: 'rss', reverse: true }]);
    assert.equal(g.headers, 'none');
    // "ps -aux" fails as UNIX options (user "x") and is read again as BSD
    const a = parseArgs(['-aux'], (l) => {
      if (l.kind === 'euid' && l.values.includes('x')) throw new PsError('user name does not exist');
    });
    assert.equal(a.bsdFormat, 'u');
    assert.throws(() => parseArgs(['-L', '-T']), /thread flags conflict/);
    assert.throws(() => parseArgs(['1,2']), /process ID list syntax error/);
  });

  test('SysV format lists in procps order', () => {
    const base = { f: false, F: false, l: false, j: false, L: false, T: false, c: false, y: false, P: false, preferBsd: false };
    assert.equal(sysvList({ ...base, f: true, l: true }).join(','), 'f,s,uid_hack,pid,ppid,c,opri,ni,addr_1,sz,wchan,stime,tname,time,cmd');
    assert.equal(sysvList({ ...base, f: true, L: true }).join(','), 'uid_hack,pid,ppid,lwp,c,nlwp,stime,tname,time,cmd');
    assert.equal(sysvList({ ...base, j: true }).join(','), 'pid,pgid,sid,tname,time,ucmd');
    assert.equal(sysvList({ ...base, preferBsd: true }).join(','), 'pid,tname,stat,bsdtime,args');
  });
});

describe('-o lists', () => {
  test('any text parses or fails with a PsError', () => {
    fc.assert(fc.property(fc.string(), (s) => onlyPsErrors(() => parseFormatList(s, 5))));
  });

  test('headers and widths', () => {
    const n = parseFormatList('pid=PROCESS,comm:5,user=,args=A=B', 5);
    assert.deepEqual(
      n.map((x) => [x.col.name, x.head, x.width]),
      [
        ['pid', 'PROCESS', 7],
        ['comm', 'COMMAND', 5],
        ['user', '', 8],
        ['args', 'A=B', 27],
      ],
    );
    assert.throws(() => parseFormatList('pid,,comm', 5), /improper format list/);
    assert.throws(() => parseFormatList('pid:0', 5), /unsigned decimal/);
    assert.throws(() => parseFormatList('%p,%c', 5), /AIX/);
    assert.equal(parseFormatList('%cpu,%mem', 5).length, 2);
  });
});

describe('escaping and time formats', () => {
  test('escaped text never holds control characters and fits its cells', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat({ max: 40 }), fc.constantFrom('utf8' as const, 'ascii' as const), (s, max, cs) => {
        const e = escapeText(s, max, cs);
        assert.ok(e.cells <= max);
        assert.equal(cellsOf(e.text), e.cells);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may be left in the text
        assert.ok(!/[\x00-\x1f\x7f]/.test(e.text));
        if (cs === 'ascii') assert.ok(/^[\x20-\x7e]*$/.test(e.text));
      }),
    );
  });

  test('TIME, ELAPSED, BSD TIME', () => {
    assert.equal(cpuTime(0), '00:00:00');
    assert.equal(cpuTime(86400 + 3661), '1-01:01:01');
    assert.equal(elapsed(59), '00:59');
    assert.equal(elapsed(3600), '01:00:00');
    assert.equal(elapsed(2 * 86400 + 5), '2-00:00:05');
    assert.equal(bsdTime(61), '  1:01');
    assert.equal(bsdTime(6000 * 60), '6000:00');
  });
});
