/**
 * The daemon: inputs (local socket, UDP, TCP, kernel) -> parse -> rules ->
 * outputs. Reload on SIGHUP keeps the old configuration when the new one
 * cannot be read; SIGTERM stops the inputs, then writes everything already
 * accepted before exiting.
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { hostname } from 'node:os';
import { describeAction, formatError, loadConfig, matches, NFACILITIES, type Config, type Listener, type Rule } from '../config/conf.js';
import { FrameDecoder } from '../protocol/framing.js';
import { parseMessage } from '../protocol/parse.js';
import { scan3164, type Scan } from '../protocol/fast3164.js';
import { isAckRequest } from '../forward/ack.js';
import { ByteSink } from './bytesink.js';
import { formatLine, stamp3164, type Received } from './lines.js';
import { isSettling, makeOutput, type Output, type Settling } from './outputs.js';
import { StoreOutput, type StoreOptions } from './storeoutput.js';
import type { TlsFiles } from '../forward/tcpforward.js';
import { forEachDatagram, UnixLogSocket } from '../../sys/unixsock.js';
import { udpDropsByPort } from '../../proc/net.js';
import { rawListen, setReceiveBuffer } from '../../sys/rawsocket.js';
import { Acceptor } from '../../sys/acceptor.js';
import { RateMeter } from '../../daemon/rate.js';
import type { ReloadResult } from '../../daemon/runtime.js';
import { route, type Route as MessageRoute } from '../config/route.js';
import { FACILITIES, SEVERITIES } from '../protocol/pri.js';
import type { ActionStatus, InputStatus, SyslogdStatus } from './status.js';

/** A socket the privileged part bound and passed on (privsep/monitor.ts). */
export interface InheritedInput {
  /** listenerKey() of what it serves */
  key: string;
  fd: number;
  /** as bound: ADDRESS:PORT or the path */
  address: string;
  /** UDP: the receive buffer it got */
  recvBuffer?: number;
}

/** how an input is named between the two parts: "unix:PATH", "udp:HOST:PORT" */
export const listenerKey = (l: Listener | { path: string }): string => ('path' in l ? `unix:${l.path}` : `${l.proto}:${l.host ?? ''}:${l.port}`);

export interface SyslogdOptions {
  configPath: string;
  sockets: string[];
  listeners: Listener[];
  maxSize: number;
  /** TCP/TLS: seconds a begun frame may take to end (a client trickling bytes is cut); 0: no limit */
  frameTimeout?: number;
  /** TCP/TLS: connections one source address may hold at once */
  perSource?: number;
  markMinutes?: number;
  kernel?: boolean;
  /** certificate, key and CA files for TLS listeners and @@(tls) actions */
  tls?: TlsFiles;
  /** sockets bound by the privileged part (--user): used instead of binding, by listenerKey */
  inherited?: InheritedInput[];
  /** --db: a store that gets every message, before any rule */
  db?: string;
  store?: StoreOptions;
  log(line: string): void;
}

interface Route {
  rule: Rule;
  output?: Output;
  key: string;
  /** lines waiting for the next write: bytes for outputs that take bytes, strings for the rest */
  sink?: ByteSink;
  lines: string[];
  raw: string[];
  /** messages for a store */
  records: Received[];
  last?: Last;
}

/**
 * The previous message of a route, for "last message repeated": its text
 * (full parser) or its host and rest as ranges of the buffers it came in
 * (fast path; those buffers are never reused by Node).
 */
interface Last {
  count: number;
  at: number;
  text?: string;
  hb?: Buffer;
  hs: number;
  he: number;
  rb?: Buffer;
  rs: number;
  re: number;
}

/** lines of a route gathered before they are written even within one turn of the event loop */
const SINK_LINES = 2048;

const SCAN: Scan = { pri: 0, hostStart: -1, hostEnd: -1, restStart: 0, end: 0 };

