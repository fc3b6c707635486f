// dk syslogd into its SQLite store, end to end: the C blaster sends COUNT
// messages over TCP, the only action is ':sqlite:'; messages/s from the first
// send to the last row committed (target: 100k/s on this 2-core machine).
// The PostgreSQL store and rsyslog's ompgsql join this when that store lands.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const SRC = fileURLToPath(new URL('./syslog-blaster.c', import.meta.url));
const Database = createRequire(import.meta.url)('libsql');
const COUNT = Number(process.env.STORE_BENCH_COUNT ?? 200_000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function () {
  const dir = mkdtempSync(join(tmpdir(), 'dk-bench-store-'));
  try {
    const blaster = join(dir, 'blaster');
    execFileSync('cc', ['-O2', '-o', blaster, SRC]);
    const db = join(dir, 'logs.db');
    writeFileSync(join(dir, 'syslog.conf'), `*.* :sqlite:${db}\n`);
    const d = spawn(process.execPath, [DK, 'syslogd', '-n', '-f', join(dir, 'syslog.conf'), '-p', join(dir, 'log'), '--tcp', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    d.stderr.on('data', (b) => (err += b));
    while (!/listening on tcp/.test(err)) await sleep(10);
    const port = Number(/tcp [\d.]+:(\d+)/.exec(err)[1]);
    const t0 = performance.now();
    execFileSync(blaster, ['tcp', String(port), String(COUNT), '1']);
    const reader = new Database(db, { readonly: true });
    let n = 0;
    while (n < COUNT) {
      await sleep(20);
      n = Number(reader.prepare('SELECT max(id) AS n FROM logs').get().n ?? 0);
    }
    const secs = (performance.now() - t0) / 1000;
    reader.close();
    const rss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${d.pid}/status`, 'latin1'))[1]) / 1024;
    d.kill('SIGTERM');
    await new Promise((r) => d.once('exit', r));
    console.log(`store sqlite (${COUNT} msgs over TCP): ours ${(COUNT / secs / 1000).toFixed(1)}k msg/s, rss ${rss.toFixed(0)} MiB, target 100k msg/s, ratio ${(COUNT / secs / 100_000).toFixed(2)} of target`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
