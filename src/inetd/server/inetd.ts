/**
 * The super-server: one listener per enabled service; a connection is
 * checked (TCP wrappers, only_from/no_access, limits per source), then
 * answered by an internal service or handed to a spawned server on fds
 * 0, 1, 2 with the configured user, group and arguments. A wait-mode
 * service's listening socket is handed to the server, and not watched
 * until that server exits. Reload keeps the listeners of unchanged
 * services open.
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { loadavg } from 'node:os';
import { basename } from 'node:path';
import { closeFd, dropDatagram, peekSender, rawListen, type RawSocket } from '../../sys/rawsocket.js';
import { Acceptor } from '../../sys/acceptor.js';
import { Readiness } from '../../sys/readiness.js';
import { removeStaleSocket } from '../../sys/stalesocket.js';
import { ident } from '../access/ident.js';
import { hostsAccess, matchClient, type WrapperRule } from '../access/tcpwrappers.js';
import { parseAccessTimes, withinAccessTimes, type Interval } from '../access/times.js';
import type { ServiceConfig } from '../config/service.js';
import { chargenBlock, chargenLine, daytime, timeBytes, udpReplyAllowed } from '../internal/protocols.js';
import { Limits, type LimitConfig } from './limits.js';
import { forgetAccounts, launch, type Server } from './launch.js';
import type { ConnEvent, ConnLogger } from './connlog.js';
import type { ActiveConnection, InetdServiceStatus } from './status.js';

export interface InetdOptions {
  wrappers: { allow: WrapperRule[]; deny: WrapperRule[] };
  /** daemon messages (listening, closed, errors) */
  log(line: string): void;
  /** connection events (START, EXIT, FAIL) */
  events: ConnLogger;
  /** pass every spawned server its socket as fd 3 with LISTEN_FDS=1 too (xinetd: flags = LISTEN_FDS) */
  listenFds?: boolean;
  /** where clients' identd listens (113; tests point elsewhere) */
  identPort?: number;
  /** connections at once from one address for a service without its own per_source (--per-source; 0: none) */
  perSource?: number;
}

/** connections one address may hold at once on a service, unless it or --per-source says otherwise */
export const DEFAULT_PER_SOURCE = 256;

/** inetd's guard against a wait-mode server that exits without taking its datagram or connection */
const WAIT_SPAWNS_PER_MINUTE = 256;
const WAIT_SUSPEND_MS = 60_000;

interface Listener {
  key: string;
  svc: ServiceConfig;
  server?: net.Server;
  /** a nowait TCP service: connections accepted by us (src/sys/acceptor.ts) */
  acceptor?: Acceptor;
  udp?: dgram.Socket;
  /** wait mode: our own socket, handed to the server */
  raw?: RawSocket;
  /** wait mode: the server holding the socket now */
  busy?: Server;
  /** wait mode: recent start times, for the loop guard */
  starts: number[];
  limits: Limits;
  address?: string;
}

const accessIntervals = new WeakMap<ServiceConfig, Interval[]>();

/** why a client is turned away: xinetd's word for it, and ours in full */
interface Refusal {
  code: string;
  reason: string;
}

/** a wait-mode server that is being started */
const PENDING: Server = { pid: 0, kill: () => {} };

const waitMode = (s: ServiceConfig): boolean => s.wait && !s.internal && !s.redirect;

/** What makes two configurations of a service share a listening socket. */
const listenKey = (s: ServiceConfig): string =>
  `${s.protocol} ${s.socketType} ${s.bind ?? '*'} ${s.port === 0 ? `0 ${s.id}` : (s.port ?? s.path)}${waitMode(s) ? ' wait' : ''}`;

/** What a service did since the daemon started (kept across reloads, by service id). */
interface Counters {
  started: number;
  refused: Record<string, number>;
  failed: number;
  active: Set<ActiveConnection>;
}

export class Inetd {
  private listeners = new Map<string, Listener>();
  private readonly counters = new Map<string, Counters>();
  private readonly children = new Set<Server>();
  private readonly internalPorts = new Set<number>([7, 9, 13, 19, 37]);
  private sweeper: NodeJS.Timeout | undefined;
  private readonly ready = new Readiness();