interface Acker {
  conn: net.Socket;
  /** messages taken from this connection */
  count: number;
  /** the count last acknowledged */
  sent: number;
  /** counts waiting for outputs to settle (the commits each output must reach) */
  marks: { count: number; need: Map<Settling, number> }[];
}

/** seconds a TCP frame may take from its first byte to its end (--tcp-frame-timeout) */
const DEFAULT_FRAME_TIMEOUT = 30;
/** connections one address may hold on a TCP or TLS input (--tcp-per-source) */
const DEFAULT_PER_SOURCE = 256;

/** what a UDP input asks the kernel to queue: ~80k 100-byte datagrams of a burst (rsyslog's imudp is told such sizes too) */
const UDP_RECEIVE_BUFFER = 8 << 20;

interface InputStats {
  /** kind:address, unique per daemon */
  name: string;
  kind: InputStatus['kind'];
  address: string;
  received: number;
  bytes: number;
  errors: number;
  udp?: dgram.Socket;
  /** bytes of kernel receive buffer granted (UDP) */
  recvBuffer?: number;
  /** TCP/TLS connections open now */
  open: number;
  /** TCP/TLS: connections refused for --tcp-per-source, and cut for --tcp-frame-timeout */
  refused: number;
  cut: number;
}

const input = (kind: InputStatus['kind'], address: string): InputStats => ({
  name: `${kind}:${address}`,
  kind,
  address,
  received: 0,
  bytes: 0,
  errors: 0,
  open: 0,
  refused: 0,
  cut: 0,
});

export class Syslogd {
  private routes: Route[] = [];
  private config: Config | undefined;
  private readonly host = hostname().split('.')[0];
  private readonly unix: UnixLogSocket[] = [];
  private readonly udp: dgram.Socket[] = [];
  private readonly tcp: Acceptor[] = [];
  private readonly conns = new Set<net.Socket>();
  /** TCP connections whose sender wants acknowledgements */
  private readonly ackers = new Set<Acker>();
  private readonly inputs = new Map<string, InputStats>();
  /** per PRI value: the routes a fast-path message goes to, or null when one of them needs the full parse */
  private fast: (Route[] | null)[] = [];
  private readonly hostBytes: Buffer;
  private stampSecond = -1;
  private stamp = Buffer.alloc(15);
  private flushScheduled = false;
  private timers: NodeJS.Timeout[] = [];
  /** inputs stopped because an output is behind */
  private paused = false;
  private pauses = 0;
  private recheck: NodeJS.Timeout | undefined;
  private received = 0;
  private meter: RateMeter | undefined;

  constructor(private readonly o: SyslogdOptions) {
    this.hostBytes = Buffer.from(this.host);
  }

  /** Problems of the configuration file as it is on disk now. */
  check(): string[] {
    const cfg = loadConfig(this.o.configPath);
    return cfg.files.length ? cfg.errors.map(formatError) : [`cannot read ${this.o.configPath}`];
  }

