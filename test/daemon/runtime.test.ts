/**
 * The daemon runtime seen from outside, on real daemons: status read
 * through the control socket while they work (its numbers add up to what
 * reached the files and the clients), a reload with a broken file refused
 * and said so in status, a non-owner's change refused while its status
 * request is answered, process names in ps and pgrep, detaching with a
 * locked pidfile, and dk status.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ask } from '../../src/daemon/control.js';
import { forEachDatagram, UnixLogSocket } from '../../src/sys/unixsock.js';
import type { DaemonStatus } from '../../src/daemon/runtime.js';
import type { SyslogdStatus } from '../../src/syslog/server/status.js';
import type { InetdStatus } from '../../src/inetd/server/status.js';
import type { RpcbindStatus } from '../../src/rpcbind/status.js';
import { DK, dk, ENV, run } from '../helpers/dk.js';
import { killAll, until } from '../helpers/children.js';
import { requirePeer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const REGISTER = fileURLToPath(new URL('../rpcbind/register.js', import.meta.url));

let dir: string;
const f = (p: string) => join(dir, p);
const children: ChildProcess[] = [];

/** An event, or a clear failure instead of a hung test. */
function event(emitter: NodeJS.EventEmitter, name: string, what: string, ms = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    emitter.once(name, (v: unknown) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

function start(args: string[]): { child: ChildProcess; err: () => string } {
  const child = spawn(process.execPath, [DK, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return { child, err: () => err };
}

async function status<T>(sock: string): Promise<DaemonStatus<T>> {
  const r = await ask(sock, { cmd: 'status' }, 10_000);
  assert.equal(r.error, undefined, String(r.error));
  return r as unknown as DaemonStatus<T>;
}

/** status, asked again until pred holds (bounded) */
async function statusUntil<T>(sock: string, pred: (s: DaemonStatus<T>) => boolean, what: string): Promise<DaemonStatus<T>> {
  let last: DaemonStatus<T> | undefined;
  await until(
    async () => {
      try {
        last = await status<T>(sock);
      } catch {
        return false;
      }
      return pred(last);
    },
    what,
    30_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last status: ${JSON.stringify(last?.detail)}`);
  });
  return last!;
}

/** A client as another user (nobody), asking the socket; its answers, one JSON line each. */
function askAs(uid: number, sock: string, reqs: object[]): Record<string, unknown>[] {
  const code = `const c=require('net').connect(${JSON.stringify(sock)});let t='';c.on('data',d=>{t+=d;if(t.split('\\n').length>${reqs.length}){process.stdout.write(t);c.destroy()}});c.on('connect',()=>c.write(${JSON.stringify(`${reqs.map((r) => JSON.stringify(r)).join('\n')}\n`)}));c.on('error',e=>{console.error(e.message);process.exit(2)})`;
  const r = spawnSync(process.execPath, ['-e', code], { uid, gid: uid, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dk-runtime-'));
  // another user must reach the control sockets inside
  chmodSync(dir, 0o755);
});

after(() => {
  killAll(children.map((c) => c.pid!).filter(Boolean));
  rmSync(dir, { recursive: true, force: true });
});

describe('dk syslogd', { timeout: 120_000 }, () => {
  let d: ReturnType<typeof start>;
  const sock = () => f('syslogd.control');
  before(async () => {
    writeFileSync(f('syslog.conf'), `*.info ${f('messages')}\nmail.* ${f('mail')}\n`);
    d = start(['syslogd', '-n', '-f', f('syslog.conf'), '-p', f('log'), '--udp', '127.0.0.1:0', '--tcp', '127.0.0.1:0', '--control', sock()]);
    await until(() => existsSync(sock()) || d.child.exitCode !== null, 'the control socket');
    assert.equal(d.child.exitCode, null, d.err());
  });

  test('under load, its status adds up: per input messages and bytes, per action written = lines in the file', async () => {
    const N = 3000;
    const burst = run('sh', ['-c', `seq 1 ${N} | "${process.execPath}" "${DK}" logger -u "${f('log')}" -t load`]);
    assert.equal(burst.code, 0, burst.err);
    const s0 = await status<SyslogdStatus>(sock());
    const udp = s0.detail.inputs.find((i) => i.kind === 'udp')!;
    const tcp = s0.detail.inputs.find((i) => i.kind === 'tcp')!;
    const udpPort = Number(udp.address.split(':').pop());
    const tcpPort = Number(tcp.address.split(':').pop());
    // 100 over UDP (the kernel's drop counter is in status), 200 over one TCP connection held open
    const u = dgram.createSocket('udp4');
    for (let i = 0; i < 100; i++) await new Promise<void>((r) => u.send(`<22>udp: message ${i}`, udpPort, '127.0.0.1', () => r()));
    u.close();
    const c = net.connect(tcpPort, '127.0.0.1');
    await event(c, 'connect', 'the connection');
    c.write(Array.from({ length: 200 }, (_, i) => `<14>tcp: message ${i}\n`).join(''));
    const s = await statusUntil<SyslogdStatus>(
      sock(),
      (x) => x.detail.received >= N + 300 && x.detail.actions.every((a) => a.written + a.dropped >= (a.action.endsWith('mail') ? 100 : N + 300)),
      'every message counted and written',
    );
    const unix = s.detail.inputs.find((i) => i.kind === 'unix')!;
    assert.equal(unix.messages, N);
    assert.ok(unix.bytes > N * 10, `bytes ${unix.bytes}`);
    assert.equal(s.detail.inputs.find((i) => i.kind === 'udp')!.messages, 100);
    assert.equal(typeof s.detail.inputs.find((i) => i.kind === 'udp')!.kernelDrops, 'number');
    // 8 MiB asked (the kernel doubles it): past net.core.rmem_max as root (SO_RCVBUFFORCE), capped by it otherwise
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const granted = s.detail.inputs.find((i) => i.kind === 'udp')!.recvBuffer;
    assert.equal(granted, process.getuid?.() === 0 ? 16 << 20 : 2 * Math.min(8 << 20, rmemMax));
    const t = s.detail.inputs.find((i) => i.kind === 'tcp')!;
    assert.equal(t.messages, 200);
    assert.equal(t.connections, 1);
    c.end();
    const lines = (p: string) => readFileSync(p, 'utf8').split('\n').filter(Boolean).length;
    const messages = s.detail.actions.find((a) => a.action === f('messages'))!;
    const mail = s.detail.actions.find((a) => a.action === f('mail'))!;
    assert.deepEqual([messages.written, messages.dropped, messages.rules], [lines(f('messages')), 0, [`${f('syslog.conf')}:1`]]);
    assert.deepEqual([mail.written, mail.dropped], [lines(f('mail')), 0]);
    assert.equal(mail.written, 100);
    // the envelope: who, since when, what it costs
    assert.deepEqual([s.name, s.comm, s.pid, s.state, s.control], ['syslogd', 'dk-syslogd', d.child.pid, 'running', sock()]);
    assert.ok(s.rssBytes > 1 << 20 && s.cpuSeconds.user > 0);
    assert.ok(s.detail.rate.last60s > 0, JSON.stringify(s.detail.rate));
    assert.match(s.summary, /^2 inputs|^3 inputs/);
  });

  test('read while a load runs: the counts only grow, nothing is written before it is received, and it all adds up at the end', async () => {
    const before = await status<SyslogdStatus>(sock());
    const N = 20_000;
    const load = spawn('sh', ['-c', `seq 1 ${N} | "${process.execPath}" "${DK}" logger -u "${f('log')}" -t during`], { stdio: 'ignore', env: ENV });
    children.push(load);
    const done = event(load, 'exit', 'the load to end', 60_000);
    let last = before.detail.received;
    let seen = 0;
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      const s = await status<SyslogdStatus>(sock());
      const messages = s.detail.actions.find((a) => a.action === f('messages'))!;
      assert.ok(s.detail.received >= last, `received went from ${last} to ${s.detail.received}`);
      assert.ok(messages.written <= s.detail.received, `written ${messages.written} > received ${s.detail.received}`);
      last = s.detail.received;
      seen++;
    }
    assert.ok(seen >= 2, `status was read ${seen} times during the load`);
    const end = await statusUntil<SyslogdStatus>(
      sock(),
      (x) => x.detail.received === before.detail.received + N && x.detail.actions[0].written === before.detail.actions[0].written + N,
      'the load counted and written',
    );
    assert.equal(end.detail.inputs.find((i) => i.kind === 'unix')!.messages, before.detail.inputs.find((i) => i.kind === 'unix')!.messages + N);
  });

  test('sd_notify: READY with STATUS, RELOADING with MONOTONIC_USEC then READY, STOPPING', async () => {
    const got: string[] = [];
    const notify = UnixLogSocket.open(f('notify.sock'), 4096, (batch, count) =>
      forEachDatagram(batch, count, (b, st, en) => got.push(b.toString('utf8', st, en))),
    );
    try {
      writeFileSync(f('n.conf'), `*.* ${f('n.log')}\n`);
      const child = spawn(process.execPath, [DK, 'syslogd', '-n', '-f', f('n.conf'), '-p', f('n.sock'), '--control', f('n.control')], {
        stdio: 'ignore',
        env: { ...ENV, NOTIFY_SOCKET: f('notify.sock') },
      });
      children.push(child);
      await until(() => got.some((m) => m.startsWith('READY=1')), 'READY');
      assert.match(got[0], new RegExp(`^READY=1\nSTATUS=1 inputs, 1 actions, 0 messages \\(0/s\\)\nMAINPID=${child.pid}$`));
      assert.equal((await ask(f('n.control'), { cmd: 'reload' })).ok, true);
      await until(() => got.length >= 3, 'the reload notifications');
      assert.match(got[1], /^RELOADING=1\nMONOTONIC_USEC=\d+$/);
      assert.match(got[2], /^READY=1\nSTATUS=/);
      child.kill('SIGTERM');
      await event(child, 'exit', 'the daemon to stop');
      assert.equal(got[3], 'STOPPING=1');
    } finally {
      await notify.close();
    }
  });

  test('sd_notify to an abstract NOTIFY_SOCKET (@name): READY and STOPPING arrive', async (t) => {
    if (!requirePeer(t, 'python3', 'python3')) return;
    const name = `dk-notify-test-${process.pid}-${Date.now()}`;
    // an abstract datagram socket of the test's (Node has no unix datagrams): each datagram one JSON line
    const rx = spawn(
      '/usr/bin/python3',
      [
        '-c',
        [
          'import json, socket, sys',
          's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
          `s.bind("\\0${name}")`,
          's.settimeout(20)',
          'print("bound", flush=True)',
          'while True:',
          '    m = s.recv(4096).decode()',
          '    print(json.dumps(m), flush=True)',
          '    if m.startswith("STOPPING"): break',
        ].join('\n'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(rx);
    let out = '';
    rx.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    await until(() => out.startsWith('bound'), 'the receiver');
    writeFileSync(f('a.conf'), `*.* ${f('a.log')}\n`);
    const child = spawn(process.execPath, [DK, 'syslogd', '-n', '-f', f('a.conf'), '-p', f('a.sock'), '--control', f('a.control')], {
      stdio: 'ignore',
      env: { ...ENV, NOTIFY_SOCKET: `@${name}` },
    });
    children.push(child);
    const got = () =>
      out
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string);
    await until(() => got().some((m) => m.startsWith('READY=1')), 'READY on the abstract socket');
    assert.match(got()[0], new RegExp(`^READY=1\nSTATUS=.*\nMAINPID=${child.pid}$`));
    child.kill('SIGTERM');
    await until(() => got().includes('STOPPING=1'), 'STOPPING');
  });

  test('a reload with a broken file is refused, said so in status, and the running rules stay', async () => {
    writeFileSync(f('syslog.conf'), `*.info ${f('messages')}\nmial.* ${f('mial')}\n`);
    const r = await ask(sock(), { cmd: 'reload' });
    assert.equal(r.ok, false);
    assert.deepEqual(r.problems, [`${f('syslog.conf')}:2:1: unknown facility 'mial'`]);
    const s = await status<SyslogdStatus>(sock());
    assert.deepEqual([s.config?.reloads, s.config?.lastReload?.ok, s.config?.lastReload?.problems], [0, false, r.problems]);
    assert.deepEqual(
      s.detail.actions.map((a) => a.action),
      [f('messages'), f('mail')],
    );
    // the old mail rule still works
    assert.equal(dk(['logger', '-u', f('log'), '-p', 'mail.err', '-t', 'after', 'still routed']).code, 0);
    await until(() => readFileSync(f('mail'), 'utf8').includes('still routed'), 'the old rule at work');
    writeFileSync(f('syslog.conf'), `*.info ${f('messages')}\nmail.* ${f('mail')}\n`);
    const ok = await ask(sock(), { cmd: 'reload' });
    assert.deepEqual([ok.ok, ok.problems], [true, []]);
    assert.equal((await status(sock())).config?.reloads, 1);
  });

  test('another user reads status but may not reload or stop; route answers anyone', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to act as another user');
    const [st, rl, sp, rt] = askAs(65534, sock(), [{ cmd: 'status' }, { cmd: 'reload' }, { cmd: 'stop' }, { cmd: 'route', priority: 'mail.err' }]);
    assert.equal(st.name, 'syslogd');
    assert.match(String(rl.error), /^permission denied: only root or uid 0 may reload/);
    assert.match(String(sp.error), /^permission denied/);
    assert.deepEqual(rt.actions, [f('messages'), f('mail')]);
    await until(() => /reload refused for uid 65534/.test(d.err()) && /stop refused for uid 65534/.test(d.err()), 'the refusals logged');
    assert.equal(d.child.exitCode, null);
  });

  test('a second daemon given the same --control refuses before it starts anything', () => {
    const second = run(process.execPath, [DK, 'syslogd', '-n', '-f', f('syslog.conf'), '-p', f('second.sock'), '--control', sock()], ENV);
    assert.equal(second.code, 1);
    assert.equal(second.err, `dk syslogd: control socket ${sock()} is in use by another daemon\n`);
    assert.ok(!existsSync(f('second.sock')));
  });

  test('garbage on the control socket gets an error line; the daemon keeps answering', async () => {
    const answers = await new Promise<string>((resolve) => {
      const c = net.connect(sock());
      let t = '';
      c.on('data', (b) => {
        t += b;
        if (t.split('\n').length > 3) c.end();
      });
      c.on('close', () => resolve(t));
      c.write('not json\n{"cmd":"frobnicate"}\n{"nocmd":1}\n');
    });
    const [a, b, c] = answers
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { error: string });
    assert.match(a.error, /not a JSON request/);
    assert.match(b.error, /unknown command 'frobnicate' \(known: status, reload, stop, route\)/);
    assert.match(c.error, /not a JSON request/);
    assert.equal((await status(sock())).state, 'running');
    // a line that never ends is cut off with an answer, not kept in memory
    const long = await new Promise<string>((resolve) => {
      const c = net.connect(sock());
      let t = '';
      c.on('data', (x) => (t += x));
      c.on('close', () => resolve(t));
      c.on('error', () => {});
      c.write(`{"cmd":"status","pad":"${'x'.repeat(200_000)}`);
    });
    assert.equal(long, '{"error":"request too long"}\n');
    assert.equal((await status(sock())).state, 'running');
  });

  test('ps -o comm, pgrep, top, dk ps and dk top call it dk-syslogd; the command line is its title', () => {
    const pid = String(d.child.pid);
    assert.equal(run('ps', ['-o', 'comm=', '-p', pid]).out.trim(), 'dk-syslogd');
    assert.match(run('ps', ['-o', 'args=', '-p', pid]).out.trim(), new RegExp(`^dk-syslogd -n -f ${f('syslog.conf')} -p `));
    assert.ok(run('pgrep', ['-x', 'dk-syslogd']).out.split('\n').includes(pid));
    assert.equal(dk(['ps', '-o', 'comm=', '-p', pid]).out.trim(), 'dk-syslogd');
    assert.match(run('top', ['-b', '-n1', '-p', pid]).out, new RegExp(`^\\s*${pid} .* dk-syslogd\\s*$`, 'm'));
    assert.match(dk(['top', '-b', '-n1', '-p', pid]).out, new RegExp(`^\\s*${pid} .* dk-syslogd\\s*$`, 'm'));
  });
});

describe('dk inetd', { timeout: 120_000 }, () => {
  let d: ReturnType<typeof start>;
  const sock = () => f('inetd/control.sock');
  before(async () => {
    writeFileSync(f('hosts.allow'), '');
    // TCP wrappers know a server by its program's name
    writeFileSync(f('hosts.deny'), 'cat: ALL\n');
    writeFileSync(f('inetd.conf'), '127.0.0.1:0 stream tcp nowait root internal echo\n');
    writeFileSync(
      f('xinetd.conf'),
      `service echo\n{\n  type = INTERNAL UNLISTED\n  id = echo-stream\n  socket_type = stream\n  protocol = tcp\n  port = 0\n  bind = 127.0.0.1\n  wait = no\n  user = root\n  per_source = 3\n}\nservice catsvc\n{\n  type = UNLISTED\n  socket_type = stream\n  protocol = tcp\n  port = 0\n  bind = 127.0.0.1\n  wait = no\n  user = root\n  server = /bin/cat\n}\n`,
    );
    d = start([
      'inetd',
      '-f',
      '--xinetd',
      '--state-dir',
      f('inetd'),
      '--services',
      '/dev/null',
      '--hosts-allow',
      f('hosts.allow'),
      '--hosts-deny',
      f('hosts.deny'),
      '--syslog-socket',
      f('nolog'),
      f('xinetd.conf'),
    ]);
    await until(() => existsSync(sock()) || d.child.exitCode !== null, 'the control socket');
    assert.equal(d.child.exitCode, null, d.err());
  });

  test('active connections with client and since, started and refused by reason, limits in force', async () => {
    const s0 = await status<InetdStatus>(sock());
    const echo = s0.detail.services.find((v) => v.id === 'echo-stream')!;
    const cat = s0.detail.services.find((v) => v.id === 'catsvc')!;
    assert.deepEqual(echo.limits, { perSource: 3 });
    assert.equal(echo.server, 'internal echo');
    const port = (v: typeof echo) => Number(v.listeners[0].split(':').pop());
    // three held open (the per_source limit), a fourth refused
    const open: net.Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const c = net.connect(port(echo), '127.0.0.1');
      await event(c, 'connect', 'the connection');
      c.write('x');
      await event(c, 'data', 'the echo');
      open.push(c);
    }
    const extra = net.connect(port(echo), '127.0.0.1');
    extra.on('error', () => {});
    await event(extra, 'close', 'the refused connection to close');
    // TCP wrappers turn catsvc's client away
    const denied = net.connect(port(cat), '127.0.0.1');
    denied.on('error', () => {});
    await event(denied, 'close', 'the denied connection to close');
    const s = await statusUntil<InetdStatus>(sock(), (x) => x.detail.services.find((v) => v.id === 'catsvc')!.refused.libwrap === 1, 'the refusals counted');
    const e = s.detail.services.find((v) => v.id === 'echo-stream')!;
    assert.equal(e.active.length, 3);
    assert.ok(e.active.every((a) => a.client === '127.0.0.1' && a.pid === 0 && Date.parse(a.since) > 0));
    assert.equal(e.started, 3);
    assert.deepEqual(e.refused, { per_source_limit: 1 });
    assert.equal(s.detail.active, 3);
    for (const c of open) c.end();
    const s2 = await statusUntil<InetdStatus>(sock(), (x) => x.detail.active === 0, 'the connections gone from status');
    assert.equal(s2.detail.services.find((v) => v.id === 'echo-stream')!.started, 3);
    assert.equal(s2.detail.format, 'xinetd');
  });

  test('a spawned server shows its pid while it serves', async () => {
    writeFileSync(f('hosts.deny'), '');
    const r = await ask(sock(), { cmd: 'reload' });
    assert.equal(r.ok, true, JSON.stringify(r));
    const cat = (await status<InetdStatus>(sock())).detail.services.find((v) => v.id === 'catsvc')!;
    const c = net.connect(Number(cat.listeners[0].split(':').pop()), '127.0.0.1');
    await event(c, 'connect', 'the connection');
    c.write('ping\n');
    await event(c, 'data', "cat's answer");
    const s = await statusUntil<InetdStatus>(sock(), (x) => (x.detail.services.find((v) => v.id === 'catsvc')!.active[0]?.pid ?? 0) > 0, 'the server pid');
    const a = s.detail.services.find((v) => v.id === 'catsvc')!.active[0];
    assert.equal(readFileSync(`/proc/${a.pid}/comm`, 'utf8').trim(), 'cat');
    c.end();
    await statusUntil<InetdStatus>(sock(), (x) => x.detail.active === 0, 'cat gone');
  });

  test('a broken xinetd file on reload: refused with file:line, the services keep running', async () => {
    const good = readFileSync(f('xinetd.conf'), 'utf8');
    writeFileSync(f('xinetd.conf'), good.replace('per_source = 3', 'per_source = lots'));
    const r = await ask(sock(), { cmd: 'reload' });
    assert.equal(r.ok, false);
    assert.match(String((r.problems as string[])[0]), new RegExp(`^${f('xinetd.conf')}:\\d+: `));
    const s = await status<InetdStatus>(sock());
    assert.equal(s.config?.lastReload?.ok, false);
    assert.deepEqual(s.detail.services.find((v) => v.id === 'echo-stream')!.limits, { perSource: 3 });
    writeFileSync(f('xinetd.conf'), good);
  });
});

