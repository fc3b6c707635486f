/**
 * dk inetd serving with xinetd's per-service attributes, as a real process
 * on loopback port 0: wait mode (Debian's in.tftpd over UDP, fetched with
 * apt-get download + dpkg -x, and a Python accept loop over TCP), the
 * process a server gets (descriptors, LISTEN_FDS, user and groups, umask,
 * nice, resource limits), banners, redirect, access_times, max_load, and
 * SIGTERM with a grace period. No zombies, no leaked descriptors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DK, ENV } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { requirePeer, unpackDebs, unpackedLibPath } from '../helpers/peers.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-inetd-wait-'));
const f = (n: string) => join(dir, n);
const root = process.getuid?.() === 0;
const daemons: ChildProcess[] = [];

interface Daemon {
  proc: ChildProcess;
  err: () => string;
  port: (id: string) => number;
}

async function startInetd(conf: string, extra: string[] = [], wantListeners = 1): Promise<Daemon> {
  const file = f(`xinetd-${daemons.length}.conf`);
  writeFileSync(file, conf);
  const proc = spawn(
    process.execPath,
    [DK, 'inetd', '-d', '--xinetd', '--syslog-socket', f('nolog'), '--hosts-allow', '/dev/null', '--hosts-deny', '/dev/null', ...extra, file],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: ENV,
    },
  );
  daemons.push(proc);
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await until(() => (err.match(/listening on/g)?.length ?? 0) >= wantListeners, 'the listeners');
  return {
    proc,
    err: () => err,
    port: (id) => Number([...err.matchAll(/(\S+) listening on \S+ \S+:(\d+)/g)].filter((m) => m[1] === id).pop()?.[2]),
  };
}

const ended = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;

/** SIGTERM, and it must end (a hang fails the test instead of stalling the run). */
async function stopInetd(d: Daemon): Promise<void> {
  if (ended(d.proc)) return;
  d.proc.kill('SIGTERM');
  await until(() => ended(d.proc), 'dk inetd to end after SIGTERM', 15000);
  assert.equal(d.proc.exitCode, 0);
}

function ask(port: number, send = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    c.on('data', (b) => (got += b.toString('latin1')));
    c.on('connect', () => c.end(send));
    c.on('close', () => resolve(got));
    c.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(got) : reject(e)));
    c.setTimeout(10000, () => c.destroy(new Error('timeout')));
  });
}

/** RFC 1350 read request: the file's bytes, acknowledging each block from the transfer's own port. */
function tftpGet(port: number, name: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const blocks: Buffer[] = [];
    const t = setTimeout(() => {
      s.close();
      reject(new Error('tftp: no answer'));
    }, 10000);
    s.on('message', (m, r) => {
      const op = m.readUInt16BE(0);
      if (op === 5) {
        clearTimeout(t);
        s.close();
        return reject(new Error(`tftp error ${m.readUInt16BE(2)}: ${m.subarray(4).toString().replace(/\0.*/, '')}`));
      }
      const block = m.readUInt16BE(2);
      if (block === blocks.length + 1) blocks.push(m.subarray(4));
      const ack = Buffer.from([0, 4, block >> 8, block & 255]);
      s.send(ack, r.port, r.address, () => {
        if (m.length - 4 < 512) {
          clearTimeout(t);
          s.close();
          resolve(Buffer.concat(blocks));
        }
      });
    });
    s.bind(0, '127.0.0.1', () => s.send(Buffer.concat([Buffer.from([0, 1]), Buffer.from(`${name}\0octet\0`)]), port, '127.0.0.1'));
  });
}

const starts = (err: string, id: string) => [...err.matchAll(new RegExp(`START: ${id.replace('/', '\\/')} pid=(\\d+)`, 'g'))].map((m) => Number(m[1]));
const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** children of a process that are still there, zombies included */
const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);

const service = (name: string, attrs: Record<string, string>) =>
  `service ${name}\n{\n${Object.entries({ type: 'UNLISTED', port: '0', bind: '127.0.0.1', user: 'root', ...attrs })
    .map(([k, v]) => `  ${k} = ${v}`)
    .join('\n')}\n}\n`;

