/**
 * @@host:port: octet-counted frames over one TCP connection, through a
 * FrameQueue (memory, then disk in the state directory). With a dk syslogd
 * on the other end, frames stay "unacknowledged" until the peer says they
 * are written, and go back to the front of the queue when the connection
 * drops (at-least-once); with any other peer they count as delivered once
 * handed to the kernel. Reconnects every second while the peer is away.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { octetFrame } from '../protocol/framing.js';
import { ACK_REQUEST, parseAcks } from './ack.js';
import { FrameQueue } from './queue.js';
import { HOLD_MAX } from '../server/hold.js';
import { failure, type Failure } from '../server/failure.js';

export interface TlsFiles {
  /** CA certificates to trust (default: the system's) */
  ca?: string;
  /** our certificate and key, for servers that ask for one */
  cert?: string;
  key?: string;
}

export interface ForwardOptions {
  /** RFC 5425: TLS with the server's certificate checked against ca and the host name */
  tls?: TlsFiles;
  /** directory for this action's disk queue; none: memory only (and then a slow peer slows the inputs) */
  queueDir?: string;
  memBytes?: number;
  maxBytes?: number;
  /** what waits in memory while the disk queue cannot be written */
  holdMax?: number;
  /** how long to wait for the first ACK before treating the peer as one that never sends any */
  ackWaitMs?: number;
  log?: (line: string) => void;
}

const CHUNK = 256 << 10;
/** unacknowledged bytes in flight at most */
const WINDOW = 8 << 20;

export class TcpForward {
  written = 0;
  retries = 0;
  /** messages the peer acknowledged as written, over every connection */
  acknowledged = 0;
  lastError: Failure | undefined;
  onRelief?: () => void;
  private readonly queue: FrameQueue;
  private sock: net.Socket | undefined;
  private connected = false;
  private ackMode: 'waiting' | 'on' | 'off' = 'waiting';
  /**
   * The peer acknowledged on some connection before: it is a dk syslogd, so
   * a later connection waits for its ACK however long it takes (a LOGHOST
   * just restarted, behind on its backlog, stopped) instead of counting what
   * it was sent as delivered, which a kill would then lose.
   */
  private peerAcks = false;
  private unacked: Buffer[] = [];
  private unackedHead = 0;
  private unackedBytes = 0;
  private acked = 0;
  private ackText = '';
  private ackTimer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closing = false;
  /** logged once per distinct message */
  private lastTlsError: string | undefined;

  constructor(
    readonly name: string,
    private readonly host: string,
    private readonly port: number,
    private readonly o: ForwardOptions = {},
  ) {
    this.queue = new FrameQueue({
      dir: o.queueDir,
      memBytes: o.memBytes ?? 8 << 20,
      maxBytes: o.maxBytes ?? (o.queueDir ? 1 << 30 : 16 << 20),
      holdBytes: o.holdMax ?? HOLD_MAX,
      log: o.log,
      name,
    });
    if (this.queue.length) o.log?.(`dk syslogd: ${name}: ${this.queue.length} queued messages from before the restart`);
    this.connect();
  }

  get dropped(): number {
    return this.queue.dropped;
  }

  get queued(): number {
    return this.queue.length + this.unacked.length - this.unackedHead;
  }

  get diskBytes(): number {
    return this.queue.diskBytes;
  }

  get damaged(): number {
    return this.queue.damaged;
  }

  /** the disk queue refuses writes and what waits nears --hold-max */
  full(): boolean {
    return this.queue.full;
  }

  private connect(): void {
    if (this.closing) return;
    const t = this.o.tls;
    let s: net.Socket;
    if (t) {
      const read = (f?: string) => (f ? fs.readFileSync(f) : undefined);
      // certificate checking stays on: a peer that cannot prove who it is gets nothing
      s = tls.connect({
        host: this.host,
        port: this.port,
        servername: net.isIP(this.host) ? undefined : this.host,
        ca: read(t.ca),
        cert: read(t.cert),
        key: read(t.key),
        minVersion: 'TLSv1.2',
      });
      s.on('error', (e: Error) => {
        if (e.message !== this.lastTlsError) this.o.log?.(`dk syslogd: ${this.name}: ${e.message}`);
        this.lastTlsError = e.message;
      });
    } else s = net.connect(this.port, this.host);
    this.sock = s;
    s.setNoDelay(true);
    s.on(t ? 'secureConnect' : 'connect', () => {
      this.lastTlsError = undefined;
      this.connected = true;
      this.ackMode = 'waiting';
      this.acked = 0;
      this.ackText = '';
      s.write(ACK_REQUEST);
      if (!this.peerAcks) {
        this.ackTimer = setTimeout(() => this.noAcks(), this.o.ackWaitMs ?? 3000);
        this.ackTimer.unref();
      }
      this.drain();
    });
    s.on('data', (d: Buffer) => this.onAck(d));
    s.on('drain', () => {
      this.drain();
      this.onRelief?.();
    });
    s.on('error', (e) => (this.lastError = failure(e)));
    s.on('close', () => {
      this.connected = false;
      if (this.ackTimer) clearTimeout(this.ackTimer);
      // not acknowledged: sent again after the reconnect, so nothing is lost (some may come twice)
      this.queue.unshift(this.unacked.slice(this.unackedHead));
      this.unacked = [];
      this.unackedHead = 0;
      this.unackedBytes = 0;
      this.onRelief?.();
      if (!this.closing) {
        this.retries++;
        this.retry = setTimeout(() => this.connect(), 1000);
      }
    });
  }

