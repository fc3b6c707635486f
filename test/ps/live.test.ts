/**
 * dk ps against procps-ng ps on the live system, for processes this test
 * starts: the same listing, line for line, for every format the issue names.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFamily, type Family } from '../helpers/children.js';
import { assertSameListing } from '../helpers/compare.js';
import { DK, dk, run } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';

let fam: Family;
before(async () => {
  fam = await startFamily();
});
after(async () => {
  await fam?.stop();
});

/** Header plus the lines whose PID column holds one of our PIDs, in order. */
function ours(listing: string, pids: Set<number>): string {
  const lines = listing.replace(/\n$/, '').split('\n');
  const head = lines[0].trim().split(/\s+/);
  const at = head.findIndex((h) => h === 'PID' || h === 'PROCESS');
  assert.ok(at >= 0, `no PID column in ${lines[0]}`);
  const kept = lines.slice(1).filter((l) => pids.has(Number(l.trim().split(/\s+/)[at])));
  return [lines[0], ...forestFromOurRoot(lines[0], kept)].join('\n');
}

/**
 * In a forest, the bars left of our shallowest process belong to its
 * ancestors' later siblings: other test files that the parallel runner
 * starts and ends between the two listings. Only the tree from our
 * processes down is compared.
 */
function forestFromOurRoot(header: string, rows: string[]): string[] {
  const cmd = Math.max(header.lastIndexOf('CMD'), header.lastIndexOf('COMMAND'));
  const marks = rows.map((r) => r.indexOf('\\_ ', cmd)).filter((i) => i >= 0);
  if (cmd < 0 || !marks.length) return rows;
  const root = Math.min(...marks);
  return rows.map((r) => r.slice(0, cmd) + r.slice(cmd, root).replaceAll('|', ' ') + r.slice(root));
}

const WHOLE_SYSTEM: string[][] = [
  ['-ef'],
  ['-elf'],
  ['-eLf'],
  ['-ejH'],
  ['aux'],
  ['-aux'],
  ['axlww'],
  ['axjf'],
  ['-eF'],
  ['-ely'],
  ['-eT'],
  ['-e', '--forest'],
  ['-eH'],
  ['axs'],
  ['axv'],
  ['ax'],
  ['-e'],
  ['-eo', 'pid,ppid,pgid,sid,tpgid,tty,stat,s,uid,user,ruser,group,nice,ni,pri,rtprio,cls,psr,nlwp,vsz,rss,sz,%cpu,%mem,wchan,comm'],
  ['-eo', 'pid,start,stime,etime,etimes,time,cputime,f,c,label,lwp,args'],
  ['-eo', 'pid,lstart,cmd'],
  ['-eo', 'pid=PROCESS,user=U,comm:5,args:20,tty=TERMINAL,ppid'],
  ['-eo', 'pid,user:3,group:2,comm=,args=ARGUMENTS'],
  ['-eLo', 'pid,lwp,nlwp,stat,comm'],
  ['-eo', 'pid,comm', '--sort=-pid'],
  ['-eo', 'pid,ppid,comm', '--sort=ppid,-pid'],
  ['-eo', 'pid,%cpu,%mem,bsdtime,start_time,cmd'],
  ['-eo', 'pid,class,policy,pri,opri,priority,rtprio,psr'],
  ['-eo', 'pid,uid,euid,ruid,suid,fsuid,gid,egid,rgid,sgid,fsgid,euser,fuser,suser,egroup,rgroup'],
  ['-eo', 'pid,sig,sigmask,sigignore,sigcatch,comm'],
  ['-eo', 'pid,tt,tname,tty8,comm'],
  ['-eo', 'pid,args', '-w'],
  ['-e', '--forest', '--sort=ppid,-pid', '-o', 'pid,ppid,comm'],
  ['axjf', '--sort=-ppid'],
  ['-x'],
  ['-o', 'pid,tty,comm'],
];

