/** Either store behind one small async interface, for `dk logs`. */
import * as fs from 'node:fs';
import { PgStore } from '../logstore/postgres.js';
import type { LogFilter } from '../logstore/query.js';
import type { LogRecord } from '../logstore/record.js';
import { SqliteStore } from '../logstore/sqlite.js';

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
