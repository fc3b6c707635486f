/**
 * dk daemonize as real processes: every property dk ps --daemons checks,
 * what the daemon inherits (descriptors, directory, umask, user), the
 * locked pidfile refusing a second instance, output to a file and to a
 * dk syslogd, the library function, and dk update's flushes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { daemonize } from '../../src/daemon/daemonize.js';
import { parseMeminfo } from '../../src/proc/system.js';
import { DK, dk } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { startSyslogd } from '../helpers/syslogd.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-daemonize-'));
chmodSync(dir, 0o755);
const started: number[] = [];
after(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const stat = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
const status = (pid: number, key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1].trim();
const fdsOf = (pid: number) => Object.fromEntries(readdirSync(`/proc/${pid}/fd`).map((n) => [n, readlinkSync(`/proc/${pid}/fd/${n}`)]));
const pidOf = (out: string) => Number(/running as pid (\d+)/.exec(out)?.[1]);

test('a daemon by every property: no terminal, TPGID -1, re-parented, a session it does not lead, only 0-2 and its pidfile', () => {
  const pidfile = join(dir, 'sleep.pid');
  const r = dk(['daemonize', '-v', '--pidfile', pidfile, '--umask', '027', '--', 'sleep', '301']);
  assert.equal(r.code, 0, r.err);
  const pid = pidOf(r.out);
  started.push(pid);
  assert.equal(readFileSync(pidfile, 'utf8'), `${pid}\n`);
  const s = stat(pid); // state ppid pgrp session tty_nr tpgid ...
  assert.equal(s[4], '0'); // no controlling terminal
  assert.equal(s[5], '-1'); // TPGID
  assert.notEqual(Number(s[3]), pid); // not a session leader: cannot acquire a terminal again
  assert.notEqual(Number(s[3]), Number(stat(process.pid)[3])); // not our session
  assert.notEqual(Number(s[1]), process.pid); // re-parented
  assert.equal(readlinkSync(`/proc/${pid}/cwd`), '/');
  assert.equal(status(pid, 'Umask'), '0027');
  assert.deepEqual(fdsOf(pid), { 0: '/dev/null', 1: '/dev/null', 2: '/dev/null', [Object.keys(fdsOf(pid)).find((k) => Number(k) > 2)!]: pidfile });
  // the product's own judgement
  const ps = dk(['ps', '--daemons', '-p', String(pid)]);
  assert.match(ps.out, new RegExp(`^\\s*${pid}\\s+.*sleep 301`, 'm'));
  // a second instance finds the lock held
  const again = dk(['daemonize', '--pidfile', pidfile, '--', 'sleep', '302']);
  assert.equal(again.code, 1);
  assert.equal(again.err, `dk daemonize: already running (pid ${pid}): ${pidfile} is locked\n`);
});

test('errors come back to the caller: no such command, a bad option', () => {
  const r = dk(['daemonize', '--', 'no-such-command-here']);
  assert.deepEqual([r.code, r.err], [1, 'dk daemonize: no-such-command-here: command not found\n']);
  const u = dk(['daemonize', '--umask', '9x', '--', 'sleep', '1']);
  assert.deepEqual([u.code, u.err], [1, "dk daemonize: --umask takes an octal mask, not '9x'\n"]);
});

test('output to a file, as another user when we are root, and through the library function', async () => {
  const log = join(dir, 'out.log');
  const user = process.getuid?.() === 0 ? ['--user', 'nobody'] : [];
  const r = dk(['daemonize', '-v', '--stdout', log, ...user, '--', 'sh', '-c', 'echo "to stdout $(id -u)"; echo to stderr >&2; exec sleep 303']);
  assert.equal(r.code, 0, r.err);
  const pid = pidOf(r.out);
  started.push(pid);
  await until(() => readFileSync(log, 'utf8').includes('to stderr'), 'the output in the file');
  assert.match(readFileSync(log, 'utf8'), new RegExp(`to stdout ${process.getuid?.() === 0 ? 65534 : process.getuid?.()}\\n`));
  if (user.length) assert.equal(status(pid, 'Groups'), '65534');
  const lib = await daemonize({ command: ['sleep', '304'], chdir: dir }, DK);
  started.push(lib);
  assert.equal(readlinkSync(`/proc/${lib}/cwd`), dir);
  await assert.rejects(daemonize({ command: ['/nonexistent/x'] }, DK), /command not found/);
});

test('--stdout syslog: each line a message tagged with the command, to a dk syslogd', async () => {
  const sd = await startSyslogd(mkdtempSync(join(dir, 'sd-')), [`*.* ${join(dir, 'all.log')}`]);
  try {
    const r = dk([
      'daemonize',
      '-v',
      '--stdout',
      'syslog',
      '--tag',
      'chatty',
      '--syslog-socket',
      sd.sock,
      '--',
      'sh',
      '-c',
      'echo first line; echo second line; exec sleep 305',
    ]);
    assert.equal(r.code, 0, r.err);
    started.push(pidOf(r.out));
    await until(() => {
      try {
        return /second line/.test(readFileSync(join(dir, 'all.log'), 'utf8'));
      } catch {
        return false;
      }
    }, 'both lines logged');
    assert.match(readFileSync(join(dir, 'all.log'), 'utf8'), /chatty\[\d+\]: first line\n.*chatty\[\d+\]: second line/s);
  } finally {
    await sd.stop();
  }
});

test('dk update: flushes, with the dirty figures before and after', () => {
  const r = dk(['update', '-n', '2', '-i', '0.05', '-v']);
  assert.equal(r.code, 0, r.err);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 2);
  for (const l of lines) assert.match(l, /^dk update: sync in [\d.]+ ms: Dirty \d+ -> \d+ kB, Writeback \d+ -> \d+ kB$/);
  const fsr = dk(['update', '-n', '1', '-v', dir]);
  assert.match(fsr.err, new RegExp(`^dk update: syncfs ${dir} in `));
  assert.deepEqual([dk(['update', '-i', '0']).code, dk(['update', '/no/such/path']).code], [1, 1]);
});

test('dirty figures from /proc/meminfo text; anything else gives numbers, never a throw', () => {
  const m = parseMeminfo('MemTotal: 100 kB\nDirty:             1234 kB\nWriteback:           56 kB\n');
  assert.deepEqual([m.total, m.dirty, m.writeback], [100, 1234, 56]);
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (t) => Object.values(parseMeminfo(t)).every((v) => Number.isFinite(v))));
});