describe('dk rpcbind', { timeout: 120_000 }, () => {
  test('registrations and GETSTAT counters in status; comm dk-rpcbind', async () => {
    const rpcPort = await freePort();
    const d = start(['rpcbind', '-d', '-p', String(rpcPort), '-h', '127.0.0.1', '--socket', f('rpcbind.sock'), '--state-dir', f('rpcbind')]);
    const sock = f('rpcbind/control.sock');
    await until(() => existsSync(sock) || d.child.exitCode !== null, 'the control socket');
    assert.equal(d.child.exitCode, null, d.err());
    const reg = run(process.execPath, [REGISTER, 'rpcb', f('rpcbind.sock')]);
    assert.equal(reg.code, 0, reg.err);
    const s = await status<RpcbindStatus>(sock);
    const mine = s.detail.registrations.filter((r) => r.program !== 100000);
    assert.deepEqual(
      mine.map((r) => [r.program, r.version, r.netid, r.address, r.owner]),
      [
        [100024, 1, 'tcp6', '::.4.210', 'superuser'],
        [200123, 4, 'udp', '0.0.0.0.8.1', 'superuser'],
      ],
    );
    const v3 = s.detail.stats.find((x) => x.version === 3)!;
    const v4 = s.detail.stats.find((x) => x.version === 4)!;
    assert.deepEqual([v3.setinfo, v4.setinfo, v3.info[1], v4.info[1]], [1, 1, 1, 1]);
    assert.equal(run('ps', ['-o', 'comm=', '-p', String(d.child.pid)]).out.trim(), 'dk-rpcbind');
    // under load: rpcinfo -p (a v2 DUMP each) from a loop while status is read; the DUMP count adds up
    const port = s.detail.port;
    assert.equal(port, rpcPort);
    const dumps = () => s.detail.stats.find((x) => x.version === 2)!.info[4];
    const base = dumps();
    let calls = 0;
    for (let i = 0; i < 20; i++) {
      const r = dk(['rpcinfo', '--port', String(port), '-p', '127.0.0.1']);
      assert.equal(r.code, 0, r.err);
      calls++;
      if (i % 5 === 4) {
        const mid = await status<RpcbindStatus>(sock);
        assert.equal(mid.detail.stats.find((x) => x.version === 2)!.info[4], base + calls);
      }
    }
  });
});