before(() => {
  chmodSync(dir, 0o755);
  // what the server process is: its descriptors, environment, ids and limits
  writeFileSync(
    f('inspect.py'),
    [
      'import os, stat',
      'fds = {}',
      'for n in os.listdir("/proc/self/fd"):',
      '    try: t = os.readlink("/proc/self/fd/" + n)',
      '    except OSError: continue',
      '    if t.startswith("/proc/"): continue',
      '    fds[int(n)] = "sock" if stat.S_ISSOCK(os.fstat(int(n)).st_mode) else t',
      'st = open("/proc/self/status").read()',
      'line = lambda k: [l.split(":", 1)[1].split() for l in st.splitlines() if l.startswith(k + ":")][0]',
      'lim = {l[:26].strip(): l[26:].split()[0] for l in open("/proc/self/limits").read().splitlines()[1:]}',
      'mask = os.umask(0)',
      'print("fds=" + ",".join(f"{k}:{v}" for k, v in sorted(fds.items())))',
      'print("listen_fds=%s listen_pid_ok=%s" % (os.environ.get("LISTEN_FDS"), os.environ.get("LISTEN_PID") == str(os.getpid())))',
      'print("uid=%s gid=%s groups=%s" % (line("Uid")[0], line("Gid")[0], ",".join(line("Groups"))))',
      'print("umask=%03o nice=%d" % (mask, os.nice(0)))',
      'print("as=%s cpu=%s" % (lim["Max address space"], lim["Max cpu time"]))',
      'print("argv0=%s" % open("/proc/self/cmdline").read().split("\\0")[0])',
    ].join('\n'),
  );
  // a wait-mode stream server: it accepts on the socket it was given until it is idle for a second
  writeFileSync(
    f('acceptor.py'),
    [
      'import os, socket',
      's = socket.socket(fileno=0)',
      's.settimeout(1.0)',
      'n = 0',
      'while True:',
      '    try: c, _ = s.accept()',
      '    except socket.timeout: break',
      '    n += 1',
      '    c.sendall(b"pid=%d conn=%d\\n" % (os.getpid(), n))',
      '    c.close()',
    ].join('\n'),
  );
  writeFileSync(f('banner'), 'hello from the banner\n');
  writeFileSync(f('banner-ok'), 'welcome\n');
  writeFileSync(f('banner-fail'), 'go away\n');
});

