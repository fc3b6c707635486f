/**
 * dk inetd as a real process on loopback port 0 (a services file maps every
 * name to port 0; the ports each service got are read from the daemon's
 * "listening on" lines): internal services over TCP and UDP with Node
 * clients, a spawned cat and a shell-script server (run as nobody when we
 * are root), TCP wrappers, a per-source limit, and SIGHUP adding and
 * removing services while an unchanged one keeps its socket.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DK, dk, ENV } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { requirePeer } from '../helpers/peers.js';
import { inetdArgs } from '../helpers/inetd.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-inetd-'));
const f = (n: string) => join(dir, n);
const root = process.getuid?.() === 0;
let d: ChildProcess | undefined;
let err = '';

const NAMES = ['echo', 'daytime', 'chargen', 'time', 'discard', 'catsvc', 'catroot', 'whoami', 'limited', 'added'];

/** The port a service got, from the daemon's log (the latest line for it). */
const portOf = (id: string): number => Number([...err.matchAll(/(\S+) listening on \S+ \S+:(\d+)/g)].filter((m) => m[1] === id).pop()?.[2]);

function ask(port: number, send?: string, o: { keepOpen?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    c.on('data', (b) => {
      got += b.toString('latin1');
      if (got.length > 1000) c.destroy();
    });
    c.on('connect', () => (send !== undefined ? (o.keepOpen ? c.write(send) : c.end(send)) : undefined));
    c.on('close', () => resolve(got));
    c.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(got) : reject(e)));
    c.setTimeout(10000, () => c.destroy(new Error('timeout')));
  });
}

function udpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('no UDP answer'));
    }, 5000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m.toString());
    });
    s.bind(0, '127.0.0.1', () => s.send(text, port, '127.0.0.1'));
  });
}

const conf = (lines: string[]) => {
  writeFileSync(f('inetd.conf'), `${lines.join('\n')}\n`);
};

