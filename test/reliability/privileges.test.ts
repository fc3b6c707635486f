/**
 * Giving up root (issue 15): dk rpcbind --user binds its port and sockets
 * as root, then runs as the user (the kernel says so in /proc/PID/status),
 * answers as before, and saves its registrations at the end into the state
 * directory it handed to the user.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { rpcCall, type Transport } from '../../src/rpc/client.js';
import { writeMapping } from '../../src/rpc/pmap.js';
import { XdrWriter } from '../../src/rpc/xdr.js';
import { systemAccount } from '../../src/proc/users.js';
import { DK, ENV } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { lab } from '../helpers/lab.js';
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
  const child = spawn(
    process.execPath,
    [
      DK,
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
    { stdio: ['ignore', 'ignore', 'pipe'], env: ENV },
  );
  children.push(child);
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  await until(() => /running as nobody/.test(log) || child.exitCode !== null, 'dk rpcbind running as nobody');
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
  assert.ok(existsSync(saved), log);
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