describe('dk ps matches procps ps', () => {
  for (const args of WHOLE_SYSTEM) {
    test(`ps ${args.join(' ')}`, (t) => {
      if (!requirePeer(t, 'ps', 'procps')) return;
      const pids = new Set(fam.pids);
      const peer = run('ps', args);
      const mine = dk(['ps', ...args]);
      // read again after ours: the threaded node process's VSZ and RSS can move in between on a loaded machine
      const after = run('ps', args);
      assert.equal(mine.code, peer.code, mine.err);
      assertSameListing(ours(peer.out, pids), ours(mine.out, pids), `ps ${args.join(' ')}`, ours(after.out, pids));
      // every one of our live processes is listed (the zombie included)
      assert.ok(ours(mine.out, pids).split('\n').length > fam.pids.length / 2);
    });
  }

  test('selection by list: exactly the same rows', (t) => {
    if (!requirePeer(t, 'ps', 'procps')) return;
    const list = fam.pids.join(',');
    const cases: string[][] = [
      ['-f', '-p', list],
      ['u', 'p', list],
      ['-o', 'pid,comm', '--ppid', String(fam.byRole.shell)],
      ['-o', 'pid,sid,comm', '-s', String(fam.byRole.leader)],
      ['-o', 'pid,comm', '-p', list, '-N', '--ppid', '0,2'],
      ['-j', '--pid', list],
      ['-lp', list],
      ['-Lp', list],
      ['-o', 'pid,stat', '-p', list, 'r'],
      ['j', ...fam.pids.map(String)],
      ...fam.pids.slice(0, 2).map((p) => [String(p)]),
    ];
    for (const args of cases) {
      const peer = run('ps', args);
      const mine = dk(['ps', ...args]);
      // read again after ours: the family's threaded node process's RSS can move in between on a loaded machine
      const after = run('ps', args);
      assert.equal(mine.code, peer.code, `ps ${args.join(' ')}: ${mine.err}`);
      assertSameListing(peer.out, mine.out, `ps ${args.join(' ')}`, after.out);
    }
  });

  test('BSD syntax without a selection: my processes that have a terminal', (t) => {
    if (!requirePeer(t, 'ps', 'procps')) return;
    // as nobody, who has no terminal: other suites running at the same time
    // (dk top's tmux pane) give root terminal processes that come and go
    if (process.getuid?.() !== 0) return t.skip('needs root to look as nobody');
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    const peer = run('setpriv', [...asNobody, 'ps', 'u']);
    const mine = run('setpriv', [...asNobody, process.execPath, DK, 'ps', 'u']);
    assert.equal(mine.code, peer.code, mine.err);
    assertSameListing(peer.out, mine.out, 'ps u');
  });

  test('-u/-U/-C/-t select like procps', (t) => {
    if (!requirePeer(t, 'ps', 'procps')) return;
    const pids = new Set(fam.pids);
    for (const args of [
      ['-o', 'pid,user,comm', '-u', 'root'],
      ['-o', 'pid,comm', '-U', '0'],
      ['-o', 'pid,comm', '-C', 'sleep'],
      ['-o', 'pid,comm', '-t', '-'],
      ['-o', 'pid,comm', '-g', String(fam.byRole.shell)],
    ]) {
      const peer = run('ps', args);
      const mine = dk(['ps', ...args]);
      assert.equal(mine.code, peer.code);
      assertSameListing(ours(peer.out, pids), ours(mine.out, pids), `ps ${args.join(' ')}`);
    }
  });

  test('errors: one line, exit status 1, like procps refuses', (t) => {
    if (!requirePeer(t, 'ps', 'procps')) return;
    for (const args of [
      ['-o', 'foo'],
      ['-Q'],
      ['--bogus'],
      ['-o', 'pid,comm=A B'],
      ['-o', 'pid:0'],
      ['-L', '-T'],
      ['-y'],
      ['-p'],
      ['Q'],
      ['-u', 'no-such-user-xyz'],
    ]) {
      const peer = run('ps', args);
      const mine = dk(['ps', ...args]);
      assert.equal(peer.code, 1, `peer ${args.join(' ')}`);
      assert.equal(mine.code, 1, `dk ps ${args.join(' ')}`);
      assert.equal(mine.out, '');
      assert.equal(mine.err.trim().split('\n').length, 1, mine.err);
      // the reason procps gives is in our line too
      const reason = peer.err
        .split('\n')
        .find((l) => l.startsWith('error: '))
        ?.slice(7);
      if (reason) assert.ok(mine.err.includes(reason), `${mine.err} lacks ${reason}`);
    }
  });

  test('headers of every SysV/BSD format combination', (t) => {
    if (!requirePeer(t, 'ps', 'procps')) return;
    const pid = String(process.pid);
    const combos = [
      '-f',
      '-F',
      '-l',
      '-j',
      '-c',
      '-P',
      '-L',
      '-T',
      '-H',
      '-ly',
      '-lF',
      '-jf',
      '-jl',
      '-Lf',
      '-LF',
      '-Lc',
      '-cf',
      '-cl',
      '-Tf',
      '-Tl',
      '-fP',
      '-FP',
      '-lfc',
      '-ljf',
      '-Lcf',
      '-lyF',
      'u',
      'l',
      'j',
      's',
      'v',
      'X',
      'uf',
      'S',
      'c',
      'e',
      'n',
      'h',
      'r',
      'w',
      'ww',
      'un',
      'ln',
      '-O',
      'O',
    ];
    for (const c of combos) {
      const args = c === '-O' || c === 'O' ? [c, 'nice', '-p', pid] : [c, '-p', pid];
      const peer = run('ps', args);
      const mine = dk(['ps', ...args]);
      assert.equal(mine.code, peer.code, `ps ${c}`);
      assert.equal(mine.out.split('\n')[0], peer.out.split('\n')[0], `ps ${c}`);
    }
  });
});