before(async () => {
  writeFileSync(f('services'), NAMES.map((n) => `${n} 0/tcp\n${n} 0/udp`).join('\n'));
  writeFileSync(f('whoami.sh'), '#!/bin/sh\nread line\necho "uid=$(id -u) arg=$1 line=$line remote=$REMOTE_ADDR"\n');
  chmodSync(f('whoami.sh'), 0o755);
  // the script runs as nobody, who must be able to reach it
  chmodSync(dir, 0o755);
  writeFileSync(f('hosts.allow'), 'ALL: 127.0.0.1\n');
  writeFileSync(f('hosts.deny'), 'cat: ALL\n');
  conf([
    '127.0.0.1:echo stream tcp nowait root internal',
    '127.0.0.1:echo dgram udp wait root internal',
    '127.0.0.1:daytime stream tcp nowait root internal',
    '127.0.0.1:chargen stream tcp nowait root internal',
    '127.0.0.1:time stream tcp nowait root internal',
    '127.0.0.1:catsvc stream tcp nowait nobody /bin/cat cat',
    // as ourselves: started with posix_spawn, no wrapper between fork and exec
    `127.0.0.1:catroot stream tcp nowait ${root ? 'root' : String(process.getuid?.())} /bin/cat cat`,
    `127.0.0.1:whoami stream tcp nowait nobody ${f('whoami.sh')} whoami.sh first-arg`,
  ]);
  d = spawn(process.execPath, [DK, ...inetdArgs(f)], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  d.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await until(() => (err.match(/listening on/g)?.length ?? 0) >= 8, 'the eight listeners');
});

after(async () => {
  if (d && d.exitCode === null) {
    const exited = new Promise((r) => d!.once('exit', r));
    d.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('internal services: echo, daytime, chargen, time over TCP; echo over UDP', async () => {
  assert.equal(await ask(portOf('echo/tcp'), 'hello\n'), 'hello\n');
  assert.match(await ask(portOf('daytime/tcp')), /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\r\n$/);
  const t = Buffer.from(await ask(portOf('time/tcp')), 'latin1');
  assert.equal(t.length, 4);
  assert.ok(Math.abs(t.readUInt32BE() - (Math.floor(Date.now() / 1000) + 2_208_988_800)) < 60);
  const cg = await ask(portOf('chargen/tcp'), '', { keepOpen: true });
  assert.ok(cg.startsWith(' !"#$%&'), cg.slice(0, 20));
  assert.equal(await udpAsk(portOf('echo/udp'), 'udp hello'), 'udp hello');
  // answered in-process, logged as xinetd logs its in-process services
  await until(() => /START: echo\/tcp pid=0 from=127\.0\.0\.1/.test(err), 'the internal service logged');
});

test('nc, the tool admins reach for, against the internal services over TCP and UDP', (t) => {
  const nc = requirePeer(t, 'nc', 'netcat-openbsd');
  if (!nc) return;
  const run = (args: string[], input: string) => spawnSync(nc, args, { input, encoding: 'utf8', timeout: 10000 });
  // -N: shut the connection down after the end of input, so echo's answer ends too
  assert.equal(run(['-N', '127.0.0.1', String(portOf('echo/tcp'))], 'through nc\n').stdout, 'through nc\n');
  assert.match(run(['-N', '127.0.0.1', String(portOf('daytime/tcp'))], '').stdout, /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\r\n$/);
  // -w1: after the answer, one quiet second and nc is done
  assert.equal(run(['-u', '-w1', '127.0.0.1', String(portOf('echo/udp'))], 'nc over udp').stdout, 'nc over udp');
});

test('spawned servers get the connection on 0, 1, 2, their arguments, and run as the configured user', async () => {
  // catsvc is "cat" to TCP wrappers, and hosts.deny says "cat: ALL" while hosts.allow lets 127.0.0.1 in first
  assert.equal(await ask(portOf('catsvc/tcp'), 'through cat\n'), 'through cat\n');
  // a server that reads before the client wrote must wait (a blocking socket), not fail with EAGAIN
  const startsBefore = err.match(/START: catroot/g)?.length ?? 0;
  const c = net.connect(portOf('catroot/tcp'), '127.0.0.1');
  let got = '';
  const closed = new Promise((r) => c.on('close', r));
  c.on('data', (b) => {
    got += b;
    if (got === 'late\n') c.end();
  });
  await until(() => (err.match(/START: catroot/g)?.length ?? 0) > startsBefore, 'cat started');
  const pid = Number([...err.matchAll(/START: catroot\/tcp pid=(\d+)/g)].pop()![1]);
  const state = () => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1][0];
    } catch {
      return 'gone';
    }
  };
  // asleep in read(2), or (the fault) already gone
  await until(() => state() === 'S' || state() === 'gone' || state() === 'Z', 'cat to read or end');
  c.write('late\n');
  await closed;
  assert.equal(got, 'late\n');
  const who = await ask(portOf('whoami/tcp'), 'a line\n');
  assert.match(who, new RegExp(`^uid=${root ? 65534 : process.getuid?.()} arg=first-arg line=a line remote=127\\.0\\.0\\.1\\n$`));
  await until(() => /EXIT: whoami\/tcp status=0/.test(err), 'the exit logged');
});

test('TCP wrappers: a denied daemon closes the connection and logs where it was denied', async () => {
  writeFileSync(f('hosts.allow'), '');
  conf([...['echo stream tcp nowait root internal', 'catsvc stream tcp nowait nobody /bin/cat cat'].map((l) => `127.0.0.1:${l}`)]);
  d!.kill('SIGHUP');
  await until(() => /reloaded/.test(err), 'the reload');
  assert.equal(await ask(portOf('catsvc/tcp'), 'nope\n'), '');
  // xinetd's FAIL line (what fail2ban's xinetd filters match), then ours naming the rule
  await until(
    () => /FAIL: catsvc\/tcp libwrap from=127\.0\.0\.1\n(dk inetd: )?catsvc\/tcp: denied by .*hosts\.deny:1 \(from=127\.0\.0\.1\)/.test(err),
    'the refusal logged',
  );
  assert.equal(await ask(portOf('echo/tcp'), 'still\n'), 'still\n');
  writeFileSync(f('hosts.allow'), 'ALL: 127.0.0.1\n');
});

test('SIGHUP: an unchanged service keeps its socket (a client in a loop is never refused), removed ones close, new ones open', async () => {
  const echoPort = portOf('echo/tcp');
  let refused = 0;
  let served = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      try {
        if ((await ask(echoPort, 'x')) === 'x') served++;
        else refused++;
      } catch {
        refused++;
      }
    }
  })();
  conf(['127.0.0.1:echo stream tcp nowait root internal', '127.0.0.1:added stream tcp nowait root /bin/cat cat']);
  d!.kill('SIGHUP');
  const before = (err.match(/reloaded/g) ?? []).length;
  await until(() => (err.match(/reloaded/g) ?? []).length > before, 'the second reload');
  await until(() => served > 20, 'the loop going on after the reload');
  stop = true;
  await loop;
  assert.equal(refused, 0);
  assert.equal(portOf('echo/tcp'), echoPort);
  assert.match(err, /catsvc\/tcp closed/);
  assert.equal(await ask(portOf('added/tcp'), 'new one\n'), 'new one\n');
  // a configuration that cannot be read: the running one stays
  rmSync(f('inetd.conf'));
  d!.kill('SIGHUP');
  await until(() => /cannot read [^\n]*inetd\.conf\n(dk inetd: )?reload refused, the running configuration stays/.test(err), 'the refusal to reload');
  assert.equal(await ask(portOf('added/tcp'), 'kept\n'), 'kept\n');
  assert.equal(await ask(echoPort, 'kept too\n'), 'kept too\n');
});

