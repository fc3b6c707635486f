// dk syslogd into its stores, end to end: the C blaster sends COUNT messages
// over TCP, the only action is the store; messages/s from the first send to
// the last row committed. SQLite (target 100k/s on this 2-core machine) and
// PostgreSQL (target 50k/s; a server started here in a temp dir) — and, in
// the same run, rsyslogd's ompgsql into the same server and table shape
// (ompgsql.so taken from Debian's rsyslog-pgsql with apt-get download +
// dpkg -x, so nothing is installed or started on the host).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackDebs } from './lib.mjs';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const SRC = fileURLToPath(new URL('./syslog-blaster.c', import.meta.url));
const req = createRequire(import.meta.url);
const Database = req('libsql');
const pg = req('pg');
const COUNT = Number(process.env.STORE_BENCH_COUNT ?? 200_000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pred, what, ms = 120_000) {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function dkSyslogd(dir, action) {
  writeFileSync(join(dir, 'syslog.conf'), `*.* ${action}\n`);
  const d = spawn(process.execPath, [DK, 'syslogd', '-n', '-f', join(dir, 'syslog.conf'), '-p', join(dir, 'log'), '--tcp', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  d.stderr.on('data', (b) => (err += b));
  await waitFor(() => /listening on tcp/.test(err), 'dk syslogd', 10_000);
  return { child: d, port: Number(/tcp [\d.]+:(\d+)/.exec(err)[1]) };
}

async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await new Promise((r) => child.once('exit', r));
  clearTimeout(t);
}

const rss = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))[1]) / 1024;

/** Sends COUNT messages, then waits until count() reaches it: messages/s. */
async function run(blaster, port, count) {
  const t0 = performance.now();
  execFileSync(blaster, ['tcp', String(port), String(COUNT), '1']);
  await waitFor(async () => (await count()) >= COUNT, 'the rows');
  return COUNT / ((performance.now() - t0) / 1000);
}

function ompgsql(dir) {
  const so = '/usr/lib/x86_64-linux-gnu/rsyslog/ompgsql.so';
  if (existsSync(so)) return so;
  try {
    return join(unpackDebs(dir, ['rsyslog-pgsql'], so.slice(1)), so);
  } catch {
    return undefined;
  }
}

const k = (n) => `${(n / 1000).toFixed(1)}k msg/s`;

export default async function () {
  const dir = mkdtempSync(join(tmpdir(), 'dk-bench-store-'));
  const { postgresBin, startPostgres } = await import('../dist/test/helpers/postgres.js');
  let server;
  try {
    const blaster = join(dir, 'blaster');
    execFileSync('cc', ['-O2', '-o', blaster, SRC]);

    // SQLite
    const db = join(dir, 'logs.db');
    const s = await dkSyslogd(dir, `:sqlite:${db}`);
    const reader = () => new Database(db, { readonly: true });
    let r;
    const sqlite = await run(blaster, s.port, () => {
      if (!existsSync(db)) return 0;
      r ??= reader();
      return Number(r.prepare('SELECT coalesce(max(id), 0) AS n FROM logs').get().n);
    });
    r?.close();
    const sqliteRss = rss(s.child.pid);
    await stop(s.child);
    console.log(
      `store sqlite (${COUNT} msgs over TCP): ours ${k(sqlite)}, rss ${sqliteRss.toFixed(0)} MiB, target 100k msg/s, ratio ${(sqlite / 100_000).toFixed(2)} of target`,
    );

    // PostgreSQL
    const bin = postgresBin();
    if (!bin) return console.log('store postgres: skipped, the postgresql package is not installed');
    server = await startPostgres(bin);
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const count = async () => Number((await client.query('SELECT count(*) AS n FROM logs')).rows[0].n);
    const p = await dkSyslogd(dir, `:pgsql:${server.url}`);
    await waitFor(async () => (await client.query("SELECT to_regclass('logs') AS t")).rows[0].t !== null, 'the table');
    const ours = await run(blaster, p.port, count);
    const oursRss = rss(p.child.pid);
    await stop(p.child);
    await client.query('TRUNCATE logs');

    // rsyslogd's ompgsql, same server and table
    const so = ompgsql(dir);
    let peer;
    if (so && existsSync('/usr/sbin/rsyslogd')) {
      const portFile = join(dir, 'rs.port');
      writeFileSync(
        join(dir, 'rsyslog.conf'),
        [
          `global(workDirectory="${dir}")`,
          'module(load="imtcp")',
          `input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="${portFile}")`,
          `module(load="${so}")`,
          "template(name=\"row\" type=\"string\" option.sql=\"on\" string=\"INSERT INTO logs (received, reported, host, facility, severity, app, pid, msg, source) VALUES ((extract(epoch from now()) * 1000)::bigint, NULL, '%hostname%', %syslogfacility%, %syslogseverity%, '%programname%', '%procid%', '%msg%', 'tcp')\")",
          `*.* action(type="ompgsql" server="${server.socketDir}" db="postgres" user="dk" template="row")`,
          '',
        ].join('\n'),
      );
      const rs = spawn('/usr/sbin/rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rs.pid')], { stdio: 'ignore' });
      await waitFor(() => existsSync(portFile) && readFileSync(portFile, 'utf8').trim() !== '', 'rsyslogd', 10_000);
      peer = await run(blaster, Number(readFileSync(portFile, 'utf8')), count);
      await stop(rs);
    }
    await client.end();
    console.log(
      `store postgres (${COUNT} msgs over TCP): ours ${k(ours)}, rss ${oursRss.toFixed(0)} MiB, target 50k msg/s (${(ours / 50_000).toFixed(2)} of target)${peer ? `, peer rsyslogd ompgsql ${k(peer)}, ratio ${(ours / peer).toFixed(2)}` : ', rsyslog ompgsql not available'}`,
    );
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
