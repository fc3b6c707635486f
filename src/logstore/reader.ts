/**
 * Either store behind one small async interface, for whoever reads logs
 * (dk logs, dk status, the console): select with a filter, and follow what
 * comes in after.
 */
import * as fs from 'node:fs';
import { PgStore } from './postgres.js';
import type { LogFilter } from './query.js';
import type { LogRecord } from './record.js';
import { SqliteStore } from './sqlite.js';

export interface LogReader {
  select(f: LogFilter, keep?: (r: LogRecord) => boolean): AsyncIterable<LogRecord> | Iterable<LogRecord>;
  maxId(): Promise<number> | number;
  close(): Promise<void> | void;
}

export const isPostgres = (db: string): boolean => /^postgres(ql)?:\/\//.test(db);

/** Opens the store; the error's message says what is wrong with --db. */
export async function openReader(db: string): Promise<LogReader> {
  if (isPostgres(db)) {
    const s = new PgStore(db, false);
    try {
      await s.connect();
    } catch (e) {
      throw new Error(`cannot connect to ${db.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@')}: ${(e as Error).message}`);
    }
    return s;
  }
  if (!fs.existsSync(db)) throw new Error(`${db} does not exist (dk syslogd --db FILE creates it)`);
  try {
    return new SqliteStore(db, { readonly: true });
  } catch (e) {
    throw new Error(`cannot open ${db}: ${(e as Error).message}`);
  }
}

export async function collect(it: AsyncIterable<LogRecord> | Iterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/**
 * Calls each with the rows that arrive after id `after`, every intervalMs,
 * until the returned stop() is called (one query at a time; a failed query
 * is tried again at the next tick).
 */
export function follow(
  store: LogReader,
  filter: LogFilter,
  after: number,
  each: (rows: LogRecord[]) => void,
  keep?: (r: LogRecord) => boolean,
  intervalMs = 250,
): () => void {
  let last = after;
  let busy = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void collect(store.select({ ...filter, until: undefined, afterId: last }, keep))
      .then((fresh) => {
        for (const r of fresh) last = Math.max(last, r.id ?? 0);
        if (fresh.length && !stopped) each(fresh);
      })
      .catch(() => {})
      .finally(() => (busy = false));
  }, intervalMs);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
