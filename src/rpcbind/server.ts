/**
 * dk rpcbind's sockets: UDP and TCP on IPv4 and IPv6 (port 111 unless
 * told otherwise) and the local unix socket, each call handed to the
 * PortMapper with what we know of the caller. Bounded: records of at most
 * 64 KiB, a limited number of TCP connections that must not sit idle, and
 * a per-source rate limit for callers that are not on this host.
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { networkInterfaces } from 'node:os';
import { rpcCall } from '../rpc/client.js';
import { encodeRecord, RecordDecoder } from '../rpc/record.js';
import { fromUaddr, toUaddr } from '../rpc/uaddr.js';
import { peerCred } from '../sys/peercred.js';
import { removeStaleSocket } from '../sys/stalesocket.js';
import { Acceptor } from '../sys/acceptor.js';
import { rawListen } from '../sys/rawsocket.js';
import type { CallContext, PortMapper } from './procs.js';
import { SUPERUSER } from './registry.js';

export interface ServerOptions {
  port: number;
  /** addresses (rpcbind -h; here UDP and TCP); loopback is added. Empty: the wildcards. */
  udpHosts: string[];
  /** the local socket, or undefined for none */
  socketPath?: string;
  ipv6: boolean;
  maxConnections?: number;
  /** requests per second per remote source */
  rate?: number;
  log(line: string): void;
}

const MAX_RECORD = 64 * 1024;
const IDLE_MS = 30_000;

export const isLoopback = (a: string): boolean => /^127\./.test(a) || a === '::1' || /^::ffff:127\./.test(a);
const plain = (a: string) => a.replace(/^::ffff:/, '');

/** An address of this host in the family of host, for filling in wildcard registrations. */
function hostAddress(v6: boolean): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const i of list ?? []) if (!i.internal && (i.family === 'IPv6') === v6 && !i.address.startsWith('fe80')) return i.address;
  return undefined;
}

class RateLimit {
  private readonly seen = new Map<string, { second: number; n: number }>();
  constructor(private readonly perSecond: number) {}

  allow(src: string): boolean {
    const second = Math.floor(Date.now() / 1000);
    let e = this.seen.get(src);
    if (!e || e.second !== second) {
      if (this.seen.size > 10_000) this.seen.clear();
      this.seen.set(src, (e = { second, n: 0 }));
    }
    return ++e.n <= this.perSecond;
  }
}

/** what the UDP sockets saw: a flood shows here (and in the kernel's drop counter) */
export interface UdpCounters {
  received: number;
  answered: number;
  /** calls from a remote address over --rate, not answered */
  rateLimited: number;
}

export class RpcbindServer {
  readonly udpCounters: UdpCounters = { received: 0, answered: 0, rateLimited: 0 };
  private udp: dgram.Socket[] = [];
  private tcp: Acceptor[] = [];
  private unix: net.Server | undefined;
  private readonly conns = new Set<net.Socket>();
  private readonly limit: RateLimit;

  constructor(
    private readonly pm: PortMapper,
    private readonly o: ServerOptions,
  ) {
    this.limit = new RateLimit(o.rate ?? 2000);
  }

  /** Listens everywhere asked, then registers portmapper itself as rpcbind does. */
  async start(): Promise<void> {
    const wild4 = this.o.udpHosts.length ? [...new Set(['127.0.0.1', ...this.o.udpHosts.filter((h) => !h.includes(':'))])] : ['0.0.0.0'];
    const wild6 = this.o.udpHosts.length ? [...new Set(['::1', ...this.o.udpHosts.filter((h) => h.includes(':'))])] : ['::'];
    const self: { netid: string; addr: string; v2: boolean }[] = [];
    // with -h, TCP too stays on the given addresses (rpcbind 1.2.6 binds TCP to every address regardless)
    if (this.o.ipv6) {
      for (const h of wild6) await this.listenTcp(h, true);
      self.push({ netid: 'tcp6', addr: toUaddr({ host: wild6.length === 1 ? wild6[0] : '::', port: this.o.port }), v2: false });
      for (const h of wild6) await this.listenUdp(h, true);
      self.push({ netid: 'udp6', addr: toUaddr({ host: wild6.length === 1 ? wild6[0] : '::', port: this.o.port }), v2: false });
    }
    for (const h of wild4) await this.listenTcp(h, false);
    self.push({ netid: 'tcp', addr: toUaddr({ host: wild4.length === 1 ? wild4[0] : '0.0.0.0', port: this.o.port }), v2: true });
    for (const h of wild4) await this.listenUdp(h, false);
    self.push({ netid: 'udp', addr: toUaddr({ host: wild4.length === 1 ? wild4[0] : '0.0.0.0', port: this.o.port }), v2: true });
    if (this.o.socketPath) {
      await this.listenUnix(this.o.socketPath);
      self.push({ netid: 'local', addr: this.o.socketPath, v2: false });
    }
    for (const s of self)
      for (const vers of s.v2 ? [4, 3, 2] : [4, 3]) this.pm.registry.set({ prog: 100000, vers, netid: s.netid, addr: s.addr, owner: SUPERUSER });
  }