test('--check: file:line: reason for each problem, exit 1', () => {
  writeFileSync(f('bad.conf'), 'echo stream tcp nowait root internal\nnosuch stream tcp nowait root internal\necho stream tcp maybe root internal\n');
  const r = dk(['inetd', '--check', '--services', f('services'), f('bad.conf')]);
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    `dk inetd: ${f('bad.conf')}:2: unknown service 'nosuch/tcp' (not in the services file; a number is accepted too)\ndk inetd: ${f('bad.conf')}:3: 'maybe' is not wait, nowait or nowait.MAX\n`,
  );
});

test('xinetd per_source: a client holding its share is refused more, another address is still served', async () => {
  writeFileSync(
    f('xinetd.conf'),
    'defaults\n{\n  instances = 20\n}\nservice flood\n{\n  type = UNLISTED\n  port = 0\n  bind = 127.0.0.1\n  socket_type = stream\n  wait = no\n  user = nobody\n  server = /bin/cat\n  per_source = 2\n}\n',
  );
  const x = spawn(
    process.execPath,
    [DK, 'inetd', '-d', '--syslog-socket', f('nolog'), '--xinetd', '--hosts-allow', '/dev/null', '--hosts-deny', '/dev/null', f('xinetd.conf')],
    { stdio: ['ignore', 'ignore', 'pipe'], env: ENV },
  );
  let xerr = '';
  x.stderr!.on('data', (b: Buffer) => (xerr += b.toString()));
  const held: net.Socket[] = [];
  try {
    await until(() => /flood listening on tcp 127\.0\.0\.1:\d+/.test(xerr), 'the listener');
    const port = Number(/flood listening on tcp 127\.0\.0\.1:(\d+)/.exec(xerr)![1]);
    // the flooder: four connections from 127.0.0.1, kept open
    const opened = await Promise.all(
      [1, 2, 3, 4].map(
        (i) =>
          new Promise<string>((resolve) => {
            const c = net.connect({ port, host: '127.0.0.1' });
            held.push(c);
            let got = '';
            c.on('data', (b) => {
              got += b.toString();
              if (got === `hold ${i}\n`) resolve('served');
            });
            c.on('error', () => resolve('refused'));
            c.on('close', () => resolve(got === `hold ${i}\n` ? 'served' : 'refused'));
            c.write(`hold ${i}\n`);
          }),
      ),
    );
    assert.deepEqual(opened.sort(), ['refused', 'refused', 'served', 'served']);
    // meanwhile another address is served at once
    const other = await new Promise<string>((resolve, reject) => {
      const c = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      let got = '';
      c.on('data', (b) => (got += b.toString()));
      c.on('close', () => resolve(got));
      c.on('error', reject);
      c.end('from elsewhere\n');
    });
    assert.equal(other, 'from elsewhere\n');
    assert.match(xerr, /FAIL: flood per_source_limit from=127\.0\.0\.1\n(dk inetd: )?flood: per_source limit \(2\) for 127\.0\.0\.1 \(from=127\.0\.0\.1\)/);
  } finally {
    for (const c of held) c.destroy();
    const exited = new Promise((r) => x.once('exit', r));
    x.kill('SIGTERM');
    await exited;
  }
});

