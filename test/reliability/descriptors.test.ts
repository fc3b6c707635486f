/**
 * Out of descriptors (issue 15): dk syslogd's TCP input and dk inetd under
 * `prlimit --nofile=64` with 200 clients connecting and staying. No busy
 * loop on EMFILE (the daemon's CPU over 5 s under 20% of a core), the
 * connection that was there keeps working, and a client that comes once
 * descriptors are free again is served. dk syslogd accepts connections
 * itself, and so does dk inetd for its TCP services (src/sys/acceptor.ts):
 * clients that come while no descriptor is free wait in the backlog, and
 * are heard once others leave (net.Server's libuv would close them at once).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { DK, ENV } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { figure } from '../helpers/figures.js';
import { lab, sleep } from '../helpers/lab.js';
import { requirePeer } from '../helpers/peers.js';
import { inetdArgs } from '../helpers/inetd.js';
import { freePort } from '../helpers/ports.js';
import { rpcCall } from '../../src/rpc/client.js';

const { f, children } = lab('dk-nofile-');
/** utime + stime of pid, in clock ticks (USER_HZ 100) */
const ticks = (pid: number): number => {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const v = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(v[11]) + Number(v[12]);
};

/** dk ARGS under prlimit --nofile=64:64; the port from its log */
async function limited(args: string[], portLine: RegExp): Promise<{ child: ChildProcess; port: number; log: () => string; pid: () => number }> {
  const child = spawn('prlimit', ['--nofile=64:64', process.execPath, DK, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  await until(() => portLine.test(log), `dk ${args[0]} listening`);
  // prlimit execs the command: the pid is the daemon's
  return { child, port: Number(portLine.exec(log)![1]), log: () => log, pid: () => child.pid! };
}

/** 200 clients that connect (each saying say(i) at once, when given) and stay; how many the daemon closed on them */
async function flood(port: number, say?: (i: number) => string): Promise<{ close: () => void; closedByServer: () => number }> {
  const crowd: net.Socket[] = [];
  let closed = 0;
  let mine = false;
  for (let i = 0; i < 200; i++) {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    c.on('close', () => !mine && closed++);
    if (say) c.on('connect', () => c.write(say(i)));
    crowd.push(c);
  }
  await sleep(500);
  return {
    close: () => {
      mine = true;
      for (const c of crowd) c.end();
    },
    closedByServer: () => closed,
  };
}

async function cpuPercentOver(pid: number, ms: number): Promise<number> {
  const t0 = ticks(pid);
  await sleep(ms);
  return ((ticks(pid) - t0) / 100 / (ms / 1000)) * 100;
}

test('dk syslogd TCP with 64 descriptors and 200 clients that each send a line: no busy loop, none closed unheard, every line written once descriptors free up', async (t) => {
  if (!requirePeer(t, 'prlimit', 'util-linux')) return;
  writeFileSync(f('syslog.conf'), `*.* ${f('messages')}\n`);
  const d = await limited(
    ['syslogd', '-n', '-f', f('syslog.conf'), '-p', f('log.sock'), '--tcp', '127.0.0.1:0', '--control', f('s.ctl')],
    /listening on tcp [\d.]+:(\d+)/,
  );
  const first = net.connect(d.port, '127.0.0.1');
  await new Promise((r) => first.once('connect', r));
  const crowd = await flood(d.port, (i) => `<14>nofile: crowd ${i}\n`);
  const cpu = await cpuPercentOver(d.pid(), 5000);
  first.write('<14>nofile: the first connection still works\n');
  await until(() => readFileSync(f('messages'), 'utf8').includes('the first connection still works'), 'the first connection written');
  // the crowd leaves: the ones that waited in the backlog are taken in turn, their lines still in their sockets
  crowd.close();
  const crowdLines = () =>
    readFileSync(f('messages'), 'utf8')
      .split('\n')
      .filter((l) => / nofile: crowd \d+$/.test(l));
  await until(() => crowdLines().length === 200, 'all 200 crowd lines', 20_000);
  assert.equal(new Set(crowdLines().map((l) => l.split(' ').pop())).size, 200, 'each crowd line once');
  assert.match(d.log(), /out of file descriptors: new tcp clients wait in the backlog until one frees/);
  const late = net.connect(d.port, '127.0.0.1');
  late.on('error', () => {});
  await new Promise((r) => late.once('connect', r));
  late.end('<14>nofile: a late client\n');
  await until(() => readFileSync(f('messages'), 'utf8').includes('a late client'), 'the late client written');
  t.diagnostic(`syslogd: CPU ${cpu.toFixed(1)}% over 5 s, ${crowd.closedByServer()} of 200 clients closed by the server while out of descriptors`);
  assert.ok(cpu < 20, `CPU ${cpu.toFixed(1)}%`);
  assert.equal(crowd.closedByServer(), 0, 'no client closed unheard');
  figure(t, {
    daemon: 'syslogd',
    fault: 'out of descriptors (nofile 64)',
    load: '200 TCP clients connecting and staying',
    held: `CPU ${cpu.toFixed(1)}% of a core over 5 s, 0 closed unheard, all 200 lines written once descriptors freed`,
  });
  first.end();
});

test('dk inetd with 64 descriptors and 200 clients: no busy loop, none closed unheard, an open echo still answers, 200 more each answered in turn', async (t) => {
  if (!requirePeer(t, 'prlimit', 'util-linux')) return;
  writeFileSync(f('services'), 'echo 0/tcp\n');
  writeFileSync(f('inetd.conf'), '127.0.0.1:echo stream tcp nowait root internal\n');
  const d = await limited(inetdArgs(f), /echo\/tcp listening on \S+ \S+:(\d+)/);
  const first = net.connect(d.port, '127.0.0.1');
  let echoed = '';
  first.on('data', (b) => (echoed += b.toString()));
  await new Promise((r) => first.once('connect', r));
  const crowd = await flood(d.port);
  const cpu = await cpuPercentOver(d.pid(), 5000);
  first.write('still here\n');
  await until(() => echoed === 'still here\n', 'the open connection echoed');
  crowd.close();
  await sleep(300);
  const answer = await new Promise<string>((resolve, reject) => {
    const c = net.connect(d.port, '127.0.0.1');
    let got = '';
    c.on('data', (b) => (got += b.toString()));
    c.on('connect', () => c.end('late\n'));
    c.on('close', () => resolve(got));
    c.on('error', reject);
  });
  // 200 at once, each waiting for its echo: more than the descriptors allow, so most wait in the backlog and are answered as others finish
  const answers = await Promise.all(
    Array.from(
      { length: 200 },
      (_, i) =>
        new Promise<string>((resolve) => {
          const c = net.connect(d.port, '127.0.0.1');
          let got = '';
          c.on('connect', () => c.write(`client ${i}\n`));
          c.on('data', (b) => {
            got += b.toString();
            if (got.endsWith('\n')) c.end();
          });
          c.on('close', () => resolve(got));
          c.on('error', () => resolve(got));
        }),
    ),
  );
  t.diagnostic(`inetd: CPU ${cpu.toFixed(1)}% over 5 s, ${crowd.closedByServer()} of 200 clients closed by the server while out of descriptors`);
  figure(t, {
    daemon: 'inetd',
    fault: 'out of descriptors (nofile 64)',
    load: '200 idle echo clients, then 200 more each waiting for its echo',
    held: `CPU ${cpu.toFixed(1)}% of a core over 5 s, ${crowd.closedByServer()} closed unheard, each later client answered in turn`,
  });
  assert.equal(answer, 'late\n');
  assert.ok(cpu < 20, `CPU ${cpu.toFixed(1)}%`);
  assert.equal(crowd.closedByServer(), 0, 'no client closed unheard');
  assert.deepEqual(
    answers.filter((a, i) => a !== `client ${i}\n`),
    [],
  );
  assert.match(d.log(), /echo\/tcp: out of file descriptors: new clients wait in the backlog until one frees/);
  first.end();
});

test('dk rpcbind TCP with 64 descriptors and 200 clients: no busy loop, none closed unheard, 200 GETPORT calls at once each answered', async (t) => {
  if (!requirePeer(t, 'prlimit', 'util-linux')) return;
  const port = await freePort();
  const d = await limited(
    ['rpcbind', '-d', '-h', '127.0.0.1', '-p', String(port), '--socket', 'none', '--state-dir', f('rpcbind'), '--control', f('rpcbind.ctl')],
    /listening on port (\d+)/,
  );
  const crowd = await flood(d.port);
  const cpu = await cpuPercentOver(d.pid(), 5000);
  crowd.close();
  const tcp = { kind: 'tcp' as const, host: '127.0.0.1', port };
  // GETPORT(portmapper, v2, tcp): more calls at once than the descriptors allow, most answered from the backlog
  const getport = Buffer.alloc(16);
  getport.writeUInt32BE(100000, 0);
  getport.writeUInt32BE(2, 4);
  getport.writeUInt32BE(6, 8);
  const results = await Promise.all(Array.from({ length: 200 }, () => rpcCall(tcp, { prog: 100000, vers: 2, proc: 3, args: getport }, 20_000)));
  const answered = results.filter((r) => 'reply' in r).length;
  t.diagnostic(
    `rpcbind: CPU ${cpu.toFixed(1)}% over 5 s, ${crowd.closedByServer()} of 200 idle clients closed by the server, ${answered} of 200 calls answered`,
  );
  assert.ok(cpu < 20, `CPU ${cpu.toFixed(1)}%`);
  assert.equal(crowd.closedByServer(), 0, 'no client closed unheard');
  assert.equal(answered, 200, JSON.stringify(results.find((r) => !('reply' in r))));
  figure(t, {
    daemon: 'rpcbind',
    fault: 'out of descriptors (nofile 64)',
    load: '200 idle TCP clients, then 200 GETPORT calls at once',
    held: `CPU ${cpu.toFixed(1)}% of a core over 5 s, 0 closed unheard, 200 of 200 answered`,
  });
});