  private listenUdp(host: string, v6: boolean): Promise<void> {
    const s = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, reuseAddr: false });
    const n = this.udpCounters;
    const answer = (b: Buffer, r: dgram.RemoteInfo) => {
      n.answered++;
      s.send(b, r.port, r.address);
    };
    s.on('message', (msg, r) => {
      n.received++;
      // the common case without regular expressions: this runs 100k times a second
      const local = r.address === '127.0.0.1' || r.address === '::1' || isLoopback(r.address);
      if (!local && !this.limit.allow(plain(r.address))) return void n.rateLimited++;
      const from = plain(r.address);
      const fast = this.pm.getportFast(msg, from);
      if (fast) return answer(fast, r);
      const ctx: CallContext = {
        netid: v6 ? 'udp6' : 'udp',
        local,
        from: `${from}:${r.port}`,
        addr: from,
        requestSize: msg.length,
        localHost: host === '0.0.0.0' || host === '::' ? (local ? (v6 ? '::1' : '127.0.0.1') : hostAddress(v6)) : host,
      };
      const reply = this.pm.handle(msg, ctx);
      if (reply instanceof Promise) void reply.then((x) => x && answer(x, r));
      else if (reply) answer(reply, r);
    });
    s.on('error', (e) => this.o.log(`dk rpcbind: udp ${host}: ${e.message}`));
    this.udp.push(s);
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind(this.o.port, host, () => resolve());
    });
  }

  /** the UDP ports bound (one per address family) */
  udpPorts(): number[] {
    return [...new Set(this.udp.map((s) => s.address().port))];
  }

  /** accepted here, not by net.Server: out of descriptors, clients wait in the backlog instead of being closed unheard */
  private listenTcp(host: string, v6: boolean): Promise<void> {
    const max = this.o.maxConnections ?? 1024;
    const raw = rawListen({ type: 'stream', host, port: this.o.port, v6only: v6, backlog: 1024 });
    this.tcp.push(
      new Acceptor(
        raw,
        (c) => {
          // as net.Server's maxConnections: one too many is closed at once
          if (this.conns.size >= max) return void c.destroy();
          this.stream(c, v6 ? 'tcp6' : 'tcp');
        },
        { log: this.o.log, who: 'dk rpcbind', clients: 'tcp clients' },
      ),
    );
    return Promise.resolve();
  }

  private listenUnix(path: string): Promise<void> {
    removeStaleSocket(path);
    const srv = net.createServer((c) => this.stream(c, 'local'));
    srv.maxConnections = this.o.maxConnections ?? 1024;
    this.unix = srv;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(path, () => {
        fs.chmodSync(path, 0o666);
        resolve();
      });
    });
  }

  /** One connection: records in, replies out in the same order. */
  private stream(c: net.Socket, netid: string): void {
    this.conns.add(c);
    const unix = netid === 'local';
    const from = unix ? 'local' : plain(c.remoteAddress ?? '');
    const local = unix || isLoopback(from);
    const uid = unix ? peerCred(c)?.uid : undefined;
    const dec = new RecordDecoder(MAX_RECORD);
    let chain = Promise.resolve();
    let pending = 0;
    c.setTimeout(IDLE_MS, () => c.destroy());
    c.on('error', () => {});
    c.on('close', () => this.conns.delete(c));
    c.on('data', (chunk) => {
      const recs = dec.push(chunk);
      if ('error' in recs) {
        this.o.log(`dk rpcbind: ${from}: ${recs.error}; connection closed`);
        return c.destroy();
      }
      for (const msg of recs) {
        if (!local && !this.limit.allow(from)) continue;
        const ctx: CallContext = {
          netid,
          local,
          uid,
          from: unix ? `local (uid ${uid ?? '?'})` : `${from}:${c.remotePort}`,
          addr: unix ? undefined : from,
          requestSize: msg.length,
          localHost: unix ? undefined : plain(c.localAddress ?? ''),
        };
        const reply = (b: Buffer | undefined) => b && !c.destroyed && c.write(encodeRecord(b));
        // answers leave in the order the calls came: a forwarded call holds back the ones after it
        const r = this.pm.handle(msg, ctx);
        if (r instanceof Promise || pending) {
          pending++;
          chain = chain.then(async () => {
            reply(await r);
            pending--;
          });
        } else reply(r);
      }
    });
  }

  async stop(): Promise<void> {
    for (const s of this.udp) s.close();
    for (const s of this.tcp) s.close();
    this.unix?.close();
    for (const c of this.conns) c.destroy();
  }
}

/** CALLIT/INDIRECT with -r: the call goes to the registered UDP service on this host. */
export async function forwardToLocal(
  target: { netid: string; addr: string },
  a: { prog: number; vers: number; proc: number; args: Buffer },
): Promise<Buffer | undefined> {
  const addr = fromUaddr(target.netid, target.addr);
  if (!addr || !('port' in addr)) return undefined;
  const r = await rpcCall(
    { kind: 'udp', host: target.netid.endsWith('6') ? '::1' : '127.0.0.1', port: addr.port },
    { prog: a.prog, vers: a.vers, proc: a.proc, args: a.args },
    3000,
  );
  return 'reply' in r && r.reply.kind === 'accepted' && r.reply.stat === 0 ? r.reply.results : undefined;
}
