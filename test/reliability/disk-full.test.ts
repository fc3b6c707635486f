/**
 * Disk full (issue 15): dk syslogd runs in a mount namespace of its own
 * where its file, its SQLite store and its forwarding disk queue live on a
 * 1 MB tmpfs. The test fills the tmpfs (through /proc/PID/root, the
 * daemon's view) and sends messages; the daemon holds them in memory,
 * says so once per action, writes no torn line, and when the tmpfs is
 * remounted bigger it writes everything on its own: the file and the store
 * then hold every message in order, and the LOGHOST that comes up last gets
 * them all from the queue. With a small --hold-max, UDP past the bound is
 * dropped and counted, and nothing crashes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { DK, ENV } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { figure } from '../helpers/figures.js';
import { lab, sleep } from '../helpers/lab.js';
import { requirePeer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { startSyslogd } from '../helpers/syslogd.js';
import { SqliteStore } from '../../src/logstore/sqlite.js';

const { f, children } = lab('dk-diskfull-');

interface Contained {
  child: ChildProcess;
  pid: number;
  log: () => string;
  /** a path of the daemon's mount namespace, seen from here */
  inside: (path: string) => string;
  /** SIGUSR1's statistics block, after the ones before */
  stats: () => Promise<string>;
  statsUntil: (pred: (s: string) => boolean, what: string) => Promise<string>;
}

/** dk syslogd ARGS in a mount namespace of its own with a tmpfs of sizeKiB at mnt */
async function contained(mnt: string, sizeKiB: number, args: string[]): Promise<Contained> {
  mkdirSync(mnt, { recursive: true });
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs -o size=${sizeKiB}k dk-full "$0" && exec "$@"`,
      mnt,
      process.execPath,
      DK,
      'syslogd',
      '-n',
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: ENV },
  );
  children.push(child);
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const want = 1 + args.filter((a) => a === '--tcp' || a === '--udp').length;
  await until(() => (log.match(/listening on /g)?.length ?? 0) >= want || child.exitCode !== null, 'dk syslogd in its namespace');
  if (child.exitCode !== null) throw new Error(`dk syslogd exited: ${log}`);
  let seen = 0;
  const self: Contained = {
    child,
    pid: child.pid!,
    log: () => log,
    inside: (p) => `/proc/${child.pid}/root${p}`,
    async statsUntil(pred, what) {
      const end = Date.now() + 20_000;
      for (;;) {
        const s = await self.stats();
        if (pred(s)) return s;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last statistics:\n${s}\nlog:\n${log}`);
        await sleep(200);
      }
    },
    async stats() {
      const n = ++seen;
      child.kill('SIGUSR1');
      await until(
        () => log.split('dk syslogd statistics:').length - 1 >= n && /flow control:[^\n]*\n/.test(log.slice(log.lastIndexOf('statistics:'))),
        'statistics',
      );
      return log.slice(log.lastIndexOf('dk syslogd statistics:'));
    },
  };
  return self;
}

