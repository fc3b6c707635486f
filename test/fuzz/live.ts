/**
 * Live byte-level fuzzing: dk syslogd (local datagram socket, UDP, TCP),
 * dk rpcbind (UDP, TCP, its local stream socket) and dk inetd (echo over
 * TCP and UDP) run as real processes in a temp dir on loopback ports, and
 * get batches of fuzz inputs (random bytes and mutated real messages) on
 * each socket kind. After every batch the daemon must answer a valid
 * request on the same kind of socket (a message written, a GETPORT
 * answered, an echo), and at the end it must still run; its peak RSS is
 * reported. Used by `npm run fuzz` (many cases) and by a test (few).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { octetFrame } from '../../src/syslog/protocol/framing.js';
import { encodeCall, NULL_AUTH } from '../../src/rpc/message.js';
import { encodeRecord } from '../../src/rpc/record.js';
import { rpcCall, type Transport } from '../../src/rpc/client.js';
import { UnixDatagramClient } from '../../src/sys/unixdgram.js';
import { DK, ENV } from '../helpers/dk.js';
import { inputs } from './targets.js';

export interface LiveResult {
  daemon: string;
  socket: string;
  cases: number;
  batches: number;
  /** every batch followed by an answered valid request, and the daemon still running */
  ok: boolean;
  peakRssMiB: number;
  problem?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await sleep(10);
  }
  return false;
}

function daemon(args: string[], kids: ChildProcess[]): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, [DK, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  kids.push(child);
  let log = '';
  child.stderr!.on('data', (b: Buffer) => {
    // bounded: a fuzzed daemon may log a lot
    log = (log + b.toString()).slice(-65536);
  });
  return { child, log: () => log };
}

const peak = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0) / 1024;

/** the last bytes of a file (markers are looked for there only: the file grows with the fuzz) */
function tail(path: string, n = 1 << 18): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(path).size;
    const b = Buffer.alloc(Math.min(n, size));
    readSync(fd, b, 0, b.length, size - b.length);
    return b.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