  /**
   * Loads the configuration. At start the good lines run even if others
   * are wrong (there is nothing else to run); on reload a configuration
   * with any problem is refused and the running one stays.
   */
  load(strict = false): ReloadResult {
    const cfg = loadConfig(this.o.configPath);
    const problems = cfg.files.length ? cfg.errors.map(formatError) : [`cannot read ${this.o.configPath}`];
    if (!cfg.files.length || (strict && problems.length)) {
      // logrotate's HUP still gets the files reopened when the new configuration is refused
      this.flushPending();
      for (const o of new Set(this.routes.map((r) => r.output))) o?.reopen();
      return { ok: false, problems };
    }
    for (const p of problems) this.o.log(`dk syslogd: ${p}`);
    this.flushPending();
    for (const o of this.stores()) void o.flush();
    this.release();
    if (cfg.umask !== undefined) process.umask(cfg.umask);
    const old = new Map(this.routes.map((r) => [r.key, r]));
    const next: Route[] = [];
    const rules = [...cfg.rules];
    if (this.o.db)
      rules.unshift({
        masks: new Uint8Array(NFACILITIES).fill(0xff),
        action: { kind: 'sqlite', path: this.o.db },
        format: 'traditional',
        selector: '*.*',
        file: '--db',
        line: 0,
      });
    const store: StoreOptions = { defaultPath: 'logs.db', ...this.o.store, log: this.o.log, tls: this.o.tls };
    for (const rule of rules) {
      const key = `${JSON.stringify(rule.action)}`;
      const reuse = old.get(key) ?? next.find((r) => r.key === key);
      const output = reuse?.output ?? makeOutput(rule.action, describeAction(rule.action), store);
      if (output) output.onRelief = () => this.pressure();
      if (isSettling(output)) output.onCommit = () => this.release();
      next.push({ rule, output, key, sink: output?.writeBytes ? new ByteSink() : undefined, lines: [], raw: [], records: [] });
    }
    this.fast = fastTable(next);
    // outputs no longer named by any rule are closed; kept files are reopened (logrotate)
    const keep = new Set(next.map((r) => r.output));
    for (const r of this.routes) if (r.output && !keep.has(r.output)) void r.output.close();
    for (const r of next) r.output?.reopen();
    this.routes = next;
    this.config = cfg;
    return { ok: true, problems };
  }

  async start(): Promise<void> {
    const first = this.load();
    if (!first.ok) throw new Error(first.problems.join('; '));
    this.meter = new RateMeter(() => this.received);
    for (const path of this.o.sockets) {
      const stats = input('unix', path);
      this.inputs.set(stats.name, stats);
      const given = this.inheritedFor(listenerKey({ path }));
      const onBatch = (batch: Buffer, count: number) => this.fromUnix(batch, count, stats);
      this.unix.push(given ? UnixLogSocket.adopt(path, given.fd, this.o.maxSize, onBatch) : UnixLogSocket.open(path, this.o.maxSize, onBatch));
      this.o.log(`dk syslogd: listening on unix ${path}`);
    }
    for (const l of [...this.o.listeners, ...(this.config?.listeners ?? [])]) await this.listen(l);
    if (this.o.markMinutes) {
      this.timers.push(setInterval(() => this.accept(parseMessage('<46>-- MARK --'), 'mark', { app: undefined }), this.o.markMinutes * 60_000));
    }
    // "last message repeated" lines are written at the latest after 30 s
    this.timers.push(setInterval(() => this.flushRepeats(30_000), 10_000));
    if (this.o.kernel) this.kernel();
  }

