/**
 * The SQLite log store as a syslogd action: one transaction per `batch`
 * messages or `delayMs`, whichever comes first; `commits` counts them so the
 * daemon acknowledges forwarded messages only once they are committed.
 * Retention is applied in the background.
 */
import { recordOf, type LogRecord } from '../../logstore/record.js';
import { SqliteStore, type Retention } from '../../logstore/sqlite.js';
import type { Received } from './lines.js';
import { failure, type Failure } from './failure.js';
import { HOLD_MAX, Hold, passing } from './hold.js';
import type { Settling } from './outputs.js';

export interface StoreOptions {
  /** where ":sqlite:" without a path and --state-dir put the database */
  defaultPath: string;
  /** --state-dir: forwarding queues live under it (none: queues stay in memory) */
  stateDir?: string;
  /** forwarding queues: memory before spilling, and the total bound */
  queueMem?: number;
  queueMax?: number;
  /** files for @@(tls) actions */
  tls?: import('../forward/tcpforward.js').TlsFiles;
  /** what a file or store action keeps in memory while its disk refuses writes (hold.ts) */
  holdMax?: number;
  /** a transaction per this many messages, or after delayMs, whichever first */
  batch?: number;
  delayMs?: number;
  retention?: Retention;
  /** how often retention runs */
  pruneEveryMs?: number;
  log?: (line: string) => void;
}

export class StoreOutput implements Settling {
  written = 0;
  dropped = 0;
  lastError: Failure | undefined;
  /** transactions committed: what was pending before one is stored after it */
  commits = 0;
  /** set by the daemon: called after each transaction */
  onCommit?: () => void;
  onRelief?: () => void;
  private store: SqliteStore | undefined;
  private pending: LogRecord[] = [];
  /** about the memory the pending records take */
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly pruner: NodeJS.Timeout | undefined;
  private readonly hold: Hold;

  constructor(
    readonly name: string,
    readonly path: string,
    private readonly o: StoreOptions,
  ) {
    this.hold = new Hold(`store ${path}`, o.holdMax ?? HOLD_MAX, () => this.commit(), o.log);
    const e = this.open();
    if (e) o.log?.(`dk syslogd: cannot open the store ${path}: ${(e as Error).message}; messages for it will wait in memory`);
    if (o.retention && (o.retention.maxAgeMs !== undefined || o.retention.maxBytes !== undefined)) {
      this.pruner = setInterval(() => this.prune(), o.pruneEveryMs ?? 60_000);
      this.pruner.unref();
    }
  }

  private open(): unknown {
    try {
      // the daemon's one thread must not sleep long on another process's lock: it retries instead
      this.store = new SqliteStore(this.path, { busyMs: 100 });
      return undefined;
    } catch (e) {
      this.store = undefined;
      return e;
    }
  }

  write(): void {}

  get uncommitted(): number {
    return this.pending.length;
  }

  get queued(): number | undefined {
    return this.hold.holding ? this.pending.length : undefined;
  }

  full(): boolean {
    return this.hold.full(this.pendingBytes);
  }

  writeRecords(recs: Received[]): void {
    for (const r of recs) {
      const rec = recordOf(r);
      const size = ROW_BYTES + rec.msg.length;
      if (this.hold.holding && this.pendingBytes + size > this.hold.maxBytes) {
        this.dropped++;
        this.hold.refuse(1);
        continue;
      }
      this.pending.push(rec);
      this.pendingBytes += size;
    }
    // while the database refuses, the hold's timer tries again; each batch would only wait on the lock
    if (this.hold.holding) return;
    if (this.pending.length >= (this.o.batch ?? 1000)) this.commit();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.commit(), this.o.delayMs ?? 100);
      this.timer.unref();
    }
  }

  private commit(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.pending;
    if (!rows.length) return;
    try {
      if (!this.store) {
        const e = this.open();
        if (e) throw e;
      }
      this.store!.insert(rows);
    } catch (e) {
      // a full disk, a lock held elsewhere, a damaged file: the rows wait (one transaction: none of them got in)
      this.lastError = failure(e);
      if (!passing(e) && this.store) {
        this.dropped += rows.length;
        this.pending = [];
        this.pendingBytes = 0;
        this.o.log?.(`dk syslogd: store ${this.path}: ${(e as Error).message}; ${rows.length} messages dropped`);
        this.settled();
        return;
      }
      if (this.store && /malformed|not a database/i.test((e as Error).message)) {
        this.store.close();
        this.store = undefined;
      }
      this.hold.failed(e);
      return;
    }
    this.written += rows.length;
    this.pending = [];
    this.pendingBytes = 0;
    this.hold.resumed(rows.length);
    this.settled();
  }

  private settled(): void {
    this.commits++;
    this.onCommit?.();
    this.onRelief?.();
  }

  private prune(): void {
    try {
      const n = this.store?.prune(this.o.retention!) ?? 0;
      if (n) this.o.log?.(`dk syslogd: store ${this.path}: retention removed ${n} messages`);
    } catch (e) {
      this.o.log?.(`dk syslogd: store ${this.path}: retention failed: ${(e as Error).message}`);
    }
  }

  reopen(): void {}

  async flush(): Promise<void> {
    this.commit();
  }

  async close(): Promise<void> {
    this.commit();
    this.hold.stop();
    if (this.pending.length) {
      this.dropped += this.pending.length;
      this.o.log?.(`dk syslogd: store ${this.path}: ${this.pending.length} messages not stored at shutdown (${this.lastError?.message})`);
    }
    if (this.pruner) clearInterval(this.pruner);
    this.store?.close();
    this.store = undefined;
  }
}

/** what a pending record takes besides its text, about */
const ROW_BYTES = 200;