describe('detaching', { timeout: 120_000 }, () => {
  test('dk syslogd detaches through the double fork: parent init, no terminal, locked pidfile; a second one is refused', () => {
    writeFileSync(f('d.conf'), `*.* ${f('d.log')}\n`);
    const args = ['syslogd', '-f', 'd.conf', '-p', 'd.sock', '--control', 'd.control', '--pidfile', 'd.pid'];
    const first = spawnSync(process.execPath, [DK, ...args], { cwd: dir, env: ENV, encoding: 'utf8' });
    assert.equal(first.status, 0, first.stderr);
    const pid = Number(readFileSync(f('d.pid'), 'utf8'));
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
      // state ppid pgrp session tty_nr tpgid: not a session leader, no terminal, tpgid -1
      assert.notEqual(Number(stat[3]), pid);
      assert.equal(stat[4], '0');
      assert.equal(stat[5], '-1');
      assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'dk-syslogd');
      // it works from /; the relative paths it was given were made absolute first
      assert.equal(readlinkSync(`/proc/${pid}/cwd`), '/');
      assert.ok(existsSync(f('d.sock')) && existsSync(f('d.control')));
      const second = spawnSync(process.execPath, [DK, ...args], { cwd: dir, env: ENV, encoding: 'utf8' });
      assert.equal(second.status, 1);
      assert.match(second.stderr, new RegExp(`^dk syslogd: already running \\(pid ${pid}\\): ${f('d.pid')} is locked\\n$`));
      // through a link named after the tool (dk links), as busybox users run it
      symlinkSync(DK, f('syslogd'));
      const viaLink = spawnSync(f('syslogd'), ['-f', 'd.conf', '-p', 'l.sock', '--control', 'l.control', '--pidfile', 'l.pid'], {
        cwd: dir,
        env: ENV,
        encoding: 'utf8',
      });
      assert.equal(viaLink.status, 0, viaLink.stderr);
      const linked = Number(readFileSync(f('l.pid'), 'utf8'));
      assert.equal(readFileSync(`/proc/${linked}/comm`, 'utf8').trim(), 'dk-syslogd');
      process.kill(linked, 'SIGTERM');
      // a daemon that cannot start says why, on the caller's terminal
      const bad = spawnSync(process.execPath, [DK, 'syslogd', '-f', 'd.conf', '-p', f('nodir/x/sock'), '--control', 'none.control'], {
        cwd: dir,
        env: ENV,
        encoding: 'utf8',
      });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /^dk syslogd: .*nodir\/x\/sock/);
    } finally {
      process.kill(pid, 'SIGTERM');
    }
  });
});