test('connections are logged to syslog (a dk syslogd here) and to a log_type FILE, with the log_on_* fields', async () => {
  const { startSyslogd } = await import('../helpers/syslogd.js');
  const { mkdirSync, readFileSync, existsSync } = await import('node:fs');
  mkdirSync(f('sys'), { recursive: true });
  const sys = await startSyslogd(f('sys'), [`daemon.* ${f('sys/daemon.log')}`]);
  writeFileSync(
    f('logged.conf'),
    [
      'service catlog\n{\n  type = UNLISTED\n  port = 0\n  bind = 127.0.0.1\n  socket_type = stream\n  wait = no\n  user = nobody\n  server = /bin/cat\n  only_from = 10.0.0.0\n}',
      `service catfile\n{\n  type = UNLISTED\n  port = 0\n  bind = 127.0.0.1\n  socket_type = stream\n  wait = no\n  user = nobody\n  server = /bin/cat\n  log_type = FILE ${f('catfile.log')}\n  log_on_success = PID DURATION\n}`,
      'service catsys\n{\n  type = UNLISTED\n  port = 0\n  bind = 127.0.0.1\n  socket_type = stream\n  wait = no\n  user = nobody\n  server = /bin/cat\n  log_type = SYSLOG daemon notice\n  log_on_success = HOST EXIT\n}',
    ].join('\n'),
  );
  const x = spawn(
    process.execPath,
    [DK, 'inetd', '-f', '--syslog-socket', sys.sock, '--xinetd', '--hosts-allow', '/dev/null', '--hosts-deny', '/dev/null', f('logged.conf')],
    { stdio: ['ignore', 'ignore', 'pipe'], env: ENV },
  );
  let xerr = '';
  x.stderr!.on('data', (b: Buffer) => (xerr += b.toString()));
  const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
  try {
    await until(() => (xerr.match(/listening on/g) ?? []).length === 3, 'the listeners');
    const port = (id: string) => Number(new RegExp(`${id} listening on tcp 127\\.0\\.0\\.1:(\\d+)`).exec(xerr)![1]);
    assert.equal(await ask(port('catlog'), 'refused\n'), '');
    assert.equal(await ask(port('catfile'), 'to a file\n'), 'to a file\n');
    assert.equal(await ask(port('catsys'), 'to syslog\n'), 'to syslog\n');
    await until(() => /EXIT: catfile/.test(read(f('catfile.log'))) && /EXIT: catsys/.test(read(f('sys/daemon.log'))), 'the exit lines');
    const sysLines = read(f('sys/daemon.log'));
    assert.match(sysLines, / dk-inetd\[\d+\]: FAIL: catlog address from=127\.0\.0\.1$/m);
    assert.match(sysLines, / dk-inetd\[\d+\]: catlog: not in only_from \(from=127\.0\.0\.1\)$/m);
    assert.match(sysLines, / dk-inetd\[\d+\]: START: catsys from=127\.0\.0\.1$/m);
    assert.match(sysLines, / dk-inetd\[\d+\]: EXIT: catsys status=0$/m);
    const fileLines = read(f('catfile.log'));
    assert.match(fileLines, /^\d\d\/\d{1,2}\/\d{1,2}@\d\d:\d\d:\d\d: START: catfile pid=\d+$/m);
    assert.match(fileLines, /^\d\d\/\d{1,2}\/\d{1,2}@\d\d:\d\d:\d\d: EXIT: catfile pid=\d+ duration=\d+\(sec\)$/m);
  } finally {
    const exited = new Promise((r) => x.once('exit', r));
    x.kill('SIGTERM');
    await exited;
    await sys.stop();
  }
});
