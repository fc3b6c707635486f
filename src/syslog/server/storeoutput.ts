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
  /** a transaction per this many messages, or after delayMs, whichever first */
  batch?: number;
  delayMs?: number;
  retention?: Retention;
  /** how often retention runs */
  pruneEveryMs?: number;
  log?: (line: string) => void;
}

export class StoreOutput {
  written = 0;
  dropped = 0;
  lastError: Failure | undefined;
  /** transactions ended (committed or failed): what was pending before one is settled after it */
  commits = 0;
  /** set by the daemon: called after each transaction */
  onCommit?: () => void;
  private store: SqliteStore | undefined;
  private pending: LogRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly pruner: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    readonly path: string,
    private readonly o: StoreOptions,
  ) {
    this.open();
    if (o.retention && (o.retention.maxAgeMs !== undefined || o.retention.maxBytes !== undefined)) {
      this.pruner = setInterval(() => this.prune(), o.pruneEveryMs ?? 60_000);
      this.pruner.unref();
    }
  }

  private open(): void {
    try {
      this.store = new SqliteStore(this.path);
    } catch (e) {
      this.store = undefined;
      this.o.log?.(`dk syslogd: cannot open the store ${this.path}: ${(e as Error).message}`);
    }
  }

  write(): void {}

  get uncommitted(): number {
    return this.pending.length;
  }

  writeRecords(recs: Received[]): void {
    for (const r of recs) this.pending.push(recordOf(r));
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
    this.pending = [];
    if (!this.store) this.open();
    try {
      if (!this.store) throw new Error('not open');
      this.store.insert(rows);
      this.written += rows.length;
    } catch (e) {
      // the disk queue of the forwarding work will hold these; until then they are counted
      this.dropped += rows.length;
      this.lastError = failure(e);
      this.o.log?.(`dk syslogd: store ${this.path}: ${(e as Error).message}`);
    }
    this.commits++;
    this.onCommit?.();
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
    if (this.pruner) clearInterval(this.pruner);
    this.store?.close();
    this.store = undefined;
  }
}