describe('dk status', { timeout: 120_000 }, () => {
  test('finds the daemons of a state dir; --json gives the status objects; a name picks one; a dead name is exit 3', async () => {
    const st = f('state');
    writeFileSync(f('s.conf'), `*.* ${f('s.log')}\n`);
    const a = start(['syslogd', '-n', '-f', f('s.conf'), '-p', f('s.sock'), '--state-dir', join(st, 'syslogd'), '--db', f('s.db')]);
    const b = start(['update', '-i', '3600', '--state-dir', join(st, 'update')]);
    await until(() => existsSync(join(st, 'syslogd/control.sock')) && existsSync(join(st, 'update/control.sock')), 'both control sockets');
    assert.equal(dk(['logger', '-u', f('s.sock'), '-t', 'dk-syslogd', 'a line for status']).code, 0);
    const json = dk(['status', '--state-dir', st, '--json']);
    assert.equal(json.code, 0, json.err);
    const list = JSON.parse(json.out) as DaemonStatus[];
    assert.deepEqual(list.map((s) => [s.name, s.pid, s.state]).sort(), [
      ['syslogd', a.child.pid, 'running'],
      ['update', b.child.pid, 'running'],
    ]);
    const upd = list.find((s) => s.name === 'update')!.detail as { intervalSeconds: number; flushes: number; dirtyKb: number };
    assert.equal(upd.intervalSeconds, 3600);
    assert.equal(typeof upd.dirtyKb, 'number');
    await until(() => /a line for status/.test(dk(['status', '--state-dir', st, 'syslogd']).out), 'the log line in dk status');
    const text = dk(['status', '--state-dir', st, 'syslogd']);
    assert.equal(text.code, 0, text.err);
    assert.match(
      text.out,
      new RegExp(`^● dk-syslogd - running since .*\\n    Control: ${join(st, 'syslogd/control.sock')}\\n   Main PID: ${a.child.pid} \\(dk-syslogd\\)`),
    );
    assert.match(text.out, / {5}Status: "1 inputs, 2 actions, 1 messages/);
    assert.match(text.out, /\n\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ dk-syslogd: a line for status\n/);
    assert.doesNotMatch(text.out, /dk-update/);
    const none = dk(['status', '--state-dir', st, 'inetd']);
    assert.equal(none.code, 3);
    assert.match(none.err, /^dk status: no dk inetd answers/);
    const route = dk(['status', '--state-dir', st, 'syslogd', '--route', 'local7.debug']);
    assert.equal(route.code, 0, route.err);
    assert.equal(
      route.out,
      `local7.debug:\n  --db${' '.repeat(20)} *.*${' '.repeat(37)} -> :sqlite:${f('s.db')}\n  ${`${f('s.conf')}:1`.padEnd(24)} ${'*.*'.padEnd(40)} -> ${f('s.log')}\n`,
    );
    killAll([a.child.pid!, b.child.pid!]);
  });
});

test('the peers tell the same: pstree shows the names', (t) => {
  if (!requirePeer(t, 'pstree', 'psmisc')) return;
  const d = start(['update', '-i', '3600', '--control', f('pstree.control')]);
  return until(() => existsSync(f('pstree.control')), 'update up').then(() => {
    assert.match(run('pstree', ['-p', String(process.pid)]).out, new RegExp(`dk-update\\(${d.child.pid}\\)`));
    d.child.kill('SIGTERM');
  });
});
