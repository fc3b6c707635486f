/**
 * The PostgreSQL store as a syslogd action. One batch in flight at a time
 * (up to 1000 rows; what arrives meanwhile forms the next batch). When the
 * server is away the batch goes back to the head of the queue and is retried
 * with exponential backoff (0.5 s doubling to 30 s) while the daemon keeps
 * accepting; the queue is the forwarders' FrameQueue (records as JSON), so
 * with a state directory it spills to disk and survives a restart.
 */
import { PgStore } from '../../logstore/postgres.js';
import { recordOf, type LogRecord } from '../../logstore/record.js';
import { FrameQueue } from '../forward/queue.js';
import { HOLD_MAX } from './hold.js';
import { octetFrame } from '../protocol/framing.js';
import type { Received } from './lines.js';
import { failure, type Failure } from './failure.js';

const BATCH = 1000;

export class PgOutput {
  written = 0;
  retries = 0;
  lastError: Failure | undefined;
  onRelief?: () => void;
  private readonly store: PgStore;
  /** records as JSON in octet frames: the forwarding queue, memory then disk */
  private readonly queue: FrameQueue;
  private inflight: Buffer[] | undefined;
  private connected = false;
  private retry: NodeJS.Timeout | undefined;
  private backoff = 500;
  private closing = false;
  private idle: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly log: (line: string) => void = () => {},
    o: { queueDir?: string; memBytes?: number; maxBytes?: number; holdMax?: number } = {},
  ) {
    this.store = new PgStore(url);
    this.queue = new FrameQueue({
      dir: o.queueDir,
      memBytes: o.memBytes ?? 8 << 20,
      maxBytes: o.maxBytes ?? (o.queueDir ? 1 << 30 : 64 << 20),
      holdBytes: o.holdMax ?? HOLD_MAX,
      log,
      name,
    });
    if (this.queue.length) log(`dk syslogd: ${name}: ${this.queue.length} queued messages from before the restart`);
    this.kick();
  }

  get dropped(): number {
    return this.queue.dropped;
  }

  get queued(): number {
    return this.queue.length + (this.inflight?.length ?? 0);
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

  write(): void {}

  writeRecords(recs: Received[]): void {
    this.queue.push(recs.map((r) => octetFrame(JSON.stringify(recordOf(r)))));
    this.kick();
  }

  private kick(): void {
    if (this.inflight || this.retry || this.closing) return;
    if (!this.queue.length && this.connected) return this.settle();
    const frames: Buffer[] = [];
    while (frames.length < BATCH && this.queue.length) frames.push(...this.queue.shift(64 << 10));
    this.inflight = frames;
    const rows = frames.map((f) => JSON.parse(f.toString('utf8', f.indexOf(0x20) + 1)) as LogRecord);
    const work = rows.length ? this.store.insert(rows) : this.store.connect();
    work.then(
      () => {
        if (!this.connected && this.retries) this.log(`dk syslogd: store ${redact(this.url)}: connected again, ${this.queued} queued messages going in`);
        this.connected = true;
        this.backoff = 500;
        this.written += rows.length;
        this.inflight = undefined;
        this.onRelief?.();
        this.kick();
      },
      (e: Error) => {
        // back to the head of the queue, in order
        this.queue.unshift(frames);
        this.inflight = undefined;
        if (this.connected || this.retries === 0) this.log(`dk syslogd: store ${redact(this.url)}: ${e.message}; retrying with backoff, ${this.queued} queued`);
        this.connected = false;
        this.lastError = failure(e);
        this.retries++;
        this.onRelief?.();
        if (this.closing) return this.settle();
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.kick();
        }, this.backoff);
        this.retry.unref();
        this.backoff = Math.min(this.backoff * 2, 30_000);
      },
    );
  }

  private settle(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const w of waiting) w();
  }

  backlog(): number {
    // a server that is away must not stop local logging: the queue takes it (to disk with a state dir)
    return this.connected ? this.queue.memBytesUsed : 0;
  }

  reopen(): void {}

  /** Resolves when everything queued is in, or at once while the server is away. */
  flush(): Promise<void> {
    if ((!this.queue.length && !this.inflight) || (!this.connected && !this.inflight)) return Promise.resolve();
    return new Promise((r) => {
      this.idle.push(r);
      this.kick();
    });
  }

  /** After flush(): what is left is saved to the disk queue (or counted as dropped without one). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const left = this.queue.length;
    if (left) {
      const kept = this.queue.save();
      this.log(`dk syslogd: store ${redact(this.url)}: ${kept ? `${kept} messages kept in the disk queue` : `${left} messages not stored`} at shutdown`);
    }
    await this.store.close();
  }
}

/** URLs in logs without their password. */
const redact = (url: string): string => url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
