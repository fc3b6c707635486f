/**
 * The table both stores share. Times are integers (ms since the epoch) so
 * that ranges are index scans; the indexes serve `dk logs`' usual questions:
 * "the last N", "by tag", "by host", each within a time window.
 */
export const COLUMNS = ['received', 'reported', 'host', 'facility', 'severity', 'app', 'pid', 'msgid', 'sd', 'msg', 'source'] as const;

export function schemaSql(dialect: 'sqlite' | 'postgres'): string[] {
  const id = dialect === 'sqlite' ? 'id INTEGER PRIMARY KEY' : 'id BIGSERIAL PRIMARY KEY';
  const int = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  return [
    `CREATE TABLE IF NOT EXISTS logs (${id}, received ${int} NOT NULL, reported ${int}, host TEXT NOT NULL, facility SMALLINT NOT NULL, severity SMALLINT NOT NULL, app TEXT, pid TEXT, msgid TEXT, sd TEXT, msg TEXT NOT NULL, source TEXT)`,
    'CREATE INDEX IF NOT EXISTS logs_received ON logs (received)',
    'CREATE INDEX IF NOT EXISTS logs_app ON logs (app, received)',
    'CREATE INDEX IF NOT EXISTS logs_host ON logs (host, received)',
  ];
}
