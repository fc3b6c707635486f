/**
 * Giving up root (issue 15): dk rpcbind --user binds its port and sockets
 * as root, then runs as the user (the kernel says so in /proc/PID/status),
 * answers as before, and saves its registrations at the end into the state
 * directory it handed to the user. dk syslogd --user separates privileges
 * as OpenBSD's syslogd: a root part binds the sockets and opens only the
 * files the configuration names; the daemon runs as the user from its
 * first instruction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { chmodSync, closeSync, constants, existsSync, mkdirSync, readFileSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { rpcCall, type Transport } from '../../src/rpc/client.js';
import { writeMapping } from '../../src/rpc/pmap.js';
import { XdrWriter } from '../../src/rpc/xdr.js';
import { systemAccount } from '../../src/proc/users.js';
import { DK, ENV, run } from '../helpers/dk.js';
import { answerOpen } from '../../src/syslog/privsep/monitor.js';
import { until } from '../helpers/children.js';
import { lab, spawnDk } from '../helpers/lab.js';
import { freePort } from '../helpers/ports.js';

const { dir, f, children } = lab('dk-privs-');

/** real, effective, saved and file-system uid (and gid) of pid */
const ids = (pid: number, what: 'Uid' | 'Gid') =>
  new RegExp(`^${what}:\\s+(.*)$`, 'm')
    .exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1]
    .split(/\s+/)
    .map(Number);

test('dk rpcbind --user nobody: bound as root, runs as nobody, answers, saves its state', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to give it up');
  const nobody = systemAccount('nobody');
  if (typeof nobody === 'string') return t.skip(nobody);
  // mkdtemp's 0700 would keep nobody out of its own state directory below it
  chmodSync(dir, 0o755);
  const port = await freePort();
  const d = await spawnDk(
    children,
    [
      'rpcbind',
      '-d',
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '--socket',
      f('rpcbind.sock'),
      '--state-dir',
      f('state'),
      '--control',
      f('ctl'),
      '--user',
      'nobody',
    ],
    (log) => /running as nobody/.test(log),
  );
  const child = d.child;
  assert.deepEqual(ids(child.pid!, 'Uid'), [nobody.uid, nobody.uid, nobody.uid, nobody.uid]);
  assert.deepEqual(ids(child.pid!, 'Gid'), [nobody.gid, nobody.gid, nobody.gid, nobody.gid]);
  const set = new XdrWriter();
  writeMapping(set, { prog: 300042, vers: 1, prot: 17, port: 4242 });
  const getport = new XdrWriter();
  writeMapping(getport, { prog: 300042, vers: 1, prot: 17, port: 0 });
  const udp: Transport = { kind: 'udp', host: '127.0.0.1', port };
  const tcp: Transport = { kind: 'tcp', host: '127.0.0.1', port };
  const setReply = await rpcCall(udp, { prog: 100000, vers: 2, proc: 1, args: set.toBuffer() });
  assert.ok('reply' in setReply && setReply.reply.kind === 'accepted' && setReply.reply.stat === 0);
  for (const to of [udp, tcp, { kind: 'unix', path: f('rpcbind.sock') } as Transport]) {
    const r = await rpcCall(to, { prog: 100000, vers: 2, proc: 3, args: getport.toBuffer() });
    assert.ok('reply' in r && r.reply.kind === 'accepted' && r.reply.stat === 0 && r.reply.results.readUInt32BE(0) === 4242, JSON.stringify(r));
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const saved = f('state/dk-rpcbind.json');
  assert.ok(existsSync(saved), d.log());
  assert.equal(statSync(saved).uid, nobody.uid);
  assert.match(readFileSync(saved, 'utf8'), /300042/);
});

test('dk rpcbind --user with a user that does not exist: a clear error, and it does not go on as root', async () => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [DK, 'rpcbind', '-d', '-p', String(port), '--socket', 'none', '--state-dir', f('state2'), '--control', f('ctl2'), '--user', 'no-such-user-dk'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: ENV,
    },
  );
  children.push(child);
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.equal(code, 1, log);
  assert.match(log, /cannot drop privileges: .*no-such-user-dk/);
});