function sendUdp(port: number, bufs: Buffer[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  let left = bufs.length;
  return new Promise((resolve) => {
    if (!left) return s.close(() => resolve());
    for (const b of bufs)
      s.send(b, port, '127.0.0.1', () => {
        if (--left === 0) s.close(() => resolve());
      });
  });
}

/** each input on a connection of its own, sent whole, then the connection closed */
async function sendTcp(port: number | string, bufs: Buffer[]): Promise<void> {
  const per = 20;
  for (let i = 0; i < bufs.length; i += per)
    await Promise.all(
      bufs.slice(i, i + per).map(
        (b) =>
          new Promise<void>((resolve) => {
            const c = typeof port === 'number' ? net.connect(port, '127.0.0.1') : net.connect(port);
            c.on('error', () => resolve());
            c.on('close', () => resolve());
            c.on('connect', () => c.end(b));
            c.setTimeout(2000, () => c.destroy());
            c.resume();
          }),
      ),
    );
}

const SYSLOG_SEEDS = [
  '<13>Dec  1 06:00:00 host app[42]: hello world',
  '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - [exampleSDID@32473 iut="3"] message',
  "<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
].map((s) => Buffer.from(s));
const RPC_SEEDS = [
  encodeCall({
    xid: 1,
    prog: 100000,
    vers: 2,
    proc: 3,
    cred: NULL_AUTH,
    verf: NULL_AUTH,
    args: Buffer.from([0, 1, 0x86, 0xa0, 0, 0, 0, 2, 0, 0, 0, 17, 0, 0, 0, 0]),
  }),
  encodeCall({ xid: 2, prog: 100000, vers: 4, proc: 4, cred: NULL_AUTH, verf: NULL_AUTH, args: Buffer.alloc(0) }),
  encodeCall({ xid: 3, prog: 100000, vers: 3, proc: 2, cred: NULL_AUTH, verf: NULL_AUTH, args: Buffer.alloc(12) }),
];

/** One daemon's socket kind: how fuzz is framed and sent, and the valid request that must be answered after each batch. */
interface Campaign {
  daemon: string;
  socket: string;
  child: ChildProcess;
  seeds: Buffer[];
  /** how an input goes on the wire (default: as it is) */
  frame?: (b: Buffer) => Buffer;
  send: (bufs: Buffer[]) => Promise<void>;
  answered: (batch: number) => Promise<boolean>;
}

async function campaign(c: Campaign, cases: number, batch: number, seed: number): Promise<LiveResult> {
  const arb = inputs(c.seeds);
  const alive = () => c.child.exitCode === null && c.child.signalCode === null;
  let done = 0;
  let batches = 0;
  let problem: string | undefined;
  while (done < cases && !problem) {
    const n = Math.min(batch, cases - done);
    const bufs = fc.sample(arb, { numRuns: n, seed: seed + batches }).map(c.frame ?? ((b) => b));
    await c.send(bufs);
    done += n;
    batches++;
    if (!alive()) problem = `exited after batch ${batches}`;
    else if (!(await c.answered(batches))) problem = `no answer to a valid request after batch ${batches} (seed ${seed + batches - 1})`;
  }
  const p = c.child.pid;
  return { daemon: c.daemon, socket: c.socket, cases: done, batches, ok: !problem && alive(), peakRssMiB: p ? Math.round(peak(p) * 10) / 10 : 0, problem };
}

export async function liveFuzz(o: { casesPerSocket: number; batch?: number; seed?: number }): Promise<LiveResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dk-livefuzz-'));
  const kids: ChildProcess[] = [];
  const batch = o.batch ?? 500;
  const seed = o.seed ?? 1;
  const out: LiveResult[] = [];
  const go = (c: Campaign) => campaign(c, o.casesPerSocket, batch, seed);
  try {
    // dk syslogd: every message to one file; markers are found in its tail
    writeFileSync(join(dir, 'syslog.conf'), `*.* ${join(dir, 'all.log')}\n`);
    const s = daemon(
      [
        'syslogd',
        '-n',
        '-f',
        join(dir, 'syslog.conf'),
        '-p',
        join(dir, 'log'),
        '--udp',
        '127.0.0.1:0',
        '--tcp',
        '127.0.0.1:0',
        '--control',
        join(dir, 's.ctl'),
      ],
      kids,
    );
    await until(() => (s.log().match(/listening on /g)?.length ?? 0) >= 3, 10_000);
    const udpPort = Number(/listening on udp [\d.]+:(\d+)/.exec(s.log())?.[1]);
    const tcpPort = Number(/listening on tcp [\d.]+:(\d+)/.exec(s.log())?.[1]);
    const marker = (kind: string, n: number) => `fuzzmark-${kind}-${n}`;
    const written = (kind: string, n: number) => until(() => tail(join(dir, 'all.log')).includes(marker(kind, n)), 5000);
    const mark = (kind: string, n: number) => Buffer.from(`<14>Dec  1 06:00:00 h fuzz: ${marker(kind, n)}`);
    // blocking sends, as syslog(3): the daemon's reading paces the fuzz
    const local = new UnixDatagramClient(join(dir, 'log'));
    const base = { daemon: 'syslogd', child: s.child, seeds: SYSLOG_SEEDS };
    out.push(
      await go({
        ...base,
        socket: 'unix datagram',
        send: async (bufs) => {
          for (const b of bufs) local.send(b.length ? b : Buffer.from(' '), true);
        },
        answered: async (n) => {
          local.send(mark('unix', n), true);
          return written('unix', n);
        },
      }),
    );
    local.close();
    out.push(
      await go({
        ...base,
        socket: 'UDP',
        send: (bufs) => sendUdp(udpPort, bufs),
        answered: async (n) => {
          await sendUdp(udpPort, [mark('udp', n)]);
          return written('udp', n);
        },
      }),
    );
    out.push(
      await go({
        ...base,
        socket: 'TCP',
        // half framed as a sender would, half raw bytes on the stream
        frame: (b) => (b.length % 2 ? octetFrame(b) : b),
        send: (bufs) => sendTcp(tcpPort, bufs),
        answered: async (n) => {
          await sendTcp(tcpPort, [octetFrame(mark('tcp', n))]);
          return written('tcp', n);
        },
      }),
    );

    // dk rpcbind on a loopback port and a socket of the temp dir
    const rport = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const r = daemon(
      [
        'rpcbind',
        '-d',
        '-h',
        '127.0.0.1',
        '-p',
        String(rport),
        '--socket',
        join(dir, 'rpcbind.sock'),
        '--state-dir',
        join(dir, 'rpcbind'),
        '--control',
        join(dir, 'r.ctl'),
      ],
      kids,
    );
    await until(() => /listening on port/.test(r.log()), 10_000);
    const getport = (t: Transport) => async () => {
      for (let i = 0; i < 3; i++) {
        const a = await rpcCall(t, { prog: 100000, vers: 2, proc: 3, args: Buffer.from([0, 1, 0x86, 0xa0, 0, 0, 0, 2, 0, 0, 0, 17, 0, 0, 0, 0]) }, 1000);
        if ('reply' in a && a.reply.kind === 'accepted' && a.reply.stat === 0) return true;
      }
      return false;
    };
    out.push(
      await go({
        daemon: 'rpcbind',
        socket: 'UDP',
        child: r.child,
        seeds: RPC_SEEDS,
        send: (bufs) => sendUdp(rport, bufs),
        answered: getport({ kind: 'udp', host: '127.0.0.1', port: rport }),
      }),
    );
    out.push(
      await go({
        daemon: 'rpcbind',
        socket: 'TCP',
        child: r.child,
        seeds: RPC_SEEDS,
        frame: (b) => (b.length % 2 ? encodeRecord(b) : b),
        send: (bufs) => sendTcp(rport, bufs),
        answered: getport({ kind: 'tcp', host: '127.0.0.1', port: rport }),
      }),
    );
    out.push(
      await go({
        daemon: 'rpcbind',
        socket: 'unix stream',
        child: r.child,
        seeds: RPC_SEEDS,
        frame: (b) => (b.length % 2 ? encodeRecord(b) : b),
        send: (bufs) => sendTcp(join(dir, 'rpcbind.sock'), bufs),
        answered: getport({ kind: 'unix', path: join(dir, 'rpcbind.sock') }),
      }),
    );

    // dk inetd: echo over TCP and UDP
    writeFileSync(join(dir, 'services'), 'echo 0/tcp\necho 0/udp\n');
    writeFileSync(join(dir, 'inetd.conf'), '127.0.0.1:echo stream tcp nowait root internal\n127.0.0.1:echo dgram udp wait root internal\n');
    for (const w of ['hosts.allow', 'hosts.deny']) writeFileSync(join(dir, w), '');
    const i = daemon(
      [
        'inetd',
        '-d',
        '--syslog-socket',
        join(dir, 'nolog'),
        '--services',
        join(dir, 'services'),
        '--hosts-allow',
        join(dir, 'hosts.allow'),
        '--hosts-deny',
        join(dir, 'hosts.deny'),
        '--control',
        join(dir, 'i.ctl'),
        join(dir, 'inetd.conf'),
      ],
      kids,
    );
    await until(() => (i.log().match(/listening on/g)?.length ?? 0) >= 2, 10_000);
    const echoTcp = Number(/echo\/tcp listening on \S+ \S+:(\d+)/.exec(i.log())?.[1]);
    const echoUdp = Number(/echo\/udp listening on \S+ \S+:(\d+)/.exec(i.log())?.[1]);
    const echoed = (n: number) =>
      new Promise<boolean>((resolve) => {
        const c = net.connect(echoTcp, '127.0.0.1');
        let got = '';
        const want = `echo ${n}\n`;
        c.setTimeout(3000, () => {
          c.destroy();
          resolve(false);
        });
        c.on('error', () => resolve(false));
        c.on('data', (d) => {
          got += d.toString();
          if (got === want) {
            c.end();
            resolve(true);
          }
        });
        c.on('connect', () => c.write(want));
      });
    const echoedUdp = async (n: number) => {
      for (let k = 0; k < 3; k++) {
        const ok = await new Promise<boolean>((resolve) => {
          const u = dgram.createSocket('udp4');
          const t = setTimeout(() => {
            u.close();
            resolve(false);
          }, 1000);
          u.on('message', (m) => {
            clearTimeout(t);
            u.close();
            resolve(m.toString() === `echo ${n}`);
          });
          u.send(`echo ${n}`, echoUdp, '127.0.0.1');
        });
        if (ok) return true;
      }
      return false;
    };
    out.push(
      await go({ daemon: 'inetd', socket: 'TCP (echo)', child: i.child, seeds: SYSLOG_SEEDS, send: (bufs) => sendTcp(echoTcp, bufs), answered: echoed }),
    );
    out.push(
      await go({ daemon: 'inetd', socket: 'UDP (echo)', child: i.child, seeds: SYSLOG_SEEDS, send: (bufs) => sendUdp(echoUdp, bufs), answered: echoedUdp }),
    );
  } finally {
    for (const k of kids) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
    await sleep(50);
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