after(async () => {
  for (const p of daemons) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test("wait mode over UDP: Debian's in.tftpd gets the socket, serves, exits when idle, and is started again", async (t) => {
  if (!root) return t.skip('in.tftpd chroots to its directory (-s), which needs root');
  const x = unpackDebs(t, mkdtempSync(join(dir, 'deb-')), ['tftpd-hpa', 'libwrap0']);
  if (!x) return;
  mkdirSync(f('tftp'));
  const content = Buffer.from(Array.from({ length: 1300 }, (_, i) => i % 251));
  writeFileSync(f('tftp/boot.img'), content);
  const d = await startInetd(
    service('tftp', {
      socket_type: 'dgram',
      protocol: 'udp',
      wait: 'yes',
      server: join(x, 'usr/sbin/in.tftpd'),
      // -t 1: leave after a second without requests, so inetd has to start it again
      server_args: `-t 1 -u nobody -s ${f('tftp')}`,
      env: `LD_LIBRARY_PATH=${unpackedLibPath(x)}`,
    }),
  );
  const port = d.port('tftp');
  assert.deepEqual(await tftpGet(port, 'boot.img'), content);
  assert.deepEqual(await tftpGet(port, 'boot.img'), content);
  // one server took both requests: inetd did not watch the socket while it ran
  assert.equal(starts(d.err(), 'tftp').length, 1);
  await until(() => /EXIT: tftp /.test(d.err()), 'in.tftpd to leave when idle');
  assert.deepEqual(await tftpGet(port, 'boot.img'), content);
  await until(() => starts(d.err(), 'tftp').length === 2, 'a second in.tftpd for the next request');
  const [a, b] = starts(d.err(), 'tftp');
  assert.notEqual(a, b);
  await stopInetd(d);
});

test('wait mode over TCP: the server accepts on the socket it was given; inetd accepts nothing meanwhile', async (t) => {
  if (!requirePeer(t, 'python3', 'python3')) return;
  const d = await startInetd(
    service('acceptor', { socket_type: 'stream', protocol: 'tcp', wait: 'yes', server: '/usr/bin/python3', server_args: f('acceptor.py') }),
  );
  const port = d.port('acceptor');
  const first = await ask(port);
  const second = await ask(port);
  const pid = /pid=(\d+) conn=1/.exec(first)?.[1];
  assert.ok(pid, first);
  assert.equal(second, `pid=${pid} conn=2\n`);
  await until(() => /EXIT: acceptor /.test(d.err()), 'the server to leave when idle');
  assert.match(await ask(port), /^pid=\d+ conn=1\n$/);
  assert.equal(starts(d.err(), 'acceptor').length, 2);
  await stopInetd(d);
});

test('what a server gets: only its socket on 0-2 (and 3 with LISTEN_FDS), initgroups, umask, nice, limits, its argv[0]', async (t) => {
  if (!requirePeer(t, 'python3', 'python3')) return;
  const d = await startInetd(
    service('plain', { socket_type: 'stream', wait: 'no', server: '/usr/bin/python3', server_args: f('inspect.py') }) +
      service('shaped', {
        socket_type: 'stream',
        wait: 'no',
        user: root ? 'nobody' : String(process.getuid?.()),
        server: '/usr/bin/python3',
        server_args: f('inspect.py'),
        flags: 'LISTEN_FDS',
        umask: '027',
        nice: '5',
        rlimit_as: '512M',
        rlimit_cpu: '7',
      }),
    [],
    2,
  );
  const plain = await ask(d.port('plain'));
  assert.match(plain, /^fds=0:sock,1:sock,2:sock\n/m);
  assert.match(plain, /^listen_fds=None listen_pid_ok=False$/m);
  assert.match(plain, /^argv0=python3$/m);
  const shaped = await ask(d.port('shaped'));
  assert.match(shaped, /^fds=0:sock,1:sock,2:sock,3:sock\n/m);
  assert.match(shaped, /^listen_fds=1 listen_pid_ok=True$/m);
  assert.match(shaped, /^umask=027 nice=5$/m);
  assert.match(shaped, new RegExp(`^as=${512 * 1024 * 1024} cpu=7$`, 'm'));
  assert.match(shaped, /^argv0=python3$/m);
  // nobody's groups as initgroups(3) sets them (Node's spawn alone would leave none)
  if (root) assert.match(shaped, /^uid=65534 gid=65534 groups=65534$/m);
  // every server was reaped
  await until(() => (d.err().match(/EXIT: /g)?.length ?? 0) >= 2, 'both exits');
  assert.deepEqual(childrenOf(d.proc.pid!), []);
  await stopInetd(d);
});

test('banners, USERID from the identd, redirect, access_times and max_load', async () => {
  const h = new Date().getHours();
  const hh = (n: number) => `${String((n + 24) % 24).padStart(2, '0')}`;
  const echo = (name: string, attrs: Record<string, string>) =>
    service(name, { type: 'INTERNAL UNLISTED', socket_type: 'stream', wait: 'no', id: name, ...attrs });
  // the target of the redirect: a plain server of this test
  const target = net.createServer((c) => c.end('from the target\n'));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const tport = (target.address() as net.AddressInfo).port;
  // the client host's identd (RFC 1413), on a port of its own instead of 113
  const identd = net.createServer((c) => c.once('data', (q) => c.end(`${q.toString().trim()} : USERID : UNIX : alice\r\n`)));
  await new Promise<void>((r) => identd.listen(0, '127.0.0.1', r));
  const identPort = (identd.address() as net.AddressInfo).port;
  try {
    const highLoad = loadavg()[0] >= 0.01;
    const d = await startInetd(
      [
        // internal services are named after what they do; ids tell them apart
        echo('echo', { id: 'bannered', banner: f('banner'), banner_success: f('banner-ok'), log_on_success: 'HOST USERID' }),
        echo('echo', { id: 'now', access_times: `${hh(h - 1)}:00-${hh(h + 1)}:59` }),
        echo('echo', { id: 'later', access_times: `${hh(h + 3)}:00-${hh(h + 4)}:00`, banner_fail: f('banner-fail') }),
        echo('echo', { id: 'loaded', max_load: '0.001' }),
        service('relay', { socket_type: 'stream', wait: 'no', redirect: `127.0.0.1 ${tport}`, log_on_success: 'HOST TRAFFIC EXIT' }),
      ].join(''),
      ['--ident-port', String(identPort)],
      5,
    );
    assert.equal(await ask(d.port('bannered'), 'ping\n'), 'hello from the banner\nwelcome\nping\n');
    await until(() => /USERID: bannered UNIX : alice\n/.test(d.err()), 'the user the identd named, logged');
    assert.equal(await ask(d.port('now'), 'in time\n'), 'in time\n');
    assert.equal(await ask(d.port('later'), 'too early\n'), 'go away\n');
    await until(() => /FAIL: later time from=127\.0\.0\.1\n(dk inetd: )?later: outside access_times/.test(d.err()), 'the refusal logged');
    assert.equal(await ask(d.port('relay')), 'from the target\n');
    await until(() => /TRAFFIC: relay in=0\(bytes\) out=16\(bytes\)\n(dk inetd: )?EXIT: relay status=0/.test(d.err()), 'the traffic logged before the exit');
    if (highLoad) {
      assert.equal(await ask(d.port('loaded'), 'x\n'), '');
      await until(() => /FAIL: loaded load from=127\.0\.0\.1\n(dk inetd: )?loaded: load [\d.]+ over max_load 0\.001/.test(d.err()), 'the load refusal logged');
    }
    await stopInetd(d);
  } finally {
    target.close();
    identd.close();
  }
});

test('SIGTERM: listeners close at once, a server that finishes within the grace period finishes, one that does not gets TERM', async () => {
  writeFileSync(f('slow.sh'), '#!/bin/sh\nsleep 0.5\necho finished\n');
  writeFileSync(f('stuck.sh'), '#!/bin/sh\necho $$\nexec sleep 60\n');
  chmodSync(f('slow.sh'), 0o755);
  chmodSync(f('stuck.sh'), 0o755);
  const d = await startInetd(
    service('slow', { socket_type: 'stream', wait: 'no', server: f('slow.sh') }) +
      service('stuck', { socket_type: 'stream', wait: 'no', server: f('stuck.sh') }),
    ['--grace', '2'],
    2,
  );
  const [slowPort, stuckPort] = [d.port('slow'), d.port('stuck')];
  const stuckPid = new Promise<number>((resolve) => {
    const c = net.connect(stuckPort, '127.0.0.1');
    c.on('data', (b) => resolve(Number(b.toString().trim())));
    c.on('error', () => {});
  });
  const pid = await stuckPid;
  const slow = ask(slowPort);
  await until(() => starts(d.err(), 'slow').length === 1, 'the slow server started');
  d.proc.kill('SIGTERM');
  await until(
    () =>
      new Promise<boolean>((r) => {
        const c = net.connect(slowPort, '127.0.0.1');
        c.on('connect', () => {
          c.destroy();
          r(false);
        });
        c.on('error', () => r(true));
      }),
    'the listener closed',
  );
  assert.equal(await slow, 'finished\n');
  await until(() => ended(d.proc), 'dk inetd to end after the grace period', 15000);
  // the stuck server was sent TERM when the grace period ended
  await until(() => !pidAlive(pid), 'the stuck server to end');
});
