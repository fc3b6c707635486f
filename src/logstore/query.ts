/**
 * A `dk logs` filter as SQL, the same for SQLite and PostgreSQL except for
 * placeholders. Pure: the stores run what this returns.
 */
export interface LogFilter {
  /** received time window, ms since the epoch, inclusive */
  since?: number;
  until?: number;
  /** severities to show (0 emerg .. 7 debug) */
  severities?: number[];
  facilities?: number[];
  apps?: string[];
  hosts?: string[];
  pids?: string[];
  /** only rows with a larger id (follow mode) */
  afterId?: number;
  /** only rows older than this one (paging back: the last row of the page before), in (received, id) order */
  before?: { received: number; id: number };
  /** newest first, at most limit; otherwise oldest first */
  newestFirst?: boolean;
  limit?: number;
}

export interface Sql {
  text: string;
  params: (string | number)[];
}

export function selectSql(f: LogFilter, dialect: 'sqlite' | 'postgres'): Sql {
  const params: (string | number)[] = [];
  const p = (v: string | number): string => {
    params.push(v);
    return dialect === 'sqlite' ? '?' : `$${params.length}`;
  };
  const where: string[] = [];
  const list = (col: string, vs: (string | number)[] | undefined) => {
    if (vs === undefined) return;
    where.push(vs.length ? `${col} IN (${vs.map(p).join(', ')})` : '0 = 1');
  };
  if (f.since !== undefined) where.push(`received >= ${p(f.since)}`);
  if (f.until !== undefined) where.push(`received <= ${p(f.until)}`);
  if (f.afterId !== undefined) where.push(`id > ${p(f.afterId)}`);
  // a row-value comparison: the (app|host, received) indexes, which end in the id, walk straight to the page
  if (f.before !== undefined) where.push(`(received, id) < (${p(f.before.received)}, ${p(f.before.id)})`);
  list('app', f.apps);
  list('host', f.hosts);
  list('pid', f.pids);
  // all eight levels or all facilities are no filter at all
  if (f.severities && f.severities.length < 8) list('severity', f.severities);
  if (f.facilities) list('facility', f.facilities);
  const order = f.newestFirst ? 'DESC' : 'ASC';
  let text = `SELECT id, received, reported, host, facility, severity, app, pid, msgid, sd, msg, source FROM logs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY received ${order}, id ${order}`;
  if (f.limit !== undefined) text += ` LIMIT ${p(f.limit)}`;
  return { text, params };
}