  constructor(private o: InetdOptions) {}

  /** A service's limits, with --per-source for one that sets none (xinetd's per_source = UNLIMITED is none). */
  private limitsOf(svc: ServiceConfig): LimitConfig {
    const d = this.o.perSource ?? DEFAULT_PER_SOURCE;
    if (svc.perSource !== undefined || !d) return svc.perSource === Number.POSITIVE_INFINITY ? { ...svc, perSource: undefined } : svc;
    return { ...svc, perSource: d };
  }

  /** Every connection event is counted for status, then logged. */
  private event(e: ConnEvent): void {
    const c = this.countersOf(e.svc.id);
    if (e.kind === 'start') c.started++;
    else if (e.kind === 'fail') {
      if (e.code) c.refused[e.code] = (c.refused[e.code] ?? 0) + 1;
      else c.failed++;
    }
    this.o.events.log(e);
  }

  private countersOf(id: string): Counters {
    let c = this.counters.get(id);
    if (!c) this.counters.set(id, (c = { started: 0, refused: {}, failed: 0, active: new Set() }));
    return c;
  }

  /** A connection (or a wait-mode server) being served: listed in status until closed() */
  private opened(svc: ServiceConfig, client: string | undefined): ActiveConnection {
    const a: ActiveConnection = { pid: 0, client, since: new Date().toISOString() };
    this.countersOf(svc.id).active.add(a);
    return a;
  }

  private closed(svc: ServiceConfig, a: ActiveConnection): void {
    this.counters.get(svc.id)?.active.delete(a);
  }

  /** Opens what is new, closes what is gone, keeps (and updates) what stays. */
  async apply(services: ServiceConfig[], wrappers = this.o.wrappers): Promise<void> {
    this.o = { ...this.o, wrappers };
    forgetAccounts();
    const wanted = new Map(services.filter((s) => !s.disabled).map((s) => [listenKey(s), s]));
    for (const [key, l] of this.listeners) {
      const next = wanted.get(key);
      if (next) {
        l.svc = next;
        l.limits.update(this.limitsOf(next));
      } else {
        this.closeListener(l);
        this.listeners.delete(key);
        this.o.log(`dk inetd: ${l.svc.id} closed`);
      }
    }
    for (const [key, svc] of wanted) {
      if (this.listeners.has(key)) continue;
      try {
        await this.open(key, svc);
      } catch (e) {
        this.o.log(`dk inetd: ${svc.file}:${svc.line}: ${svc.id}: cannot listen: ${(e as Error).message}`);
      }
    }
    this.sweeper ??= setInterval(() => {
      for (const l of this.listeners.values()) l.limits.sweep();
    }, 10_000);
    this.sweeper.unref();
  }

  private closeListener(l: Listener): void {
    l.server?.close();
    l.acceptor?.close();
    l.udp?.close();
    if (l.raw) {
      this.ready.unwatch(l.raw.fd);
      closeFd(l.raw.fd);
      // the server holding it keeps its own copy until it exits
      if (l.svc.protocol === 'unix') fs.rmSync(l.raw.address, { force: true });
    }
  }

