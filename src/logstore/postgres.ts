/**
 * The PostgreSQL store (pg): the same table as SQLite, created if missing;
 * a batch is one INSERT ... SELECT FROM unnest() of eleven arrays, so a
 * thousand rows cost one round trip and one statement.
 */
import { createRequire } from 'node:module';
import { selectSql, type LogFilter } from './query.js';
import { columnValues, recordFromRow, type LogRecord } from './record.js';
import { COLUMNS, schemaSql } from './schema.js';

declare const require: NodeJS.Require | undefined;

interface PgClient {
  connect(): Promise<void>;
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  end(): Promise<void>;
  on(ev: 'error', fn: (e: Error) => void): void;
}

const TYPES = ['bigint', 'bigint', 'text', 'smallint', 'smallint', 'text', 'text', 'text', 'text', 'text', 'text'];

export class PgStore {
  private client: PgClient | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    readonly url: string,
    private readonly create = true,
  ) {}

  /** Connects (again, after an error) and makes the table; rejects when the server is away. */
  connect(): Promise<void> {
    this.ready ??= (async () => {
      const req = typeof require === 'function' ? require : createRequire(import.meta.url);
      const pg = req('pg') as { Client: new (o: { connectionString: string; connectionTimeoutMillis: number }) => PgClient };
      const c = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
      c.on('error', () => this.reset());
      try {
        await c.connect();
        if (this.create) for (const s of schemaSql('postgres')) await c.query(s);
      } catch (e) {
        this.ready = undefined;
        void c.end().catch(() => {});
        throw e;
      }
      this.client = c;
    })();
    return this.ready;
  }

  private reset(): void {
    const c = this.client;
    this.client = undefined;
    this.ready = undefined;
    void c?.end().catch(() => {});
  }

  private async q(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    await this.connect();
    try {
      return (await this.client!.query(text, params)).rows;
    } catch (e) {
      // a lost connection is made again on the next call; a bad statement is not ours to retry
      if (!(e as { code?: string }).code || /^08|^57P/.test((e as { code?: string }).code ?? '')) this.reset();
      throw e;
    }
  }

  /** One statement: all rows or none. */
  async insert(rows: LogRecord[]): Promise<void> {
    if (!rows.length) return;
    const cols: unknown[][] = COLUMNS.map(() => []);
    for (const r of rows) {
      const v = columnValues(r);
      for (let i = 0; i < v.length; i++) cols[i].push(v[i]);
    }
    await this.q(`INSERT INTO logs (${COLUMNS.join(', ')}) SELECT * FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`, cols);
  }

  /** Rows in filter order; keep filters further (regex) before the limit, fetching page by page. */
  async *select(f: LogFilter, keep?: (r: LogRecord) => boolean): AsyncGenerator<LogRecord> {
    if (!keep) {
      const q = selectSql(f, 'postgres');
      for (const row of await this.q(q.text, q.params)) yield recordFromRow(row);
      return;
    }
    let n = 0;
    let bound: LogRecord | undefined;
    for (;;) {
      // keyset paging on (received, id) in the filter's order
      const q = selectSql({ ...f, limit: 1000 }, 'postgres');
      let text = q.text;
      const params = [...q.params];
      if (bound) {
        const cmp = f.newestFirst ? '<' : '>';
        params.splice(params.length - 1, 0, bound.received, bound.id!);
        const a = params.length - 2;
        text = text
          .replace(' ORDER BY', `${/ WHERE /.test(text) ? ' AND' : ' WHERE'} (received, id) ${cmp} ($${a}, $${a + 1}) ORDER BY`)
          .replace(/LIMIT \$\d+$/, `LIMIT $${params.length}`);
      }
      const rows = (await this.q(text, params)).map(recordFromRow);
      for (const r of rows) {
        if (!keep(r)) continue;
        yield r;
        if (f.limit !== undefined && ++n >= f.limit) return;
      }
      if (rows.length < 1000) return;
      bound = rows[rows.length - 1];
    }
  }

  async maxId(): Promise<number> {
    return Number((await this.q('SELECT coalesce(max(id), 0) AS n FROM logs'))[0].n);
  }

  async count(): Promise<number> {
    return Number((await this.q('SELECT count(*) AS n FROM logs'))[0].n);
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.ready = undefined;
    await c?.end().catch(() => {});
  }
}
