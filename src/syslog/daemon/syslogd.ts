/**
 * The daemon: inputs (local socket, UDP, TCP, kernel) -> parse -> rules ->
 * outputs. Reload on SIGHUP keeps the old configuration when the new one
 * cannot be read; SIGTERM stops the inputs, then writes everything already
 * accepted before exiting.
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { hostname } from 'node:os';
import { formatError, loadConfig, matches, type Config, type Listener, type Rule } from '../config/conf.js';
import { FrameDecoder } from '../protocol/framing.js';
import { parseMessage } from '../protocol/parse.js';
import { formatLine, type Received } from './lines.js';
import { makeOutput, type Output } from './outputs.js';
import { UnixLogSocket, type Datagram } from './unixsock.js';

export interface SyslogdOptions {
  configPath: string;
  sockets: string[];
  listeners: Listener[];
  maxSize: number;
  markMinutes?: number;
  kernel?: boolean;
  log(line: string): void;
}

interface Route {
  rule: Rule;
  output?: Output;
  key: string;
  last?: { text: string; count: number; at: number };
}

interface InputStats {
  name: string;
  received: number;
  udpInode?: number;
}

export class Syslogd {
  private routes: Route[] = [];
  private config: Config | undefined;
  private readonly host = hostname().split('.')[0];
  private readonly unix: UnixLogSocket[] = [];
  private readonly udp: dgram.Socket[] = [];
  private readonly tcp: net.Server[] = [];
  private readonly conns = new Set<net.Socket>();
  private readonly inputs = new Map<string, InputStats>();
  private pending = new Map<Route, { lines: string[]; raw: string[] }>();
  private flushScheduled = false;
  private timers: NodeJS.Timeout[] = [];
  /** inputs stopped because an output is behind */
  private paused = false;
  private pauses = 0;

  constructor(private readonly o: SyslogdOptions) {}

  /** Loads the configuration; false when nothing usable could be read. */
  load(): boolean {
    const cfg = loadConfig(this.o.configPath);
    for (const e of cfg.errors) this.o.log(`dk syslogd: ${formatError(e)}`);
    if (!cfg.files.length) return false;
    const old = new Map(this.routes.map((r) => [r.key, r]));
    const next: Route[] = [];
    for (const rule of cfg.rules) {
      const key = `${JSON.stringify(rule.action)}`;
      const reuse = old.get(key) ?? next.find((r) => r.key === key);
      const output = reuse?.output ?? makeOutput(rule.action, key);
      if (output) output.onRelief = () => this.pressure();
      next.push({ rule, output, key });
    }
    // outputs no longer named by any rule are closed; kept files are reopened (logrotate)
    const keep = new Set(next.map((r) => r.output));
    for (const r of this.routes) if (r.output && !keep.has(r.output)) void r.output.close();
    for (const r of next) r.output?.reopen();
    this.routes = next;
    this.config = cfg;
    return true;
  }

  async start(): Promise<void> {
    if (!this.load()) throw new Error(`cannot read ${this.o.configPath}`);
    for (const path of this.o.sockets) {
      const stats: InputStats = { name: `unix:${path}`, received: 0 };
      this.inputs.set(stats.name, stats);
      this.unix.push(UnixLogSocket.open(path, this.o.maxSize, (batch) => this.fromUnix(batch, stats)));
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
    const name = `${l.proto}:${l.host ?? '*'}:${l.port}`;
    const stats: InputStats = { name, received: 0 };
    this.inputs.set(name, stats);
    if (l.proto === 'udp') {
      const s = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 8 << 20 });
      s.on('message', (b, rinfo) => {
        stats.received++;
        this.accept(parseMessage(b, { maxSize: this.o.maxSize }), stats.name, { host: rinfo.address });
      });
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.bind(l.port, host, () => res());
      });
      this.udp.push(s);
      this.rename(stats, `udp:${s.address().address}:${s.address().port}`);
      this.o.log(`dk syslogd: listening on udp ${s.address().address}:${s.address().port}`);
      return;
    }
    const server = net.createServer((c) => {
      this.conns.add(c);
      const dec = new FrameDecoder(this.o.maxSize);
      const peer = c.remoteAddress ?? '';
      const take = (frames: { data: Buffer; truncated: boolean }[]) => {
        for (const f of frames) {
          stats.received++;
          const m = parseMessage(f.data, { maxSize: this.o.maxSize });
          if (f.truncated) m.truncated = true;
          this.accept(m, stats.name, { host: peer.replace(/^::ffff:/, '') });
        }
      };
      c.on('data', (d) => take(dec.push(d)));
      if (this.paused) c.pause();
      c.on('end', () => take(dec.end()));
      c.on('error', () => {});
      c.on('close', () => this.conns.delete(c));
    });
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(l.port, host, () => res());
    });
    this.tcp.push(server);
    const a = server.address() as net.AddressInfo;
    this.rename(stats, `tcp:${a.address}:${a.port}`);
    this.o.log(`dk syslogd: listening on tcp ${a.address}:${a.port}`);
  }

  /** an input bound to port 0 is known by the port it got */
  private rename(stats: InputStats, name: string): void {
    this.inputs.delete(stats.name);
    stats.name = name;
    this.inputs.set(name, stats);
  }

  private fromUnix(batch: Datagram[], stats: InputStats): void {
    stats.received += batch.length;
    for (const d of batch) this.accept(parseMessage(d.data, { maxSize: this.o.maxSize }), stats.name, { pid: d.pid, uid: d.uid });
  }

  private kernel(): void {
    let s: fs.ReadStream;
    try {
      s = fs.createReadStream('/dev/kmsg');
    } catch {
      return this.o.log('dk syslogd: cannot read /dev/kmsg');
    }
    const stats: InputStats = { name: 'kernel', received: 0 };
    this.inputs.set('kernel', stats);
    s.on('data', (chunk) => {
      for (const rec of chunk.toString().split('\n')) {
        const m = /^(\d+),\d+,\d+,[^;]*;(.*)$/.exec(rec);
        if (!m) continue;
        stats.received++;
        this.accept(parseMessage(`<${Number(m[1]) & 0xff}>kernel: ${m[2]}`), 'kernel', {});
      }
    });
    s.on('error', () => this.o.log('dk syslogd: /dev/kmsg read failed'));
  }

  /** One message in: every matching rule gets its line. */
  accept(msg: ReturnType<typeof parseMessage>, input: string, from: { host?: string; pid?: number; uid?: number; app?: undefined }): void {
    const r: Received = { msg, at: new Date(), host: from.host ?? this.host, pid: from.pid, uid: from.uid, input };
    let raw: string | undefined;
    for (const route of this.routes) {
      if (!matches(route.rule, msg.facility, msg.severity)) continue;
      if (route.rule.action.kind === 'discard') break;
      if (!route.output) continue;
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
        route.last = { text, count: 0, at: Date.now() };
      }
      raw ??= route.rule.format === 'rfc5424' ? line : `<${msg.facility * 8 + msg.severity}>${line}`;
      this.queue(route, line, forward ? raw : line);
    }
  }

  private queue(route: Route, line: string, raw: string): void {
    let p = this.pending.get(route);
    if (!p) this.pending.set(route, (p = { lines: [], raw: [] }));
    p.lines.push(line);
    p.raw.push(raw);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushPending());
    }
  }

  private flushPending(): void {
    this.flushScheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    for (const [route, p] of pending) route.output?.write(p.lines, p.raw);
    this.pressure();
  }

  /**
   * Flow control: when an output holds more than HIGH bytes it cannot hand
   * to the kernel, stop reading TCP connections and the local socket (their
   * senders block in the kernel, nothing is dropped) until it is below LOW.
   * UDP cannot be slowed; its kernel drops are counted instead.
   */
  private pressure(): void {
    let backlog = 0;
    for (const r of this.routes) backlog = Math.max(backlog, r.output?.backlog?.() ?? 0);
    const pause = this.paused ? backlog > Syslogd.LOW : backlog > Syslogd.HIGH;
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.pauses++;
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
    const line = formatLine({ msg: parseMessage(`<46>last message repeated ${n} times`), at, host: this.host, input: 'internal' }, route.rule.format).replace(/ $/, '');
    this.queue(route, line, line);
  }

  private flushRepeats(olderThan: number): void {
    const now = Date.now();
    for (const r of this.routes) if (r.last && r.last.count && now - r.last.at >= olderThan) this.flushRepeat(r);
  }

  statistics(): string {
    const lines = ['dk syslogd statistics:'];
    const drops = udpDrops();
    for (const s of this.inputs.values()) lines.push(`  input ${s.name}: received ${s.received}`);
    lines.push(`  flow control: inputs paused ${this.pauses} times${this.paused ? ' (paused now)' : ''}`);
    for (const u of this.udp) {
      try {
        const port = u.address().port;
        const d = drops.get(port);
        if (d !== undefined) lines.push(`  input udp port ${port}: kernel dropped ${d}`);
      } catch {
        // closed
      }
    }
    const seen = new Set<Output>();
    for (const r of this.routes) {
      if (!r.output || seen.has(r.output)) continue;
      seen.add(r.output);
      lines.push(`  action ${r.output.name}: written ${r.output.written}, dropped ${r.output.dropped}`);
    }
    return lines.join('\n');
  }

  /** Stop receiving, write out everything accepted, close outputs. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await Promise.all(this.unix.map((u) => u.close()));
    for (const s of this.udp) s.close();
    for (const s of this.tcp) s.close();
    for (const c of this.conns) c.end();
    this.flushRepeats(0);
    this.flushPending();
    const outs = new Set(this.routes.map((r) => r.output).filter((x): x is Output => !!x));
    // a forwarding peer gets a bounded time to take what is queued for it
    await Promise.all([...outs].map((o) => Promise.race([o.flush(), new Promise((r) => setTimeout(r, Syslogd.SHUTDOWN_MS).unref())])));
    for (const o of outs) if (o.backlog?.()) this.o.log(`dk syslogd: ${o.name}: peer did not take ${o.backlog()} bytes before shutdown`);
    for (const o of outs) await o.close();
  }
}

/** Kernel drop counters of our UDP sockets, by local port, from /proc/net/udp{,6}. */
function udpDrops(): Map<number, number> {
  const out = new Map<number, number>();
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 13) continue;
      const port = parseInt(c[1].split(':')[1], 16);
      out.set(port, (out.get(port) ?? 0) + Number(c[12]));
    }
  }
  return out;
}
