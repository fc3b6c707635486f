/** Property tests for pstree: option parsing and the psmisc argv rules. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pstreeOn } from '../helpers/fixture.js';
import { Forest } from '../../src/pstree/tree.js';

describe('pstree parsers', () => {
  test('any command line gives output or a usage error, never a crash', () => {
    const word = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '-a',
        '-p',
        '-c',
        '-l',
        '-n',
        '-u',
        '-U',
        '-A',
        '-G',
        '-g',
        '-t',
        '-T',
        '-s',
        '-Z',
        '-H',
        '1',
        'alice',
        '--arguments',
        '--show-pids',
        '-C',
        'age',
        '300',
      ),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 5 }), (argv) => {
        const r = pstreeOn('basic', argv, { COLUMNS: '60' });
        assert.ok(r.code === 0 || r.code === 1, `${argv.join(' ')} -> ${r.code}`);
        // -C age colours take no cells: the width is measured without them
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape that starts a colour code is what is stripped
        const cells = (l: string) => l.replace(/\x1b\[[0-9;]*m/g, '').length;
        if (r.code === 0) for (const l of r.out.split('\n')) assert.ok(cells(l) <= 61 || argv.some((a) => /^-[a-zA-Z]*l/.test(a) || a === '--long'), l);
      }),
    );
  });

  test('argv after argv[0], as psmisc splits a command line', () => {
    const args = (cmdline: string) => {
      const f = new Forest({ byPid: true, args: true, trunc: false, width: 132 });
      f.load([{ pid: 1, ppid: 0, pgid: 1, uid: 0, comm: 'x', cmdline, age: 0, threads: [] }], true);
      const n = f.find(1)!;
      return { argc: n.argc, argv: n.argv };
    };
    assert.deepEqual(args('sleep\x00100\x00'), { argc: 2, argv: ['100', ''] });
    assert.deepEqual(args(''), { argc: -1, argv: [] });
    // a rewritten argv without NULs has no arguments at all
    assert.deepEqual(args('sshd: listener'), { argc: 0, argv: [] });
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', ' ', '\x00', 'é') }), { maxLength: 5 }), (parts) => {
        const r = args(parts.join('\x00'));
        assert.ok(r.argc >= -1 && r.argv.length <= Math.max(0, r.argc));
      }),
    );
  });
});
