// dk rpcbind against Debian's rpcbind 1.2.6 (apt-get download + dpkg -x, never
// installed), each on port 111 in a network and mount namespace of its own
// (unshare -nm as root: rpcbind calls setgroups, and runs as _rpc, which a
// passwd mounted in the namespace provides). PMAPPROC_GETPORT calls per
// second: UDP one at a time and 32 outstanding, TCP one at a time and
// pipelined (32 outstanding on one connection). Same client for both.
import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { passwdWithRpcUser, unpackedLibPath } from '../dist/test/helpers/peers.js';
import { unpackDebs } from './lib.mjs';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const N = Number(process.env.RPCBIND_BENCH_N ?? 40000);
const WINDOW = 32;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// PMAPPROC_GETPORT(100000, 2, udp): xid at offset 0, patched per call
const CALL = Buffer.from([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0x86, 0xa0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x86, 0xa0, 0, 0, 0, 2, 0,
  0, 0, 17, 0, 0, 0, 0,
]);

function udpRate(n, window) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    let sent = 0;
    let got = 0;
    let bad = 0;
    const t0 = performance.now();
    const send = () => {
      const b = Buffer.from(CALL);
      b.writeUInt32BE(++sent, 0);
      s.send(b);
    };
    // a lost datagram must not stall the window: resend what is missing after a pause
    let last = got;
    const watchdog = setInterval(() => {
      if (got === last && sent < n + window) for (let i = 0; i < Math.min(window, n - got); i++) send();
      last = got;
    }, 200);
    s.on('message', (m) => {
      if (m.readUInt32BE(20) !== 0 || m.readUInt32BE(24) !== 111) bad++;
      if (++got >= n) {
        clearInterval(watchdog);
        s.close();
        return resolve({ rate: n / ((performance.now() - t0) / 1000), bad });
      }
      if (sent < n) send();
    });
    s.connect(111, '127.0.0.1', () => {
      for (let i = 0; i < window; i++) send();
    });
  });
}

function tcpRate(n, window) {
  return new Promise((resolve) => {
    const c = net.connect(111, '127.0.0.1');
    let sent = 0;
    let got = 0;
    let bad = 0;
    let buf = Buffer.alloc(0);
    const t0 = performance.now();
    const send = () => {
      const b = Buffer.alloc(4 + CALL.length);
      b.writeUInt32BE(0x80000000 + CALL.length, 0);
      CALL.copy(b, 4);
      b.writeUInt32BE(++sent, 4);
      c.write(b);
    };
    c.setNoDelay(true);
    c.on('connect', () => {
      for (let i = 0; i < window; i++) send();
    });
    c.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0) & 0x7fffffff;
        if (buf.length < 4 + len) break;
        if (buf.readUInt32BE(4 + 20) !== 0 || buf.readUInt32BE(4 + 24) !== 111) bad++;
        buf = buf.subarray(4 + len);
        if (++got >= n) {
          c.destroy();
          return resolve({ rate: n / ((performance.now() - t0) / 1000), bad });
        }
        if (sent < n) send();
      }
    });
  });
}

async function measure() {
  await udpRate(2000, WINDOW); // warm-up
  return {
    udpSeq: await udpRate(N / 4, 1),
    udpWin: await udpRate(N, WINDOW),
    tcpSeq: await tcpRate(N / 4, 1),
    tcpPipe: await tcpRate(N, WINDOW),
  };
}

async function waitFor111() {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise((r) => {
      const c = net.connect(111, '127.0.0.1');
      c.on('connect', () => {
        c.destroy();
        r(true);
      });
      c.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error('nothing listens on 111');
}

async function inside(which, x) {
  const child =
    which === 'ours'
      ? spawn(process.execPath, [DK, 'rpcbind', '-f'], { stdio: 'ignore' })
      : spawn(join(x, 'sbin/rpcbind'), ['-f'], { stdio: 'ignore', env: { ...process.env, LD_LIBRARY_PATH: unpackedLibPath(x) } });
  try {
    await waitFor111();
    process.stdout.write(`${JSON.stringify(await measure())}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}

export default async function () {
  if (process.getuid() !== 0) throw new Error("the rpcbind bench needs root: Debian's rpcbind calls setgroups, which a user namespace forbids");
  const dir = mkdtempSync(join(tmpdir(), 'dk-bench-rpcbind-'));
  try {
    const x = unpackDebs(dir, ['rpcbind', 'libwrap0'], 'sbin/rpcbind');
    const passwd = passwdWithRpcUser(dir);
    // alternate the two, three rounds each, and keep each figure's median: a busy
    // moment of the machine then cannot decide a ratio
    const runs = { ours: [], peer: [] };
    for (let round = 0; round < 3; round++)
      for (const which of ['ours', 'peer']) {
        const script = `mount -t tmpfs tmpfs /run && mount --bind "${passwd}" /etc/passwd && ip link set lo up && exec "${process.execPath}" "${SELF}" inside ${which} "${x}"`;
        const r = spawnSync('unshare', ['-nm', 'sh', '-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        runs[which].push(JSON.parse(r.stdout.trim().split('\n').pop()));
      }
    const median = (list, k) => list.map((x) => x[k]).sort((a, b) => a.rate - b.rate)[1];
    const res = Object.fromEntries(Object.entries(runs).map(([w, list]) => [w, Object.fromEntries(Object.keys(list[0]).map((k) => [k, median(list, k)]))]));
    const f = (v) => `${(v.rate / 1000).toFixed(1)}k/s${v.bad ? ` (${v.bad} wrong)` : ''}`;
    const label = { udpSeq: 'UDP sequential', udpWin: `UDP ${WINDOW} outstanding`, tcpSeq: 'TCP sequential', tcpPipe: `TCP pipelined (${WINDOW})` };
    for (const k of Object.keys(label))
      console.log(`rpcbind GETPORT ${label[k]}: ours ${f(res.ours[k])}, peer ${f(res.peer[k])}, ratio ${(res.ours[k].rate / res.peer[k].rate).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'inside') await inside(process.argv[3], process.argv[4]);
