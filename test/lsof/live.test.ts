/** dk lsof against Debian's lsof 4.95 for a process holding every kind of file. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DK, dk, run } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';
import { killAll, until } from '../helpers/children.js';

const HOLDER = fileURLToPath(new URL('../../../test/lsof/holder.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dk-lsof-'));
let holder: ChildProcess;
let catPid = 0;

before(async () => {
  holder = spawn(process.execPath, [HOLDER, dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  const line = await new Promise<string>((resolve, reject) => {
    holder.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    holder.once('exit', () => reject(new Error('holder exited')));
  });
  catPid = Number(line.split(' ')[1]);
});
after(() => {
  killAll([catPid, holder.pid!]);
  rmSync(dir, { recursive: true, force: true });
});

describe('dk lsof matches lsof 4.95', () => {
  const same = (args: string[]) => {
    const peer = run('lsof', args);
    const mine = dk(['lsof', ...args]);
    assert.equal(mine.out, peer.out, `lsof ${args.join(' ')}`);
    assert.equal(mine.code, peer.code, `lsof ${args.join(' ')} exit status`);
  };

  test('-n -P -p PID: every row, ordering and formatting', (t) => {
    if (!requirePeer(t, 'lsof', 'lsof')) return;
    const p = String(holder.pid);
    same(['-n', '-P', '-p', p]);
    const out = dk(['lsof', '-n', '-P', '-p', p]).out;
    // what the issue asks to see, present in our rows
    for (const re of [
      / cwd +DIR /,
      / rtd +DIR /,
      / txt +REG /,
      / mem +REG .*libc\.so/,
      / REG .*regular\.txt$/m,
      / DIR .*dk-lsof-/,
      /FIFO .* pipe$/m,
      / unix .*type=STREAM \(CONNECTED\)$/m,
      / unix .*sock type=STREAM \(LISTEN\)$/m,
      /IPv4 .*TCP 127\.0\.0\.1:\d+ \(LISTEN\)$/m,
      /TCP 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+ \(ESTABLISHED\)$/m,
      /UDP 127\.0\.0\.1:\d+ $/m,
      /deleted\.txt \(deleted\)$/m,
      / a_inode /,
      / \d+u +CHR +1,3 +0t0 +\d+ \/dev\/null$/m,
    ]) {
      assert.match(out, re);
    }
  });

  test('-t, -F and -i selections agree', (t) => {
    if (!requirePeer(t, 'lsof', 'lsof')) return;
    const p = String(holder.pid);
    for (const args of [
      ['-t', '-p', p],
      ['-F', '-n', '-P', '-p', p],
      ['-Fpcfn', '-p', p],
      ['-F0', '-n', '-P', '-p', p],
      ['-n', '-P', '-a', '-p', p, '-i'],
      ['-n', '-P', '-a', '-p', p, '-i4'],
      ['-n', '-P', '-a', '-p', p, '-iTCP'],
      ['-n', '-P', '-a', '-p', p, '-iUDP'],
      ['-n', '-P', '-a', '-p', p, '-i@127.0.0.1'],
      ['-n', '-P', '-a', '-p', p, '-i', '-sTCP:LISTEN'],
      ['-n', '-P', '-a', '-p', p, '-i', '-sTCP:^LISTEN'],
      ['-n', '-P', '-a', '-p', p, '-U'],
      ['-n', '-P', '-a', '-p', p, '-d', '0-2,cwd'],
      ['-n', '-P', '-a', '-p', p, '-d', '^mem'],
      ['-n', '-P', '-p', p, '-a', '+D', dir],
      ['-n', '-P', '-p', p, '-a', '+d', dir],
      ['-n', '-P', '-a', '-p', p, '-c', 'node'],
      ['-n', '-P', '-a', '-p', p, '-u', 'root'],
      ['-n', '-P', '-l', '-p', p],
      // host names from /etc/hosts (127.0.0.1 is localhost) and service names from /etc/services
      ['-a', '-p', p, '-i'],
      ['-n', '-P', '-g', '-p', p],
      ['-n', '-P', '-E', '-a', '-p', p, '-U'],
      ['-n', '-P', '-E', '-a', '-p', p, '-d', '0-30'],
      ['-t', '-a', '-p', p, '-i'],
      ['-t', '-a', '-p', p, '-i', 'TCP@127.0.0.1'],
    ]) {
      same(args);
    }
  });

  test('lock letters: a whole-file flock shows as W', async (t) => {
    if (!requirePeer(t, 'lsof', 'lsof') || !requirePeer(t, 'flock', 'util-linux')) return;
    const file = join(dir, 'locked');
    // --no-fork: flock execs sleep in its own place, so killing that one pid leaves no orphan holding the lock
    const locker = spawn('flock', ['--no-fork', '-x', file, 'sleep', '60'], { stdio: 'ignore' });
    try {
      await until(() => readFileSync('/proc/locks', 'latin1').includes(` ${locker.pid} `), 'the lock to be taken');
      same(['-n', '-P', '-a', '-p', String(locker.pid), '-d', '3']);
      assert.match(dk(['lsof', '-n', '-P', '-a', '-p', String(locker.pid), '-d', '3']).out, / 3rW +REG /);
    } finally {
      killAll([locker.pid!]);
    }
  });

  test("another user's process: unreadable links, NOFD, and what -w and -t leave out", (t) => {
    if (!requirePeer(t, 'lsof', 'lsof') || !requirePeer(t, 'setpriv', 'util-linux')) return;
    if (process.getuid?.() !== 0) return t.skip('dropping to another user needs root');
    const p = String(holder.pid);
    const asNobody = (cmd: string[]) => run('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', ...cmd]);
    for (const args of [
      ['-n', '-P', '-p', p],
      ['-w', '-n', '-P', '-p', p],
      ['-t', '-p', p],
      ['-F', '-n', '-P', '-p', p],
      ['-n', '-P', '-a', '-p', p, '-d', 'NOFD'],
    ]) {
      const peer = asNobody(['lsof', ...args]);
      const mine = asNobody([process.execPath, DK, 'lsof', ...args]);
      assert.equal(mine.out, peer.out, `lsof ${args.join(' ')} as nobody`);
      assert.equal(mine.code, peer.code, `lsof ${args.join(' ')} as nobody: exit status`);
    }
    // the rows -w leaves out are there without it
    const all = asNobody([process.execPath, DK, 'lsof', '-n', '-P', '-p', p]).out;
    assert.match(all, new RegExp(` cwd +unknown +/proc/${p}/cwd \\(readlink: Permission denied\\)$`, 'm'));
    assert.match(all, new RegExp(` NOFD +/proc/${p}/fd \\(opendir: Permission denied\\)$`, 'm'));
    assert.equal(asNobody([process.execPath, DK, 'lsof', '-w', '-n', '-P', '-p', p]).out, '');
  });

  test('sockets of another network namespace: named by the protocol the socket gives (its xattr)', async (t) => {
    if (!requirePeer(t, 'lsof', 'lsof') || !requirePeer(t, 'unshare', 'util-linux')) return;
    // none of these is in this namespace's /proc/net tables, so lsof prints 'protocol: UNIX-STREAM', 'protocol: TCP' ...
    const script = `const net = require('node:net'); const dgram = require('node:dgram');
      const u = net.createServer().listen(${JSON.stringify(join(dir, 'ns.sock'))}, () => {
        const c = net.connect(${JSON.stringify(join(dir, 'ns.sock'))});
        const s = net.createServer().listen(0, '0.0.0.0', () => dgram.createSocket('udp6').bind(0, () => process.stdout.write('ready\\n')));
      });
      setInterval(() => {}, 1e6);`;
    const p = spawn('unshare', ['-rn', process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        p.stdout!.once('data', () => resolve());
        p.once('exit', () => reject(new Error('the namespaced holder exited')));
      });
      same(['-n', '-P', '-p', String(p.pid)]);
      same(['-F', 'pfn', '-p', String(p.pid)]);
      assert.match(dk(['lsof', '-n', '-P', '-p', String(p.pid)]).out, / sock .* protocol: TCP$/m);
    } finally {
      killAll([p.pid!]);
    }
  });

  test('file arguments: who has this file open', (t) => {
    if (!requirePeer(t, 'lsof', 'lsof')) return;
    same(['-n', '-P', join(dir, 'regular.txt')]);
    same(['-t', join(dir, 'regular.txt')]);
  });

  test('--json gives the same rows as data', () => {
    const j = JSON.parse(dk(['lsof', '-n', '-P', '--json', '-p', String(holder.pid)]).out);
    assert.equal(j.length, 1);
    assert.equal(j[0].pid, holder.pid);
    assert.ok(j[0].files.some((f: { type: string; name: string }) => f.type === 'IPv4' && /\(LISTEN\)$/.test(f.name)));
  });

  test('errors: one line, status 1', () => {
    for (const args of [['-p', 'abc'], ['-Q'], ['-iXYZ:zz'], ['-u', 'no-such-user-xyz']]) {
      const r = dk(['lsof', ...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    }
  });
});
