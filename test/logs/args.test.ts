/** dk logs arguments and time specifications: examples, errors naming the argument, fuzzing. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTimeSpec } from '../../src/logs/time.js';
import { LogsUsageError, parseLogsArgs, parsePriority } from '../../src/logs/args.js';
import { selectSql } from '../../src/logstore/query.js';

const NOW = new Date(2026, 10, 25, 14, 30, 15).getTime();
const local = (...a: number[]) => new Date(a[0], a[1] - 1, a[2], a[3] ?? 0, a[4] ?? 0, a[5] ?? 0).getTime();

describe('time specifications', () => {
  test('journalctl forms', () => {
    const cases: [string, number][] = [
      ['now', NOW],
      ['today', local(2026, 11, 25)],
      ['yesterday', local(2026, 11, 24)],
      ['tomorrow', local(2026, 11, 26)],
      ['-1h', NOW - 3600e3],
      ['+30min', NOW + 1800e3],
      ['-1h30m', NOW - 5400e3],
      ['2 days ago', NOW - 2 * 86400e3],
      ['2026-11-20', local(2026, 11, 20)],
      ['2026-11-20 08:05', local(2026, 11, 20, 8, 5)],
      ['2026-11-20 08:05:09', local(2026, 11, 20, 8, 5, 9)],
      ['2026-11-20T08:05:09Z', Date.UTC(2026, 10, 20, 8, 5, 9)],
      ['2026-11-20T08:05:09+02:00', Date.UTC(2026, 10, 20, 6, 5, 9)],
      ['13:05', local(2026, 11, 25, 13, 5)],
      ['@1764075907', 1764075907000],
    ];
    for (const [text, want] of cases) assert.equal(parseTimeSpec(text, NOW), want, text);
    for (const bad of ['', 'soon', '2026-13-01', '2026-02-30', '25:00', '-1 fortnight', '1h']) assert.equal(parseTimeSpec(bad, NOW), undefined, bad);
  });

  test('any text: a number or undefined, never a throw; "-Nh" is N hours back', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const t = parseTimeSpec(s, NOW);
        assert.ok(t === undefined || Number.isFinite(t));
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100000 }), fc.constantFrom(['s', 1e3], ['min', 60e3], ['h', 3600e3], ['d', 86400e3]), (n, [u, ms]) => {
        assert.equal(parseTimeSpec(`-${n}${u}`, NOW), NOW - n * (ms as number));
        assert.equal(parseTimeSpec(`${n} ${u} ago`, NOW), NOW - n * (ms as number));
      }),
    );
  });
});

describe('dk logs arguments', () => {
  const parse = (...a: string[]) => parseLogsArgs(a, NOW, '/default.db');
  test('filters and modes', () => {
    const o = parse(
      '--db',
      '/x.db',
      '-n',
      '5',
      '-r',
      '-S',
      '-1h',
      '--until=now',
      '-p',
      'err',
      '--facility',
      'mail,local0',
      '-t',
      'sshd',
      '-t',
      'cron',
      '-H',
      'web1',
      '--pid',
      '42',
      '-g',
      'fail',
      '-o',
      'json',
      '--no-pager',
    );
    assert.equal(o.db, '/x.db');
    assert.equal(o.lines, 5);
    assert.ok(o.reverse && !o.pager);
    assert.equal(o.output, 'json');
    assert.deepEqual(o.filter, {
      since: NOW - 3600e3,
      until: NOW,
      severities: [0, 1, 2, 3],
      facilities: [2, 16],
      apps: ['sshd', 'cron'],
      hosts: ['web1'],
      pids: ['42'],
    });
    assert.ok(o.grep!.test('FAILED') && o.grep!.flags.includes('i'));
    assert.ok(!parse('-g', 'Fail').grep!.flags.includes('i'));
    assert.equal(parse('-n').lines, 10);
    assert.equal(parse('-n', '-r').lines, 10);
    assert.deepEqual(parsePriority('info..err'), [3, 4, 5, 6]);
    assert.deepEqual(parsePriority('2..0'), [0, 1, 2]);
    assert.deepEqual(parsePriority('debug'), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('bad arguments: one error naming the argument', () => {
    const cases: [string[], RegExp][] = [
      [['--since', 'soon'], /^--since: cannot read 'soon'/],
      [['-U', 'x'], /^--until: /],
      [['-p', 'loud'], /^-p: unknown level 'loud'/],
      [['--facility', 'mial'], /^--facility: unknown facility 'mial'/],
      [['--pid', 'abc'], /^--pid: 'abc' is not a process id/],
      [['-g', '('], /^--grep: bad regular expression/],
      [['-o', 'xml'], /^--output: unknown format 'xml'/],
      [['--bogus'], /^--bogus: unknown option/],
      [['--since', 'today', '--until', 'yesterday'], /^--since: is later than --until/],
      [['-t'], /^-t: needs a value/],
    ];
    for (const [args, want] of cases)
      assert.throws(
        () => parse(...args),
        (e: unknown) => e instanceof LogsUsageError && want.test(e.message),
        args.join(' '),
      );
  });

  test('the SQL: placeholders per dialect, empty lists select nothing', () => {
    const f = { since: 5, apps: ['a', 'b'], severities: [0, 1, 2, 3], newestFirst: true, limit: 100 };
    assert.deepEqual(selectSql(f, 'sqlite'), {
      text: 'SELECT id, received, reported, host, facility, severity, app, pid, msgid, sd, msg, source FROM logs WHERE received >= ? AND app IN (?, ?) AND severity IN (?, ?, ?, ?) ORDER BY received DESC, id DESC LIMIT ?',
      params: [5, 'a', 'b', 0, 1, 2, 3, 100],
    });
    assert.match(selectSql(f, 'postgres').text, /received >= \$1 AND app IN \(\$2, \$3\) .* LIMIT \$8$/);
    assert.match(selectSql({ apps: [] }, 'sqlite').text, /WHERE 0 = 1/);
    assert.doesNotMatch(selectSql({ severities: [0, 1, 2, 3, 4, 5, 6, 7] }, 'sqlite').text, /WHERE/);
  });
});
