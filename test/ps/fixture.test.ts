/** dk ps on the committed fake /proc tree: deterministic formatting rules. */
process.env.TZ = 'UTC';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { psOn } from '../helpers/fixture.js';

const ps = (...argv: string[]) => psOn('basic', argv);
const rows = (out: string) => out.replace(/\n$/, '').split('\n');

describe('dk ps on a fixture tree', () => {
  test('-ef: users, kernel threads in brackets, zombies, newline in argv', () => {
    const r = ps('-ef');
    assert.equal(r.code, 0);
    const l = rows(r.out);
    assert.equal(l[0], 'UID        PID  PPID  C STIME TTY          TIME CMD');
    assert.equal(l[1], 'root         1     0  0 09:46 ?        00:00:02 /sbin/init splash');
    assert.equal(l[2], 'root         2     0  0 09:46 ?        00:00:00 [kthreadd]');
    assert.equal(l[8], 'alice      400   300  0 09:58 pts/0    00:00:00 [sh] <defunct>');
    // a user name longer than the column is cut and marked with '+'
    assert.equal(l[9], 'averyve+   500     1 99 09:46 ?        00:16:30 /opt/café --fast');
    assert.ok(l[7].startsWith('alice      300   200 12 09:56 pts/0    00:00:50 ./prog --name=café 中 line1 line2 xxxx'));
  });

  test('aux: STAT letters, %CPU over 99.9, %MEM, a wide RSS pushing the next column', () => {
    const l = rows(ps('aux').out);
    assert.equal(l[0], 'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND');
    assert.ok(l[7].startsWith('alice      300 12.4 10.0 500000 200000 pts/0   SNLl+ 09:56   0:50 ./prog'));
    assert.equal(l[9], 'averyve+   500 99.9  0.0  20000   400 ?        Rs   09:46  16:30 /opt/café --fast');
    assert.equal(l[3], 'root         9  0.0  0.0      0     0 ?        I<   09:46   0:00 [kworker/0:1-events]');
  });

  test('-elf: flags, priority, SZ, WCHAN cut to six, real-time NI as -', () => {
    const l = rows(ps('-elf').out);
    assert.equal(l[0], 'F S UID        PID  PPID  C PRI  NI ADDR SZ WCHAN  STIME TTY          TIME CMD');
    assert.equal(l[4], '5 S root       100     1  0  80   0 -  3750 do_sel 09:46 ?        00:00:00 sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups');
    assert.equal(l[9], '1 R averyve+   500     1 99   9   - -  5000 -      09:46 ?        00:16:30 /opt/café --fast');
  });

  test('axjf and -ejH: forest order and art', () => {
    const cmd = (out: string) => {
      const l = rows(out);
      const at = l[0].indexOf(l[0].includes('COMMAND') ? 'COMMAND' : 'CMD');
      return l.map((x) => x.slice(at));
    };
    const f = cmd(ps('axjf').out);
    assert.deepEqual(f.slice(1, 5), [
      '[kthreadd]',
      ' \\_ [kworker/0:1-events]',
      '/sbin/init splash',
      'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups',
    ]);
    assert.equal(f[6].slice(0, 16), '     \\_ ./prog -');
    assert.equal(f[7], '         \\_ [sh] <defunct>');
    const h = cmd(ps('-ejH').out);
    assert.deepEqual(h.slice(1), [
      'kthreadd',
      '  kworker/0:1-events',
      'init',
      '  sshd',
      '    bash',
      '      my (weird) prog',
      '        sh',
      '  crond',
      '    sleep',
      '    sleep',
      '  café',
    ]);
  });

  test('-eLf: one row per thread, process counters on the leader', () => {
    const l = rows(ps('-eLo', 'pid,lwp,nlwp,time,comm').out);
    assert.deepEqual(
      l.filter((x) => x.trim().startsWith('300 ')),
      ['  300   300    3 00:00:50 my (weird) prog', '  300   301    3 00:00:01 my (weird) prog', '  300   302    3 00:00:01 worker'],
    );
  });

  test('-o: header overrides, widths, empty headers, procps truncation', () => {
    assert.equal(
      rows(ps('-o', 'pid=PROCESS,user:5,comm:6,args=', '-p', '300').out)[1],
      `    300 alice my (we ./prog --name=café 中 line1 line2 ${'x'.repeat(300)}`,
    );
    assert.equal(rows(ps('-o', 'pid=PROCESS,user:5', '-p', '300').out)[0], 'PROCESS USER');
    assert.equal(ps('-o', 'pid=,comm=', '-p', '1').out, '    1 init\n');
    assert.equal(rows(ps('-o', 'user=ABCDEFGHIJKLMNOPQRSTUV,pid', '-p', '500').out)[1], 'averyveryverylonguser+   500');
    // a wide character never gets cut in half: 中 takes two cells
    assert.equal(rows(ps('-o', 'args:20,pid', '-p', '300').out)[1], './prog --name=café     300');
  });

  test('C locale escapes bytes, UTF-8 locale keeps printable text', () => {
    assert.equal(rows(psOn('basic', ['-o', 'comm,args', '-p', '500'], { LANG: 'C' }).out)[1], 'caf??           /opt/caf?? --fast');
    assert.equal(rows(psOn('basic', ['-o', 'comm,args', '-p', '500'], { LANG: 'C.UTF-8' }).out)[1], 'café            /opt/café --fast');
  });

  test('selection: default is my euid on my terminal; -a, -d, a, x, -N, r', () => {
    const pids = (...a: string[]) => rows(ps('-o', 'pid=', ...a).out).map((x) => Number(x.trim()));
    assert.deepEqual(pids('-a'), [300, 400]);
    assert.deepEqual(pids('-d'), [2, 9, 300, 400, 501, 502]);
    assert.deepEqual(pids('a'), [200, 300, 400]);
    assert.deepEqual(pids('x'), [200, 300, 400]);
    assert.deepEqual(pids('-N', '-d'), [1, 100, 150, 200, 500]);
    assert.deepEqual(pids('-e', 'r'), [500]);
    assert.deepEqual(pids('-u', 'alice'), [200, 300, 400]);
    assert.deepEqual(pids('-C', 'sleep'), [501, 502]);
    assert.deepEqual(pids('--ppid', '150,300'), [400, 501, 502]);
    assert.deepEqual(pids('-t', 'pts/0'), [200, 300, 400]);
    assert.deepEqual(pids('-s', '150'), [150, 501, 502]);
    assert.deepEqual(pids('-G', 'alice'), [200, 300, 400]);
  });

  test('--sort, -w and --cols', () => {
    const l = rows(ps('-eo', 'pid,rss', '--sort=-rss,pid').out);
    assert.deepEqual(
      l.slice(1, 4).map((x) => x.trim().split(/\s+/)[0]),
      ['300', '1', '100'],
    );
    const narrow = psOn('basic', ['-o', 'pid,args', '-p', '300'], { LANG: 'C.UTF-8' }, { columns: 30 });
    assert.equal(rows(narrow.out)[1], '  300 ./prog --name=café 中 li');
    const wide = psOn('basic', ['-o', 'pid,args', '-w', '-p', '300'], { LANG: 'C.UTF-8' }, { columns: 30 });
    assert.equal(rows(wide.out)[1].length, 132 - 1);
    assert.equal(rows(ps('-o', 'pid,args', '--cols', '20', '-p', '1').out)[1], '    1 /sbin/init spl');
  });

  test('--json: the same fields as the columns, typed', () => {
    const r = ps('-o', 'pid,user,stat,args', '--json', '-p', '300,500');
    const j = JSON.parse(r.out) as Record<string, unknown>[];
    assert.equal(j.length, 2);
    assert.deepEqual(Object.keys(j[0]), ['pid', 'user', 'stat', 'args']);
    assert.equal(j[0].pid, 300);
    assert.equal(j[0].stat, 'SNLl+');
    assert.equal(j[1].user, 'averyveryverylongusername');
  });

  test('--daemons picks terminal-less session leaders under init; --why shows the traits', () => {
    const r = ps('--daemons', '-o', 'pid=');
    assert.deepEqual(rows(r.out).map(Number), [100, 150, 500]);
    const why = rows(ps('-e', '--why', '-o', 'pid,comm').out);
    assert.equal(why[0], '  PID DAEMON COMMAND');
    assert.ok(why.includes('  100 TGPS   sshd'));
    assert.ok(why.includes('  300 ----   my (weird) prog'));
    assert.ok(why.includes('  501 TGP-   sleep'));
    assert.ok(why.includes('    2 kernel kthreadd'));
  });

  test('bad input: one line and status 1', () => {
    for (const argv of [['-o', 'nope'], ['-Z9'], ['--frobnicate'], ['-o', 'pid:x'], ['-p', '1,,2'], ['-u', 'nobody-here'], ['k', 'nope', '-e']]) {
      const r = ps(...argv);
      assert.equal(r.code, 1, argv.join(' '));
      assert.equal(r.out, '');
      assert.match(r.err, /^dk ps: error: [^\n]+\n$/);
    }
  });
});