/** writes a file until the tmpfs has no room left */
function fill(path: string): void {
  const chunk = Buffer.alloc(4096, 0x2e);
  const fd = openSync(path, 'w');
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

const line = (i: number) => `<13>Dec  1 06:00:00 h fill: message ${i} ${'x'.repeat(60)}`;
const numbers = (text: string) => [...text.matchAll(/fill: message (\d+) x+$/gm)].map((m) => Number(m[1]));
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

async function sendTcp(port: number, from: number, to: number): Promise<void> {
  const c = net.connect(port, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  const body = range(from, to)
    .map((i) => `${line(i)}\n`)
    .join('');
  await new Promise<void>((r) => c.end(body, () => r()));
}

test('disk full: file, store and disk queue hold what comes, log it once, and write it all in order when space returns', async (t) => {
  if (!requirePeer(t, 'unshare', 'util-linux') || !requirePeer(t, 'nsenter', 'util-linux')) return;
  const mnt = f('full');
  const loghost = await freePort();
  writeFileSync(f('syslog.conf'), [`*.* ${mnt}/messages`, `*.* :sqlite:${mnt}/logs.db`, `*.* @@127.0.0.1:${loghost}`, ''].join('\n'));
  const d = await contained(mnt, 1024, [
    '-f',
    f('syslog.conf'),
    '-p',
    f('log.sock'),
    '--tcp',
    '127.0.0.1:0',
    '--state-dir',
    `${mnt}/state`,
    '--queue-mem',
    '16k',
    '--control',
    f('ctl.sock'),
  ]);
  const port = Number(/listening on tcp [\d.]+:(\d+)/.exec(d.log())![1]);
  // some while there is room, then the tmpfs is filled from outside
  await sendTcp(port, 0, 200);
  await d.statsUntil((s) => /messages: written 200,/.test(s) && /logs\.db: written 200,/.test(s), 'the first 200 in the file and the store');
  fill(d.inside(`${mnt}/filler`));
  await sendTcp(port, 200, 3000);
  const held = await d.statsUntil(
    (s) => /messages: written \d+, dropped 0, queued \d+, last error ENOSPC/.test(s) && /logs\.db[^\n]*queued 2800/.test(s),
    'the file and the store holding',
  );
  t.diagnostic(held.trim());
  // once per action, not once per message
  assert.equal(d.log().match(/messages: cannot write \(ENOSPC/g)?.length, 1, d.log());
  assert.equal(d.log().match(/logs\.db: cannot write/g)?.length, 1, d.log());
  assert.equal(d.log().match(/the disk queue cannot be written/g)?.length, 1, d.log());
  // nothing torn: what is in the file is whole lines
  const during = readFileSync(d.inside(`${mnt}/messages`), 'utf8');
  assert.ok(during.endsWith('\n'));
  assert.deepEqual(numbers(during), range(0, numbers(during).length));
  assert.equal(during.split('\n').length - 1, numbers(during).length, 'no torn line');

  const t0 = Date.now();
  const r = spawnSync('nsenter', ['-t', String(d.pid), '-m', 'mount', '-o', 'remount,size=16m', mnt], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  await until(() => /messages: writing again/.test(d.log()) && /logs\.db: writing again/.test(d.log()), 'both writing again', 10_000);
  const recovery = Date.now() - t0;
  assert.deepEqual(numbers(readFileSync(d.inside(`${mnt}/messages`), 'utf8')), range(0, 3000));
  // SQLite resolves /proc/PID/root to / in our own namespace: the database and its WAL are read from a copy
  mkdirSync(f('copy'));
  for (const x of ['logs.db', 'logs.db-wal']) copyFileSync(d.inside(`${mnt}/${x}`), f(`copy/${x}`));
  const store = new SqliteStore(f('copy/logs.db'), { readonly: true });
  try {
    assert.deepEqual(
      [...store.select({ apps: ['fill'] })].map((r) => Number(/message (\d+)/.exec(r.msg)![1])),
      range(0, 3000),
    );
  } finally {
    store.close();
  }
  // the LOGHOST comes up last: the queue (memory, segments, the tail that waited) arrives whole and in order
  mkdirSync(f('loghost'));
  const host = await startSyslogd(f('loghost'), [`*.* ${f('loghost/messages')}`], { args: ['--tcp', `127.0.0.1:${loghost}`] });
  children.push(host.child);
  await until(
    () => {
      try {
        return numbers(readFileSync(f('loghost/messages'), 'utf8')).length >= 3000;
      } catch {
        return false;
      }
    },
    'the LOGHOST has all 3000',
    20_000,
  );
  assert.deepEqual(numbers(readFileSync(f('loghost/messages'), 'utf8')), range(0, 3000));
  t.diagnostic(`file, store and queue written ${recovery} ms after the remount`);
  figure(t, {
    daemon: 'syslogd',
    fault: 'disk full (1 MB tmpfs): file, SQLite store, disk queue',
    load: '3,000 TCP messages, 2,800 while full',
    held: `lost 0, torn lines 0, one log line per action; all in order ${recovery} ms after the remount, the queue's at the LOGHOST`,
  });
  await host.stop();
});

test('disk full past --hold-max: the inputs that can wait are paused, UDP past the bound is dropped and counted, nothing crashes', async (t) => {
  if (!requirePeer(t, 'unshare', 'util-linux') || !requirePeer(t, 'nsenter', 'util-linux')) return;
  const mnt = f('small');
  rmSync(f('small.conf'), { force: true });
  writeFileSync(f('small.conf'), `*.* ${mnt}/messages\n`);
  const d = await contained(mnt, 256, ['-f', f('small.conf'), '-p', f('small.sock'), '--udp', '127.0.0.1:0', '--hold-max', '64k', '--control', f('small.ctl')]);
  const port = Number(/listening on udp [\d.]+:(\d+)/.exec(d.log())![1]);
  writeFileSync(d.inside(`${mnt}/messages`), '');
  fill(d.inside(`${mnt}/filler`));
  const u = dgram.createSocket('udp4');
  for (let i = 0; i < 3000; i++) {
    u.send(line(i), port, '127.0.0.1');
    if (i % 100 === 99) await sleep(5);
  }
  const received = (s: string) => Number(/udp:[^\n]*received (\d+)/.exec(s)?.[1]);
  const s = await d.statsUntil((s) => received(s) >= 2900 && /dropped [1-9]/.test(s), 'UDP past the bound dropped');
  u.close();
  t.diagnostic(s.trim());
  assert.equal(d.log().match(/new messages are dropped until the disk takes writes/g)?.length, 1);
  assert.match(s, /flow control: inputs paused 1 times \(paused now\)/);
  const droppedOf = (s: string) => Number(/messages: written \d+, dropped (\d+)/.exec(s)![1]);
  rmSync(d.inside(`${mnt}/filler`));
  await until(() => /writing again/.test(d.log()), 'writing again');
  // what was kept is written in order; what did not fit is counted: once the daemon has caught up (datagrams it had
  // received but not yet routed when a count was read come out later, written or dropped), every one received is one
  // or the other
  let got: number[] = [];
  const last = await d
    .statsUntil((s) => {
      got = numbers(readFileSync(d.inside(`${mnt}/messages`), 'utf8'));
      return !s.includes('(paused now)') && got.length + droppedOf(s) === received(s);
    }, 'every datagram received written or counted as dropped')
    .catch(async (e) => {
      const now = await d.stats();
      throw new Error(`${(e as Error).message}: ${got.length} written + ${droppedOf(now)} dropped, ${received(now)} received`);
    });
  assert.ok(got.every((n, i) => i === 0 || n > got[i - 1]));
  const dropped = droppedOf(last);
  assert.ok(dropped >= droppedOf(s) && dropped > 0);
  assert.equal(d.child.exitCode, null);
  figure(t, {
    daemon: 'syslogd',
    fault: 'disk full past --hold-max (64k here, 64M by default)',
    load: `${received(last).toLocaleString('en')} UDP datagrams while full`,
    held: `${got.length} kept and written in order, ${dropped} dropped and counted, TCP/local paused at 3/4, no crash`,
  });
});