  private async listen(l: Listener): Promise<void> {
    const host = l.host ?? (l.proto === 'udp' ? '0.0.0.0' : '::');
    const stats = input(l.proto, `${l.host ?? '*'}:${l.port}`);
    this.inputs.set(stats.name, stats);
    if (l.proto === 'udp') {
      // our own socket, so that its receive buffer can pass rmem_max (Node's recvBufferSize cannot); dgram then takes it over
      const given = this.inheritedFor(listenerKey(l));
      const raw = given ?? rawListen({ type: 'dgram', host, port: l.port });
      stats.recvBuffer = given ? given.recvBuffer : setReceiveBuffer(raw.fd, UDP_RECEIVE_BUFFER);
      const s = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
      let lastAddr = '';
      let addrBytes = Buffer.alloc(0);
      s.on('message', (b, rinfo) => {
        stats.received++;
        this.received++;
        stats.bytes += b.length;
        if (rinfo.address !== lastAddr) addrBytes = Buffer.from((lastAddr = rinfo.address));
        this.acceptBytes(b, 0, b.length, stats, addrBytes, lastAddr, undefined, undefined, Date.now());
      });
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.bind({ fd: raw.fd }, () => res());
      });
      s.on('error', () => stats.errors++);
      stats.udp = s;
      this.udp.push(s);
      this.rename(stats, `${s.address().address}:${s.address().port}`);
      this.o.log(`dk syslogd: listening on udp ${s.address().address}:${s.address().port}`);
      return;
    }
    const perSource = new Map<string, number>();
    const limit = this.o.perSource ?? DEFAULT_PER_SOURCE;
    const frameMs = (this.o.frameTimeout ?? DEFAULT_FRAME_TIMEOUT) * 1000;
    const onConnection = (c: net.Socket): void => {
      const peer = (c.remoteAddress ?? '').replace(/^::ffff:/, '');
      const held = perSource.get(peer) ?? 0;
      if (held >= limit) {
        // one source holding every connection would starve the others
        stats.refused++;
        this.o.log(`dk syslogd: ${peer} already holds ${held} ${l.proto} connections (--tcp-per-source ${limit}): one more refused`);
        c.destroy();
        return;
      }
      perSource.set(peer, held + 1);
      this.conns.add(c);
      stats.open++;
      const dec = new FrameDecoder(this.o.maxSize);
      const peerBytes = Buffer.from(peer);
      let now = 0;
      const ack: Acker = { conn: c, count: 0, sent: 0, marks: [] };
      let first = true;
      const take = (b: Buffer, s: number, e: number, truncated: boolean): void => {
        if (first) {
          first = false;
          // a forwarding dk syslogd asks to be told what is written (forward/ack.ts)
          if (!truncated && isAckRequest(b, s, e)) {
            this.ackers.add(ack);
            // at once, before anything is written: the sender learns it talks to a peer that acknowledges
            // however long the first commit takes, and keeps what it sends until acknowledged
            c.write('ACK 0\n');
            return;
          }
        }
        ack.count++;
        stats.received++;
        this.received++;
        if (truncated) stats.errors++;
        if (!truncated) return this.acceptBytes(b, s, e, stats, peerBytes, peer, undefined, undefined, now);
        const m = parseMessage(b.subarray(s, e), { maxSize: this.o.maxSize });
        m.truncated = true;
        this.accept(m, stats.name, { host: peer });
      };
      // slowloris: a frame begun must end within frameMs, however slowly its bytes come; a connection
      // between frames may stay quiet as long as it likes (forwarders keep theirs open)
      let slow: NodeJS.Timeout | undefined;
      const cut = (): void => {
        slow = undefined;
        if (!dec.partial) return;
        // held back by us (outputs behind), not by the client: look again later
        if (this.paused) {
          slow = setTimeout(cut, frameMs);
          return;
        }
        stats.cut++;
        this.o.log(`dk syslogd: ${peer}: a frame not finished within ${frameMs / 1000} s: connection closed (--tcp-frame-timeout)`);
        c.destroy();
      };
      c.on('data', (d: Buffer) => {
        now = Date.now();
        stats.bytes += d.length;
        dec.feed(d, take);
        if (!frameMs) return;
        if (!dec.partial) {
          clearTimeout(slow);
          slow = undefined;
        } else if (!slow) slow = setTimeout(cut, frameMs);
      });
      if (this.paused) c.pause();
      c.on('end', () => dec.finish(take));
      c.on('error', () => stats.errors++);
      c.on('close', () => {
        clearTimeout(slow);
        stats.open--;
        const left = (perSource.get(peer) ?? 1) - 1;
        if (left > 0) perSource.set(peer, left);
        else perSource.delete(peer);
        this.conns.delete(c);
        this.ackers.delete(ack);
      });
    };
    // RFC 5425: the same octet-counted frames, inside TLS (the server takes each connection we accept, as Node's own)
    let take = onConnection;
    if (l.proto === 'tls') {
      const server = tls.createServer(this.tlsServerOptions(), onConnection);
      server.on('tlsClientError', (e: Error) => this.o.log(`dk syslogd: TLS client refused: ${e.message}`));
      take = (c) => server.emit('connection', c);
    }
    // accepted here, not by net.Server: out of descriptors, clients wait in the backlog instead of being closed unheard
    const raw = this.inheritedFor(listenerKey(l)) ?? rawListen({ type: 'stream', host, port: l.port, backlog: 1024 });
    const acceptor = new Acceptor(raw, take, { log: this.o.log, who: 'dk syslogd', clients: `${l.proto} clients` });
    this.tcp.push(acceptor);
    this.rename(stats, raw.address);
    this.o.log(`dk syslogd: listening on ${l.proto} ${raw.address}`);
  }

  private inheritedFor(key: string): InheritedInput | undefined {
    return this.o.inherited?.find((i) => i.key === key);
  }

  private tlsServerOptions(): tls.TlsOptions {
    const t = this.o.tls ?? {};
    if (!t.cert || !t.key) throw new Error('--tls needs --tls-cert FILE and --tls-key FILE');
    return {
      cert: fs.readFileSync(t.cert),
      key: fs.readFileSync(t.key),
      // with a CA given, clients must show a certificate it signed (mutual authentication)
      ...(t.ca ? { ca: fs.readFileSync(t.ca), requestCert: true, rejectUnauthorized: true } : {}),
      minVersion: 'TLSv1.2',
    };
  }

  /** an input bound to port 0 is known by the port it got */
  private rename(stats: InputStats, address: string): void {
    this.inputs.delete(stats.name);
    stats.address = address;
    stats.name = `${stats.kind}:${address}`;
    this.inputs.set(stats.name, stats);
  }

  private fromUnix(batch: Buffer, count: number, stats: InputStats): void {
    stats.received += count;
    this.received += count;
    const now = Date.now();
    forEachDatagram(batch, count, (b, s, e, pid, uid) => {
      stats.bytes += e - s;
      if (e - s > this.o.maxSize) stats.errors++;
      this.acceptBytes(b, s, e, stats, this.hostBytes, this.host, pid, uid, now);
    });
  }

  /**
   * One message as bytes: the common RFC 3164 shape bound only for
   * traditional-format byte outputs is written without being parsed into an
   * object; everything else goes through parseMessage and accept().
   */
  private acceptBytes(
    b: Buffer,
    s: number,
    e: number,
    stats: InputStats,
    hostB: Buffer,
    host: string,
    pid: number | undefined,
    uid: number | undefined,
    now: number,
  ): void {
    const routes = e - s <= this.o.maxSize && scan3164(b, s, e, SCAN) ? this.fast[SCAN.pri] : null;
    if (!routes) {
      this.accept(parseMessage(b.subarray(s, e), { maxSize: this.o.maxSize }), stats.name, { host, pid, uid });
      return;
    }
    if (!routes.length) return;
    if (Math.floor(now / 1000) !== this.stampSecond) {
      this.stampSecond = Math.floor(now / 1000);
      this.stamp = Buffer.from(stamp3164(new Date(now)));
    }
    const hb = SCAN.hostStart >= 0 ? b : hostB;
    const hs = Math.max(SCAN.hostStart, 0);
    const he = SCAN.hostStart >= 0 ? SCAN.hostEnd : hostB.length;
    const rs = SCAN.restStart;
    const re = SCAN.end;
    for (const route of routes) {
      const last = route.last;
      if (
        last?.rb &&
        last.re - last.rs === re - rs &&
        last.he - last.hs === he - hs &&
        sameBytes(last.rb, last.rs, b, rs, re - rs) &&
        sameBytes(last.hb!, last.hs, hb, hs, he - hs)
      ) {
        last.count++;
        continue;
      }
      this.flushRepeat(route);
      // reused, not reallocated: one object per message is what the GC would notice
      const l = (route.last ??= { count: 0, at: now, hs: 0, he: 0, rs: 0, re: 0 });
      l.count = 0;
      l.at = now;
      l.text = undefined;
      l.hb = hb;
      l.hs = hs;
      l.he = he;
      l.rb = b;
      l.rs = rs;
      l.re = re;
      const k = route.sink!;
      k.append(this.stamp, 0, this.stamp.length);
      k.byte(0x20);
      k.append(hb, hs, he);
      k.byte(0x20);
      k.append(b, rs, re);
      k.byte(0x0a);
      if (++k.count >= SINK_LINES) this.writeSink(route);
    }
    this.schedule();
  }

  /** A burst is written in pieces, so it never sits in memory whole. */
  private writeSink(route: Route): void {
    const k = route.sink!;
    const n = k.count;
    route.output?.writeBytes?.(k.take(), n);
  }

  private kernel(): void {
    let s: fs.ReadStream;
    try {
      s = fs.createReadStream('/dev/kmsg');
    } catch {
      return this.o.log('dk syslogd: cannot read /dev/kmsg');
    }
    const stats = input('kernel', '/dev/kmsg');
    this.inputs.set(stats.name, stats);
    s.on('data', (chunk) => {
      stats.bytes += chunk.length;
      for (const rec of chunk.toString().split('\n')) {
        const m = /^(\d+),\d+,\d+,[^;]*;(.*)$/.exec(rec);
        if (!m) continue;
        stats.received++;
        this.received++;
        this.accept(parseMessage(`<${Number(m[1]) & 0xff}>kernel: ${m[2]}`), 'kernel', {});
      }
    });
    s.on('error', () => {
      stats.errors++;
      this.o.log('dk syslogd: /dev/kmsg read failed');
    });
  }

  /** One message in: every matching rule gets its line. */
  accept(msg: ReturnType<typeof parseMessage>, input: string, from: { host?: string; pid?: number; uid?: number; app?: undefined }): void {
    const r: Received = { msg, at: new Date(), host: from.host ?? this.host, pid: from.pid, uid: from.uid, input };
    let raw: string | undefined;
    for (const route of this.routes) {
      if (!matches(route.rule, msg.facility, msg.severity)) continue;
      if (route.rule.action.kind === 'discard') break;
      if (!route.output) continue;
      if (route.output.writeRecords) {
        route.records.push(r);
        this.schedule();
        continue;
      }
      const line = formatLine(r, route.rule.format);
      const forward = route.rule.action.kind === 'udp' || route.rule.action.kind === 'tcp';
      // sysklogd's duplicate suppression, for local destinations
      if (!forward) {
        const text = `${r.host} ${msg.app ?? ''} ${msg.procId ?? ''} ${msg.msg}`;
        if (route.last && route.last.text === text) {
          route.last.count++;
          continue;
        }
        this.flushRepeat(route);
        route.last = { text, count: 0, at: Date.now(), hs: 0, he: 0, rs: 0, re: 0 };
      }
      raw ??= route.rule.format === 'rfc5424' ? line : `<${msg.facility * 8 + msg.severity}>${line}`;
      this.queue(route, line, forward ? raw : line);
    }
  }

  private queue(route: Route, line: string, raw: string): void {
    const k = route.sink;
    if (k) {
      k.text(line);
      k.byte(0x0a);
      k.count++;
    } else {
      route.lines.push(line);
      route.raw.push(raw);
    }
    this.schedule();
  }

  private schedule(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushPending());
    }
  }

  private flushPending(): void {
    this.flushScheduled = false;
    for (const route of this.routes) {
      if (route.sink?.count) this.writeSink(route);
      if (route.records.length) {
        const recs = route.records;
        route.records = [];
        route.output?.writeRecords?.(recs);
      }
      if (route.lines.length) {
        const { lines, raw } = route;
        route.lines = [];
        route.raw = [];
        route.output?.write(lines, raw);
      }
    }
    this.pressure();
    this.acknowledge();
  }

  /**
   * Files are written by now unless their disk refuses (then they hold the
   * lines); what went to a SQLite store is safe once that store's next
   * transaction has ended. Each flush leaves a mark per peer that asked for
   * acknowledgements (its count, and the commit each holding output must
   * reach); marks whose outputs have settled are acknowledged.
   */
  private acknowledge(): void {
    if (!this.ackers.size) return;
    const need = new Map<Settling, number>();
    for (const o of this.settling()) if (o.uncommitted) need.set(o, o.commits + 1);
    for (const a of this.ackers) if (a.count > (a.marks[a.marks.length - 1]?.count ?? a.sent)) a.marks.push({ count: a.count, need });
    this.release();
  }

  /** Sends the acknowledgements whose outputs have settled (an output no longer configured has). */
  private release(): void {
    const live = new Set(this.settling());
    const settled = (need: Map<Settling, number>) => {
      for (const [o, n] of need) if (live.has(o) && o.commits < n) return false;
      return true;
    };
    for (const a of this.ackers) {
      let ok: number | undefined;
      while (a.marks.length && settled(a.marks[0].need)) ok = a.marks.shift()!.count;
      // cumulative: one not sent now is covered by the next
      if (ok !== undefined && ok > a.sent && a.conn.writableLength < 65536) {
        a.conn.write(`ACK ${ok}\n`);
        a.sent = ok;
      }
    }
  }

  /** outputs that may hold what they accepted: files and stores */
  private settling(): Settling[] {
    const out = new Set<Settling>();
    for (const r of this.routes) if (isSettling(r.output)) out.add(r.output);
    return [...out];
  }

  private stores(): StoreOutput[] {
    const out = new Set<StoreOutput>();
    for (const r of this.routes) if (r.output instanceof StoreOutput) out.add(r.output);
    return [...out];
  }

  /**
   * Flow control: when an output holds more than HIGH bytes it cannot hand
   * to the kernel, stop reading TCP connections and the local socket (their
   * senders block in the kernel, nothing is dropped) until it is below LOW.
   * UDP cannot be slowed; its kernel drops are counted instead.
   */
  private pressure(): void {
    let backlog = 0;
    let full = false;
    for (const r of this.routes) {
      backlog = Math.max(backlog, r.output?.backlog?.() ?? 0);
      full ||= r.output?.full?.() ?? false;
    }
    const pause = full || (this.paused ? backlog > Syslogd.LOW : backlog > Syslogd.HIGH);
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.pauses++;
    // while paused, look again now and then: an output's relief may come without an event
    if (pause) {
      this.recheck = setInterval(() => this.pressure(), 200);
      this.recheck.unref();
    } else if (this.recheck) clearInterval(this.recheck);
    for (const c of this.conns) {
      if (pause) c.pause();
      else c.resume();
    }
    for (const u of this.unix) u.pause(pause);
  }

  private static readonly HIGH = 4 << 20;
  private static readonly LOW = 1 << 20;
  private static readonly SHUTDOWN_MS = 5000;

  private flushRepeat(route: Route): void {
    if (!route.last || route.last.count === 0) return;
    const n = route.last.count;
    route.last.count = 0;
    const at = new Date();
    const line = formatLine({ msg: parseMessage(`<46>last message repeated ${n} times`), at, host: this.host, input: 'internal' }, route.rule.format).replace(
      / $/,
      '',
    );
    this.queue(route, line, line);
  }

  private flushRepeats(olderThan: number): void {
    const now = Date.now();
    for (const r of this.routes) if (r.last?.count && now - r.last.at >= olderThan) this.flushRepeat(r);
  }

  status(): SyslogdStatus {
    const drops = this.udp.length ? udpDropsByPort() : undefined;
    const inputs: InputStatus[] = [...this.inputs.values()].map((i) => {
      let kernelDrops: number | undefined;
      if (i.udp && drops) {
        try {
          kernelDrops = drops.get(i.udp.address().port) ?? 0;
        } catch {
          // closed
        }
      }
      const connections = i.kind === 'tcp' || i.kind === 'tls' ? i.open : undefined;
      return {
        kind: i.kind,
        address: i.address,
        messages: i.received,
        bytes: i.bytes,
        errors: i.errors,
        ...(kernelDrops !== undefined ? { kernelDrops } : {}),
        ...(i.recvBuffer !== undefined ? { recvBuffer: i.recvBuffer } : {}),
        ...(connections !== undefined ? { connections, refused: i.refused, cut: i.cut } : {}),
      };
    });
    const actions: ActionStatus[] = [];
    const byOutput = new Map<Output, ActionStatus>();
    for (const r of this.routes) {
      const at = `${r.rule.file}:${r.rule.line}`;
      const o = r.output;
      const known = o && byOutput.get(o);
      if (known) {
        known.rules.push(at);
        continue;
      }
      const a: ActionStatus = {
        action: o?.name ?? describeAction(r.rule.action),
        kind: r.rule.action.kind,
        rules: [at],
        written: o?.written ?? 0,
        dropped: o?.dropped ?? 0,
        ...(o?.queued !== undefined ? { queued: o.queued } : {}),
        ...(o?.diskBytes !== undefined ? { diskBytes: o.diskBytes } : {}),
        ...(o?.damaged ? { damaged: o.damaged } : {}),
        ...(o?.retries !== undefined ? { retries: o.retries } : {}),
        ...(o?.acknowledged !== undefined ? { acknowledged: o.acknowledged } : {}),
        ...(o?.lastError ? { lastError: o.lastError } : {}),
      };
      if (o) byOutput.set(o, a);
      actions.push(a);
    }
    let backlog = 0;
    for (const r of this.routes) backlog = Math.max(backlog, r.output?.backlog?.() ?? 0);
    const mem = process.memoryUsage();
    return {
      config: this.o.configPath,
      received: this.received,
      rate: this.meter?.rates() ?? { last1s: 0, last10s: 0, last60s: 0 },
      inputs,
      actions,
      flowControl: { paused: this.paused, pauses: this.pauses, backlogBytes: backlog },
      stores: this.stores().map((o) => o.path),
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal, arrayBuffersBytes: mem.arrayBuffers },
    };
  }

  /** Where a message of this facility and level goes under the running configuration. */
  route(facility: number, severity: number): MessageRoute {
    return route(
      this.routes.map((r) => r.rule),
      facility,
      severity,
      { facility: FACILITIES[facility] ?? String(facility), level: SEVERITIES[severity] ?? String(severity) },
    );
  }

  /** Stop receiving, write out everything accepted, close outputs. */
  async stop(): Promise<void> {
    this.meter?.close();
    for (const t of this.timers) clearInterval(t);
    if (this.recheck) clearInterval(this.recheck);
    await Promise.all(this.unix.map((u) => u.close()));
    for (const s of this.udp) s.close();
    for (const s of this.tcp) s.close();
    this.flushRepeats(0);
    // written, committed, acknowledged, and only then the connections close: the senders know what arrived
    this.flushPending();
    for (const o of this.stores()) await o.flush();
    this.release();
    for (const c of this.conns) c.end();
    const outs = new Set(this.routes.map((r) => r.output).filter((x): x is Output => !!x));
    // a forwarding peer gets a bounded time to take what is queued for it
    await Promise.all([...outs].map((o) => Promise.race([o.flush(), new Promise((r) => setTimeout(r, Syslogd.SHUTDOWN_MS).unref())])));
    for (const o of outs) await o.close();
  }
}

/** Equal ranges? A loop here beats a native compare call for lines this short that differ early. */
function sameBytes(a: Buffer, as: number, b: Buffer, bs: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[as + i] !== b[bs + i]) return false;
  return true;
}

/** Per PRI value, the routes in order up to a discard; null if one needs more than a traditional line as bytes. */
function fastTable(routes: Route[]): (Route[] | null)[] {
  const table: (Route[] | null)[] = [];
  for (let pri = 0; pri < 192; pri++) {
    let list: Route[] | null = [];
    for (const r of routes) {
      if (!matches(r.rule, pri >> 3, pri & 7)) continue;
      if (r.rule.action.kind === 'discard') break;
      if (!r.output) continue;
      if (!r.sink || r.rule.format !== 'traditional') {
        list = null;
        break;
      }
      list.push(r);
    }
    table.push(list);
  }
  return table;
}
