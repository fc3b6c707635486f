/**
 * The PostgreSQL store as a syslogd action. One batch in flight at a time
 * (up to 1000 rows; what arrives meanwhile forms the next batch). When the
 * server is away the batch goes back to the head of the queue and is retried
 * with exponential backoff (0.5 s doubling to 30 s) while the daemon keeps
 * accepting; the queue is bounded (the disk queue of the forwarding work
 * will take the overflow; until then the oldest are dropped and counted).
 */
import { PgStore } from '../../logstore/postgres.js';
import { recordOf, type LogRecord } from '../../logstore/record.js';
import type { Received } from './lines.js';

const BATCH = 1000;

export class PgOutput {
  written = 0;
  dropped = 0;
  retries = 0;
  onRelief?: () => void;
  private readonly store: PgStore;
  private queue: LogRecord[] = [];
  private head = 0;
  private inflight = false;
  private connected = false;
  private retry: NodeJS.Timeout | undefined;
  private backoff = 500;
  private closing = false;
  private idle: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly log: (line: string) => void = () => {},
    private readonly maxQueued = 200_000,
  ) {
    this.store = new PgStore(url);
    this.kick();
  }

  write(): void {}

  writeRecords(recs: Received[]): void {
    for (const r of recs) this.queue.push(recordOf(r));
    const extra = this.queue.length - this.head - this.maxQueued;
    if (extra > 0) {
      this.head += extra;
      this.dropped += extra;
    }
    this.kick();
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  private kick(): void {
    if (this.inflight || this.retry) return;
    if (!this.queued && this.connected) return this.settle();
    this.inflight = true;
    const batch = this.queue.slice(this.head, this.head + BATCH);
    this.head += batch.length;
    if (this.head > 50_000 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const work = batch.length ? this.store.insert(batch) : this.store.connect();
    work.then(
      () => {
        if (!this.connected && this.retries) this.log(`dk syslogd: store ${redact(this.url)}: connected again, ${this.queued + batch.length} queued messages going in`);
        this.connected = true;
        this.backoff = 500;
        this.written += batch.length;
        this.inflight = false;
        this.onRelief?.();
        this.kick();
      },
      (e: Error) => {
        // back to the head of the queue, in order
        this.queue.splice(this.head - batch.length, batch.length, ...batch);
        this.head -= batch.length;
        this.inflight = false;
        if (this.connected || this.retries === 0) this.log(`dk syslogd: store ${redact(this.url)}: ${e.message}; retrying with backoff, ${this.queued} queued`);
        this.connected = false;
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
    // a server that is away must not stop local logging: the queue is bounded instead
    return this.connected ? this.queued * 200 : 0;
  }

  reopen(): void {}

  /** Resolves when everything queued is in, or at once while the server is away. */
  flush(): Promise<void> {
    if ((!this.queued && !this.inflight) || (!this.connected && !this.inflight)) return Promise.resolve();
    return new Promise((r) => {
      this.idle.push(r);
      this.kick();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    if (this.queued) this.log(`dk syslogd: store ${redact(this.url)}: ${this.queued} messages not stored at shutdown`);
    this.dropped += this.queued;
    await this.store.close();
  }
}

/** URLs in logs without their password. */
const redact = (url: string): string => url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
