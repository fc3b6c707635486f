// dk logs on a 10-million-row SQLite store: generates the store (SQL only,
// indexes built afterwards; ~2 GB in the temp dir, removed afterwards unless
// DK_BENCH_KEEP=1, reused when present), then times queries that return the
// last 100 matches for a tag/level/time window, for a host, and overall:
// the whole `dk logs` command (median of 10) and the query alone in-process.
// Target: under 100 ms.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const ROWS = Number(process.env.LOGS_BENCH_ROWS ?? 10_000_000);
const Database = createRequire(import.meta.url)('libsql');
const BASE = Date.UTC(2026, 10, 20, 0, 0, 0);
const STEP = 30; // ms between rows: 10M rows span ~3.5 days

async function generate(path) {
  const { schemaSql } = await import('../dist/src/logstore/schema.js');
  const [table, ...indexes] = schemaSql('sqlite');
  const db = new Database(path);
  db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF');
  db.exec(table);
  db.exec(`WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c LIMIT ${ROWS})
    INSERT INTO logs (received, reported, host, facility, severity, app, pid, msg, source)
    SELECT ${BASE} + x * ${STEP}, ${BASE} + x * ${STEP}, 'host' || (x % 20), x % 24, (x * 7) % 8, 'app' || (x % 50), CAST(1000 + x % 3000 AS TEXT),
           'message number ' || x || ' from a generated store with some padding text', 'tcp:10.0.0.' || (x % 20) FROM c`);
  for (const i of indexes) db.exec(i);
  db.exec('PRAGMA journal_mode = WAL');
  db.close();
}

function timeCommand(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [DK, 'logs', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`dk logs ${args.join(' ')}: ${r.stderr}`);
  return { ms, lines: r.stdout.split('\n').length - 1 };
}

export default async function () {
  const path = join(tmpdir(), `dk-bench-logs-${ROWS}.db`);
  if (!existsSync(path)) {
    const t0 = Date.now();
    await generate(path);
    console.log(`logs: generated ${ROWS} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s (${path})`);
  }
  try {
    const { SqliteStore } = await import('../dist/src/logstore/sqlite.js');
    const { parseLogsArgs } = await import('../dist/src/logs/args.js');
    const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
    const mid = BASE + Math.floor(ROWS / 2) * STEP;
    const queries = [
      ['tag+level+window', ['-t', 'app7', '-p', 'err', '--since', iso(mid - 3600e3), '--until', iso(mid), '-n', '100']],
      ['host, last 100', ['-H', 'host3', '-n', '100']],
      ['last 100', ['-n', '100']],
    ];
    const store = new SqliteStore(path, { readonly: true });
    for (const [name, args] of queries) {
      const o = parseLogsArgs(args, Date.now(), path);
      const inproc = [];
      for (let i = 0; i < 10; i++) {
        const t0 = process.hrtime.bigint();
        const rows = [...store.select({ ...o.filter, newestFirst: true, limit: o.lines })];
        inproc.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (rows.length !== 100) throw new Error(`${name}: ${rows.length} rows`);
      }
      const whole = [];
      timeCommand(['--db', path, ...args, '-o', 'cat']);
      for (let i = 0; i < 10; i++) whole.push(timeCommand(['--db', path, ...args, '-o', 'cat']).ms);
      const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      console.log(
        `logs ${name} on ${ROWS} rows: query ${med(inproc).toFixed(2)} ms, whole dk logs ${med(whole).toFixed(1)} ms, target 100 ms, ratio ${(med(whole) / 100).toFixed(2)} of target`,
      );
    }
    store.close();
  } finally {
    if (process.env.DK_BENCH_KEEP !== '1') for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  }
}
