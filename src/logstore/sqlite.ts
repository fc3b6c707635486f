/**
 * The embedded store: one SQLite file (libsql, better-sqlite3's API,
 * prebuilt), WAL mode so `dk logs` reads while the daemon writes, one
 * transaction per batch. synchronous=NORMAL in WAL keeps every committed
 * batch across a crash of the process (only a power cut can lose the last
 * ones), which is the promise: a killed daemon loses nothing committed.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { selectSql, type LogFilter } from './query.js';
import { columnValues, recordFromRow, type LogRecord } from './record.js';
import { COLUMNS, schemaSql } from './schema.js';

declare const require: NodeJS.Require | undefined;

interface Statement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
  iterate(...params: unknown[]): IterableIterator<Record<string, unknown>>;
}
interface Database {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  pragma(p: string): unknown;
  close(): void;
}

function openDatabase(path: string, readonly: boolean): Database {
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const Ctor = req('libsql') as new (p: string, o?: { readonly?: boolean; fileMustExist?: boolean }) => Database;
  return new Ctor(path, readonly ? { readonly: true, fileMustExist: true } : {});
}

export interface Retention {
  /** drop rows received longer ago than this (ms) */
  maxAgeMs?: number;
  /** keep the database file under about this many bytes */
  maxBytes?: number;
}

export class SqliteStore {
  private readonly db: Database;
  private readonly insertOne: Statement;
  private readonly insertBlock: Statement;
  private readonly insertMany: (rows: LogRecord[]) => void;

  constructor(
    readonly path: string,
    o: { readonly?: boolean; busyMs?: number } = {},
  ) {
    if (!o.readonly) fs.mkdirSync(dirname(path), { recursive: true });
    this.db = openDatabase(path, !!o.readonly);
    try {
      this.db.pragma(`busy_timeout = ${o.busyMs ?? 5000}`);
      if (!o.readonly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        for (const s of schemaSql('sqlite')) this.db.exec(s);
      }
    } catch (e) {
      // locked, full or not a database: the handle goes, the caller hears why
      this.db.close();
      throw e;
    }
    const values = `(${COLUMNS.map(() => '?').join(', ')})`;
    const insert = (n: number) => this.db.prepare(`INSERT INTO logs (${COLUMNS.join(', ')}) VALUES ${Array(n).fill(values).join(', ')}`);
    this.insertOne = o.readonly ? (undefined as unknown as Statement) : insert(1);
    // one statement per ROWS_PER_INSERT rows: the per-call cost of the binding is most of an insert
    this.insertBlock = o.readonly ? (undefined as unknown as Statement) : insert(ROWS_PER_INSERT);
    // BEGIN/COMMIT by hand: libsql's transaction() answers a failed insert (a full disk) with
    // its own "cannot rollback" once SQLite has rolled back already, and the reason is lost
    this.insertMany = (rows: LogRecord[]) => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        let i = 0;
        for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) {
          const params: unknown[] = [];
          for (let k = i; k < i + ROWS_PER_INSERT; k++) params.push(...columnValues(rows[k]));
          this.insertBlock.run(...params);
        }
        for (; i < rows.length; i++) this.insertOne.run(...columnValues(rows[i]));
        this.db.exec('COMMIT');
      } catch (e) {
        try {
          this.db.exec('ROLLBACK');
        } catch {
          // SQLite rolled back already (SQLITE_FULL, SQLITE_IOERR do)
        }
        throw e;
      }
    };
  }

  /** One transaction: all of rows are stored, or (on an error, thrown) none. */
  insert(rows: LogRecord[]): void {
    if (rows.length) this.insertMany(rows);
  }

  /** Rows in filter order; pass a predicate to filter further (regex) before the limit applies. */
  *select(f: LogFilter, keep?: (r: LogRecord) => boolean): Generator<LogRecord> {
    const q = selectSql(keep ? { ...f, limit: undefined } : f, 'sqlite');
    let n = 0;
    for (const row of this.db.prepare(q.text).iterate(...q.params)) {
      const r = recordFromRow(row);
      if (keep && !keep(r)) continue;
      yield r;
      if (f.limit !== undefined && ++n >= f.limit) return;
    }
  }

  /** the newest id, 0 when empty: where following starts */
  maxId(): number {
    return Number(this.db.prepare('SELECT coalesce(max(id), 0) AS n FROM logs').get()?.n ?? 0);
  }

  count(): number {
    return Number(this.db.prepare('SELECT count(*) AS n FROM logs').get()?.n ?? 0);
  }

  /** Deletes what retention says must go; returns how many rows went. */
  prune(r: Retention, now = Date.now()): number {
    let gone = 0;
    if (r.maxAgeMs !== undefined) gone += this.db.prepare('DELETE FROM logs WHERE received < ?').run(now - r.maxAgeMs).changes;
    if (r.maxBytes !== undefined) {
      const pageSize = this.pragmaNumber('page_size');
      const used = () => (this.pragmaNumber('page_count') - this.pragmaNumber('freelist_count')) * pageSize;
      // oldest tenth at a time until the live pages fit
      for (let i = 0; i < 50 && used() > r.maxBytes; i++) {
        const total = this.count();
        if (!total) break;
        gone += this.db.prepare('DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY id LIMIT ?)').run(Math.max(1, Math.ceil(total / 10))).changes;
      }
    }
    if (gone) this.db.pragma('wal_checkpoint(PASSIVE)');
    return gone;
  }

  /** libsql ignores better-sqlite3's {simple: true}: read the one column ourselves */
  private pragmaNumber(name: string): number {
    return Number(this.db.prepare(`PRAGMA ${name}`).get()?.[name] ?? 0);
  }

  close(): void {
    this.db.close();
  }
}

const ROWS_PER_INSERT = 50;