  private async open(key: string, svc: ServiceConfig): Promise<void> {
    const l: Listener = { key, svc, limits: new Limits(this.limitsOf(svc)), starts: [] };
    const v6 = /6$/.test(svc.protocol) || svc.protocol.endsWith('46');
    const host = svc.bind ?? (v6 ? '::' : '0.0.0.0');
    if (waitMode(svc)) {
      if (svc.protocol === 'unix') removeStaleSocket(svc.path!);
      l.raw = rawListen({
        type: svc.socketType === 'dgram' ? 'dgram' : 'stream',
        host: svc.protocol === 'unix' ? svc.path! : host,
        port: svc.port ?? 0,
        unix: svc.protocol === 'unix',
        v6only: /6$/.test(svc.protocol) && !svc.protocol.endsWith('46'),
      });
      l.address = l.raw.address;
      this.listeners.set(key, l);
      this.arm(l);
    } else if (svc.socketType === 'dgram') {
      if (!svc.internal) throw new Error('a datagram service that is not internal must be wait');
      const s = dgram.createSocket({ type: net.isIPv6(host) || (!svc.bind && v6) ? 'udp6' : 'udp4', ipv6Only: svc.protocol === 'udp6' });
      s.on('message', (m, r) => this.datagram(l, s, m, r));
      s.on('error', (e) => this.o.log(`dk inetd: ${svc.id}: ${e.message}`));
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.bind(svc.port ?? 0, host, () => res());
      });
      l.udp = s;
      l.address = `${s.address().address}:${s.address().port}`;
      this.internalPorts.add(s.address().port);
    } else if (svc.protocol !== 'unix') {
      // accepted here, not by net.Server: out of descriptors, clients wait in the backlog instead of being
      // closed unheard; paused, since a spawned server must get every byte the client sent
      const raw = rawListen({ type: 'stream', host, port: svc.port ?? 0, v6only: svc.protocol === 'tcp6', backlog: 1024 });
      l.acceptor = new Acceptor(raw, (c) => this.connection(l, c), { log: this.o.log, who: `dk inetd: ${svc.id}`, paused: true });
      l.address = raw.address;
      if (svc.internal) this.internalPorts.add(raw.port ?? 0);
    } else {
      // paused: a spawned server must get every byte the client sent
      const server = net.createServer({ pauseOnConnect: true }, (c) => this.connection(l, c));
      server.on('error', (e) => this.o.log(`dk inetd: ${svc.id}: ${e.message}`));
      await new Promise<void>((res, rej) => {
        server.once('error', rej);
        removeStaleSocket(svc.path!);
        server.listen(svc.path!, () => res());
      });
      l.server = server;
      const a = server.address();
      l.address = typeof a === 'string' ? a : `${a?.address}:${a?.port}`;
      if (svc.internal && typeof a !== 'string' && a) this.internalPorts.add(a.port);
    }
    this.listeners.set(key, l);
    this.o.log(`dk inetd: ${svc.id} listening on ${svc.protocol} ${l.address}`);
  }

  /** Access: TCP wrappers under the server's name (or the service's), then xinetd's lists. */
  private refused(svc: ServiceConfig, addr: string): Refusal | undefined {
    const daemon = svc.server ? basename(svc.args[0] ?? svc.server) : svc.name;
    const w = hostsAccess(this.o.wrappers.allow, this.o.wrappers.deny, daemon, { addr });
    if (!w.allowed) return { code: 'libwrap', reason: `denied by ${w.rule ? `${w.rule.file}:${w.rule.line}` : 'TCP wrappers'}` };
    if (svc.onlyFrom?.length && !svc.onlyFrom.some((p) => matchClient(xinetdPattern(p), { addr }))) return { code: 'address', reason: 'not in only_from' };
    if (svc.noAccess?.some((p) => matchClient(xinetdPattern(p), { addr }))) return { code: 'address', reason: 'in no_access' };
    return this.unavailable(svc);
  }

  /** access_times and max_load: reasons that do not depend on the client */
  private unavailable(svc: ServiceConfig): Refusal | undefined {
    if (svc.accessTimes?.length) {
      // parsed once per configuration, not per connection (the parser already refused bad ones)
      let t = accessIntervals.get(svc);
      if (!t) {
        const parsed = parseAccessTimes(svc.accessTimes);
        accessIntervals.set(svc, (t = 'bad' in parsed ? [] : parsed));
      }
      if (!withinAccessTimes(t, new Date())) return { code: 'time', reason: 'outside access_times' };
    }
    if (svc.maxLoad !== undefined && loadavg()[0] >= svc.maxLoad)
      return { code: 'load', reason: `load ${loadavg()[0].toFixed(2)} over max_load ${svc.maxLoad}` };
    return undefined;
  }

  /** A wait-mode socket is readable: start its server, unless the datagram's sender is refused. */
  private waitReady(l: Listener): void {
    const { svc, raw } = l;
    if (!raw || this.listeners.get(l.key) !== l) return;
    let host: string | undefined;
    if (svc.socketType === 'dgram') {
      const from = peekSender(raw.fd);
      if (!from && svc.protocol !== 'unix') return this.arm(l);
      host = from?.address;
      const why = host ? this.refused(svc, host) : this.unavailable(svc);
      if (why) {
        dropDatagram(raw.fd);
        this.event({ kind: 'fail', svc, ...why, host });
        return this.arm(l);
      }
    } else {
      // the server accepts, so the client is unknown here (tcpd in the server line checks it, as with inetd)
      const why = this.unavailable(svc);
      if (why) this.event({ kind: 'fail', svc, ...why });
      if (why) return void setTimeout(() => this.arm(l), 1000).unref();
    }
    const now = Date.now();
    l.starts = l.starts.filter((t) => t > now - 60_000);
    if (l.starts.length >= (svc.maxPerMinute ?? WAIT_SPAWNS_PER_MINUTE)) {
      this.o.log(
        `dk inetd: ${svc.id}: started ${l.starts.length} times within a minute (is the server taking its socket?), suspended for ${WAIT_SUSPEND_MS / 1000} s`,
      );
      l.starts = [];
      return void setTimeout(() => this.arm(l), WAIT_SUSPEND_MS).unref();
    }
    l.starts.push(now);
    // not watched while the server starts or runs: arm() waits for busy to clear
    l.busy = PENDING;
    const active = this.opened(svc, host);
    void this.start(svc, raw.fd, host, () => {
      this.closed(svc, active);
      l.busy = undefined;
      this.arm(l);
    }).then((child) => {
      if (child) active.pid = child.pid;
      else this.closed(svc, active);
      if (child && l.busy === PENDING) l.busy = child;
      else if (!child) {
        l.busy = undefined;
        setTimeout(() => this.arm(l), 1000).unref();
      }
    });
  }

  /** Watch a wait-mode socket again, if it is still ours. */
  private arm(l: Listener): void {
    if (l.raw && !l.busy && this.listeners.get(l.key) === l) this.ready.watch(l.raw.fd, () => this.waitReady(l));
  }

  private connection(l: Listener, c: net.Socket): void {
    const svc = l.svc;
    const addr = (c.remoteAddress ?? 'local').replace(/^::ffff:/, '');
    c.on('error', () => {});
    const banner = readBanner(svc.banner);
    const refuse = (r: Refusal) => {
      this.event({ kind: 'fail', svc, ...r, host: addr });
      if (svc.logOnFailure?.includes('USERID')) this.logUserid(svc, c, addr);
      const text = Buffer.concat([banner, readBanner(svc.bannerFail)]);
      if (text.length) c.end(text, () => c.destroy());
      else c.destroy();
    };
    const why = this.refused(svc, addr);
    if (why) return refuse(why);
    const v = l.limits.begin(addr);
    if (!v.ok) return refuse(v);
    const active = this.opened(svc, addr);
    const done = once(() => {
      l.limits.end(addr);
      this.closed(svc, active);
    });
    if (svc.logOnSuccess?.includes('USERID')) this.logUserid(svc, c, addr);
    const go = () => {
      if (svc.redirect) return this.redirect(svc, c, addr, done);
      if (svc.internal) {
        // answered in this process: START with pid=0, as xinetd logs its in-process services
        this.event({ kind: 'start', svc, pid: 0, host: addr });
        return this.internalStream(svc.internal, c, done);
      }
      this.spawnServer(svc, c, addr, done, active);
    };
    const text = Buffer.concat([banner, readBanner(svc.bannerSuccess)]);
    // the banner must be on the wire before the connection changes hands
    if (text.length) c.write(text, () => go());
    else go();
  }

  /** USERID: the client host's identd is asked in parallel; the server does not wait for it. */
  private logUserid(svc: ServiceConfig, c: net.Socket, addr: string): void {
    const [rp, lp] = [c.remotePort, c.localPort];
    if (rp === undefined || lp === undefined) return;
    void ident(addr, rp, lp, { port: this.o.identPort }).then((a) =>
      this.event({ kind: 'userid', svc, host: addr, userid: !a ? 'no answer' : 'error' in a ? `ERROR : ${a.error}` : `${a.os} : ${a.user}` }),
    );
  }

  /** xinetd's redirect: the connection is relayed to another host and port. */
  private redirect(svc: ServiceConfig, c: net.Socket, addr: string, done: () => void): void {
    const started = Date.now();
    // a client that has said all it will say still waits for the answer
    c.allowHalfOpen = true;
    const up = net.connect({ port: svc.redirect!.port, host: svc.redirect!.host, allowHalfOpen: true });
    this.event({ kind: 'start', svc, host: addr });
    up.on('error', (e) => {
      this.event({ kind: 'fail', svc, reason: `redirect to ${svc.redirect!.host}:${svc.redirect!.port}: ${e.message}`, host: addr });
      c.destroy();
    });
    up.on('connect', () => {
      c.pipe(up);
      up.pipe(c);
      c.resume();
    });
    let closed = 0;
    const close = () => {
      if (++closed < 2) return;
      done();
      // as xinetd 2.3.15 logs it: TRAFFIC: id in=N(bytes) out=N(bytes), before the EXIT line
      if (svc.logOnSuccess?.includes('TRAFFIC')) this.event({ kind: 'traffic', svc, inBytes: c.bytesRead, outBytes: c.bytesWritten });
      this.event({ kind: 'exit', svc, status: 0, durationMs: Date.now() - started });
    };
    c.on('close', () => {
      up.destroy();
      close();
    });
    up.on('close', () => {
      c.end();
      close();
    });
  }

  private internalStream(name: string, c: net.Socket, done: () => void): void {
    c.on('close', done);
    c.resume();
    switch (name) {
      case 'echo':
        c.pipe(c);
        return;
      case 'discard':
        c.on('data', () => {});
        return;
      case 'daytime':
        c.end(daytime(new Date()));
        return;
      case 'time':
        c.end(timeBytes(Date.now()));
        return;
      case 'chargen': {
        let n = 0;
        c.on('data', () => {});
        const pump = () => {
          while (!c.destroyed && c.write(chargenBlock(n, 64))) n += 64;
          n += 64;
        };
        c.on('drain', pump);
        pump();
        return;
      }
      default:
        c.end(`${[...this.listeners.values()].map((l) => `${l.svc.id} ${l.address}`).join('\r\n')}\r\n`);
    }
  }

  private datagram(l: Listener, s: dgram.Socket, m: Buffer, r: dgram.RemoteInfo): void {
    const svc = l.svc;
    const addr = r.address.replace(/^::ffff:/, '');
    if (!udpReplyAllowed(r.port, this.internalPorts) || this.refused(svc, addr)) return;
    const reply = (b: Buffer | string) => s.send(b, r.port, r.address);
    switch (svc.internal) {
      case 'echo':
        return reply(m);
      case 'daytime':
        return reply(daytime(new Date()));
      case 'time':
        return reply(timeBytes(Date.now()));
      case 'chargen':
        return reply(chargenLine(Math.floor(Math.random() * 95)));
      default:
        return undefined;
    }
  }

  private spawnServer(svc: ServiceConfig, c: net.Socket, addr: string, done: () => void, active: ActiveConnection): void {
    void this.start(svc, c, addr, done).then((server) => {
      if (server) active.pid = server.pid;
      // the server has its own copy of the connection now (or nobody does)
      c.destroy();
      if (!server) done();
    });
  }

  /** Starts a server on a connection or a wait-mode socket; onExit runs when it is gone. */
  private async start(svc: ServiceConfig, io: net.Socket | number, host: string | undefined, onExit: () => void): Promise<Server | undefined> {
    const started = Date.now();
    let server: Server | undefined;
    const got = await launch({ svc, io, remote: host, listenFds: !!this.o.listenFds || !!svc.flags?.includes('LISTEN_FDS') }, this.ready, (status, signal) => {
      if (server) this.children.delete(server);
      onExit();
      this.event({ kind: 'exit', svc, pid: server?.pid, status, signal, durationMs: Date.now() - started });
    });
    if ('error' in got) {
      this.event({ kind: 'fail', svc, reason: got.error, host });
      return undefined;
    }
    server = got.server;
    this.children.add(server);
    this.event({ kind: 'start', svc, pid: server.pid, host });
    return server;
  }

  status(): { services: InetdServiceStatus[]; active: number } {
    const byId = new Map<string, InetdServiceStatus>();
    for (const l of this.listeners.values()) {
      const svc = l.svc;
      let st = byId.get(svc.id);
      if (!st) {
        const c = this.countersOf(svc.id);
        st = {
          id: svc.id,
          protocol: svc.protocol,
          socketType: svc.socketType,
          wait: svc.wait,
          user: svc.user,
          server: svc.internal
            ? `internal ${svc.internal}`
            : svc.redirect
              ? `redirect ${svc.redirect.host}:${svc.redirect.port}`
              : [svc.server ?? '', ...svc.args.slice(1)].join(' '),
          listeners: [],
          active: [...c.active].map((a) => ({ ...a })),
          started: c.started,
          refused: { ...c.refused },
          failed: c.failed,
          limits: statusLimits(svc, this.limitsOf(svc)),
          defined: `${svc.file}:${svc.line}`,
        };
        byId.set(svc.id, st);
      }
      st.listeners.push(l.address ?? '');
    }
    const services = [...byId.values()];
    return { services, active: services.reduce((n, s) => n + s.active.length, 0) };
  }

  /** Listening addresses, for tests and the "services" internal service. */
  addresses(): Map<string, string> {
    return new Map([...this.listeners.values()].map((l) => [l.svc.id, l.address ?? '']));
  }

  /** Close the listeners; children get graceMs to finish, then SIGTERM. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const l of this.listeners.values()) this.closeListener(l);
    this.listeners.clear();
    const settle = async (ms: number) => {
      const end = Date.now() + ms;
      while (this.children.size && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    };
    await settle(graceMs);
    for (const ch of this.children) ch.kill('SIGTERM');
    // a moment for them to go, so that they are reaped and their exits logged
    await settle(1000);
    this.ready.close();
  }
}

/** xinetd's only_from/no_access: a.b.c.0 means the network a.b.c.0/24, as xinetd reads it. */
function xinetdPattern(p: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.0$/.exec(p);
  if (m) return m[3] === '0' ? (m[2] === '0' ? `${m[1]}.` : `${m[1]}.${m[2]}.`) : `${m[1]}.${m[2]}.${m[3]}.`;
  if (/^[0-9a-f:]+(\/\d+)?$/i.test(p) && p.includes(':')) return `[${p.replace(/\/.*/, '')}]${p.includes('/') ? p.slice(p.indexOf('/')) : ''}`;
  if (p.toLowerCase() === 'localhost') return '127.0.0.1';
  return p;
}

/** A banner file's bytes; a missing one is no banner (xinetd goes on too). */
function readBanner(path: string | undefined): Buffer {
  if (!path) return Buffer.alloc(0);
  try {
    return fs.readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

/** The limits a service runs under: its configuration's, per_source with --per-source's default. */
function statusLimits(svc: ServiceConfig, inForce: LimitConfig): InetdServiceStatus['limits'] {
  const out: InetdServiceStatus['limits'] = {};
  if (svc.instances !== undefined) out.instances = svc.instances;
  if (inForce.perSource !== undefined) out.perSource = inForce.perSource;
  if (svc.cps) out.cps = { perSecond: svc.cps[0], pauseSeconds: svc.cps[1] };
  if (svc.maxPerMinute !== undefined) out.perMinute = svc.maxPerMinute;
  if (svc.maxLoad !== undefined) out.maxLoad = svc.maxLoad;
  if (svc.accessTimes?.length) out.accessTimes = svc.accessTimes;
  if (svc.onlyFrom?.length) out.onlyFrom = svc.onlyFrom;
  if (svc.noAccess?.length) out.noAccess = svc.noAccess;
  return out;
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}