test('dk syslogd --user nobody: the daemon that reads and parses runs as nobody; root only binds and opens what the configuration names', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to give it up');
  const nobody = systemAccount('nobody');
  if (typeof nobody === 'string') return t.skip(nobody);
  chmodSync(dir, 0o755);
  // the log directory is root's alone: nobody could not create or open a file in it
  mkdirSync(f('logs'), { mode: 0o755 });
  writeFileSync(f('syslog.conf'), `*.* ${f('logs/messages')}\n`);
  const d = await spawnDk(
    children,
    [
      'syslogd',
      '-n',
      '-f',
      f('syslog.conf'),
      '-p',
      f('log.sock'),
      '--udp',
      '127.0.0.1:0',
      '--tcp',
      '127.0.0.1:0',
      '--state-dir',
      f('sstate'),
      '--user',
      'nobody',
      '--pidfile',
      f('syslogd.pid'),
    ],
    (log) => (log.match(/listening on /g)?.length ?? 0) >= 3,
  );
  const child = d.child;
  const daemonPid = Number(/started the daemon as nobody \(pid (\d+)\)/.exec(d.log())![1]);
  assert.deepEqual(ids(daemonPid, 'Uid'), [nobody.uid, nobody.uid, nobody.uid, nobody.uid]);
  assert.deepEqual(ids(child.pid!, 'Uid'), [0, 0, 0, 0]);
  // the pid to signal is the root part's
  assert.equal(readFileSync(f('syslogd.pid'), 'utf8'), `${child.pid}\n`);
  const udp = Number(/listening on udp [\d.]+:(\d+)/.exec(d.log())![1]);
  const tcp = Number(/listening on tcp [\d.]+:(\d+)/.exec(d.log())![1]);
  const r = run(process.execPath, [DK, 'logger', '-u', f('log.sock'), '-t', 'privsep', 'from the local socket']);
  assert.equal(r.code, 0, r.err);
  const u = dgram.createSocket('udp4');
  await new Promise((res) => u.send('<13>Dec  1 06:00:00 h privsep: over UDP', udp, '127.0.0.1', res));
  u.close();
  const c = net.connect(tcp, '127.0.0.1');
  await new Promise((res) => c.once('connect', res));
  c.end('<13>Dec  1 06:00:00 h privsep: over TCP\n');
  const lines = () => (existsSync(f('logs/messages')) ? readFileSync(f('logs/messages'), 'utf8') : '');
  await until(() => ['from the local socket', 'over UDP', 'over TCP'].every((m) => lines().includes(m)), 'the three messages written');
  assert.equal(statSync(f('logs/messages')).uid, 0, 'created by the privileged part');
  // logrotate: the file moves, HUP, a new one is opened by root for the daemon
  renameSync(f('logs/messages'), f('logs/messages.1'));
  child.kill('SIGHUP');
  await until(() => /reloaded/.test(d.log()), 'reloaded');
  const again = run(process.execPath, [DK, 'logger', '-u', f('log.sock'), '-t', 'privsep', 'after the rotation']);
  assert.equal(again.code, 0, again.err);
  await until(() => lines().includes('after the rotation'), 'written to the new file');
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((res) => child.once('exit', (c2) => res(c2)));
  assert.equal(code, 0, d.log());
  assert.ok(!existsSync(f('log.sock')), 'the socket removed');
  assert.ok(!existsSync(f('syslogd.pid')), 'the pidfile removed');
});

test('the privileged part opens only what the configuration names, with a log output flags', () => {
  const refused: string[] = [];
  writeFileSync(f('named.log'), 'kept\n');
  const allowed = new Set([f('named.log')]);
  const { O_WRONLY, O_APPEND, O_CREAT, O_TRUNC, O_RDWR } = constants;
  const no = answerOpen(`OPEN ${O_WRONLY} 420 /etc/shadow`, allowed, (p) => refused.push(p));
  assert.equal(no.length, 1);
  assert.match(no[0].toString(), /^ERR EACCES \/etc\/shadow is not named/);
  assert.deepEqual(refused, ['/etc/shadow']);
  // O_TRUNC and reading are not given, whatever is asked
  const yes = answerOpen(`OPEN ${O_RDWR | O_APPEND | O_CREAT | O_TRUNC} 420 ${f('named.log')}`, allowed, (p) => refused.push(p));
  assert.equal(yes[0].toString(), 'OK');
  const fd = yes[1]!;
  assert.throws(() => readSync(fd, Buffer.alloc(4)), /EBADF/);
  writeSync(fd, 'appended\n');
  closeSync(fd);
  assert.equal(readFileSync(f('named.log'), 'utf8'), 'kept\nappended\n');
  assert.match(answerOpen('GIVE ME ROOT', allowed, () => {})[0].toString(), /^ERR EINVAL/);
});