  private noAcks(): void {
    if (this.ackMode !== 'waiting') return;
    this.ackMode = 'off';
    // a peer that never acknowledges: what it was sent counts as delivered
    this.written += this.unacked.length - this.unackedHead;
    this.unacked = [];
    this.unackedHead = 0;
    this.unackedBytes = 0;
    this.drain();
    this.onRelief?.();
  }

  private onAck(d: Buffer): void {
    const { last, rest } = parseAcks(this.ackText + d.toString('latin1'));
    this.ackText = rest;
    if (last === undefined) return;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackMode = 'on';
    this.peerAcks = true;
    let k = Math.min(last - this.acked, this.unacked.length - this.unackedHead);
    this.acked = last;
    this.written += Math.max(k, 0);
    this.acknowledged += Math.max(k, 0);
    while (k-- > 0) this.unackedBytes -= this.unacked[this.unackedHead++].length;
    if (this.unackedHead > 4096 && this.unackedHead * 2 > this.unacked.length) {
      this.unacked = this.unacked.slice(this.unackedHead);
      this.unackedHead = 0;
    }
    this.drain();
    this.onRelief?.();
  }

  private drain(): void {
    const s = this.sock;
    if (!this.connected || !s) return;
    while (this.queue.length && s.writableLength < CHUNK && (this.ackMode === 'off' || this.unackedBytes < WINDOW)) {
      const frames = this.queue.shift(CHUNK);
      if (!frames.length) break;
      const size = frames.reduce((a, f) => a + f.length, 0);
      if (this.ackMode === 'off') this.written += frames.length;
      else {
        for (const f of frames) this.unacked.push(f);
        this.unackedBytes += size;
      }
      s.write(frames.length === 1 ? frames[0] : Buffer.concat(frames, size));
    }
  }

  write(_lines: string[], raw: string[]): void {
    this.queue.push(raw.map((r) => octetFrame(r)));
    this.drain();
  }

  backlog(): number {
    // with a disk queue a slow peer fills the disk, not the memory; without one it slows the inputs
    if (!this.connected) return 0;
    return (this.o.queueDir ? 0 : this.queue.memBytesUsed) + (this.sock?.writableLength ?? 0);
  }

  reopen(): void {}

  /** Everything queued is acknowledged (or handed over), or the peer is away. */
  async flush(): Promise<void> {
    for (;;) {
      this.drain();
      const s = this.sock;
      const pending = this.queue.length || this.unacked.length > this.unackedHead || (s?.writableLength ?? 0);
      if (!s || !this.connected || !pending) return;
      await new Promise<void>((r) => {
        const t = setTimeout(done, 100);
        function done(): void {
          clearTimeout(t);
          s!.off('drain', done);
          s!.off('close', done);
          s!.off('data', done);
          r();
        }
        s.on('drain', done);
        s.on('close', done);
        s.on('data', done);
      });
    }
  }

  /** After flush(): what is still not delivered is saved to the disk queue (or counted as dropped without one). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.ackTimer) clearTimeout(this.ackTimer);
    const s = this.sock;
    // unacknowledged frames go back first, then memory is written out in front of the disk segments
    this.queue.unshift(this.unacked.slice(this.unackedHead));
    this.unacked = [];
    this.unackedHead = 0;
    const left = this.queue.length;
    const kept = this.queue.save();
    if (left) this.o.log?.(`dk syslogd: ${this.name}: ${kept ? `${kept} messages kept in the disk queue` : `${left} messages not delivered`} at shutdown`);
    if (s && !s.destroyed) s.destroy();
  }
}
