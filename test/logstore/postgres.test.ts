/**
 * The PostgreSQL store against a real server started here: the store itself,
 * dk syslogd writing to it through ':pgsql:' and rsyslog's ':ompgsql:'
 * spelling, an outage in the middle (the daemon keeps accepting, the store
 * gets everything once the server is back), and dk logs reading it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgStore } from '../../src/logstore/postgres.js';
import type { LogRecord } from '../../src/logstore/record.js';
import { dk, DK, run } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { postgresBin, startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { startSyslogd } from '../helpers/syslogd.js';

const bin = postgresBin();
let pg: RunningPostgres | undefined;

before(async () => {
  if (bin) pg = await startPostgres(bin);
});
after(async () => {
  await pg?.stop();
});

function need(t: import('node:test').TestContext): boolean {
  if (pg) return true;
  const msg = 'PostgreSQL server binaries are missing: install the Debian package postgresql';
  if (process.env.CI === 'true') assert.fail(msg);
  t.skip(msg);
  return false;
}

/** Polls an async condition (bounded). */
async function eventually(pred: () => Promise<boolean>, what: string, limitMs = 60000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const rec = (i: number, o: Partial<LogRecord> = {}): LogRecord => ({
  received: T0 + i * 1000,
  host: i % 2 ? 'web1' : 'db1',
  facility: 1,
  severity: i % 8,
  app: i % 4 ? 'app' : 'cron',
  pid: String(100 + (i % 5)),
  msg: `message ${i}`,
  ...o,
});

describe('PostgreSQL store', () => {
  test('insert in batches, select with filters, keyset paging under a regex', async (t) => {
    if (!need(t)) return;
    const s = new PgStore(`${pg!.url}`);
    try {
      await s.connect();
      const before = await s.count();
      await s.insert(Array.from({ length: 3000 }, (_, i) => rec(i, { source: 'test-a' })));
      await s.insert([rec(5000, { sd: '[{"id":"x@1","params":[["k","v"]]}]', msgid: 'M1', reported: T0, source: 'test-a' })]);
      assert.equal((await s.count()) - before, 3001);
      const msgs = async (f: Parameters<PgStore['select']>[0], keep?: (r: LogRecord) => boolean) => {
        const out: string[] = [];
        for await (const r of s.select(f, keep)) if (r.source === 'test-a') out.push(r.msg);
        return out;
      };
      assert.deepEqual(await msgs({ newestFirst: true, limit: 2 }), ['message 5000', 'message 2999']);
      assert.deepEqual(await msgs({ apps: ['cron'], hosts: ['db1'], limit: 2 }), ['message 0', 'message 4']);
      assert.deepEqual(await msgs({ severities: [0], since: T0 + 100_000, limit: 2 }), ['message 104', 'message 112']);
      // a rare match deep in the table: found across pages of 1000
      assert.deepEqual(await msgs({ newestFirst: true, limit: 2 }, (r) => /^message (17|7)$/.test(r.msg)), ['message 17', 'message 7']);
      const [full] = await (async () => {
        const o: LogRecord[] = [];
        for await (const r of s.select({ newestFirst: true, limit: 1 })) o.push(r);
        return o;
      })();
      assert.deepEqual({ ...full, id: 0 }, { id: 0, ...rec(5000, { sd: '[{"id":"x@1","params":[["k","v"]]}]', msgid: 'M1', reported: T0, source: 'test-a' }) });
    } finally {
      await s.close();
    }
  });

  test('dk syslogd -> PostgreSQL, through an outage: nothing accepted is lost; dk logs reads it', async (t) => {
    if (!need(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'dk-syslogd-pg-'));
    const file = join(dir, 'all');
    // rsyslog's spelling: host (here the socket directory), database, user
    const d = await startSyslogd(dir, [`local6.* :pgsql:${pg!.url}`, `local7.* :ompgsql:${pg!.socketDir},postgres,dk`, `*.* ${file}`]);
    const count = async (app: string) => {
      const s = new PgStore(pg!.url, false);
      try {
        let n = 0;
        for await (const r of s.select({ apps: [app] })) if (r) n++;
        return n;
      } catch {
        return -1;
      } finally {
        await s.close();
      }
    };
    const lines = (tag: string) =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l.includes(` ${tag}: `)).length
        : 0;
    const burst = (tag: string, p: string, n: number) => {
      const r = run('sh', ['-c', `seq 1 ${n} | "${process.execPath}" "${DK}" logger -u "${d.sock}" -p ${p} -t ${tag}`]);
      assert.equal(r.code, 0, r.err);
    };
    try {
      burst('pgone', 'local6.info', 500);
      dk(['logger', '-u', d.sock, '-p', 'local7.err', '-t', 'omp', 'through the rsyslog spelling']);
      await eventually(async () => (await count('pgone')) === 500 && (await count('omp')) === 1, 'the first 500 in PostgreSQL');
      await pg!.down();
      burst('pgtwo', 'local6.info', 500);
      // the daemon kept accepting: the file has them at once
      await until(() => lines('pgtwo') === 500, 'the outage messages in the file');
      await pg!.up();
      await eventually(async () => (await count('pgtwo')) === 500, 'the outage messages in PostgreSQL after the restart');
      const stats = await d.stats();
      // both spellings name the same database: one action, 500 + 1 + 500 rows, and the outage counted
      assert.match(stats, /action :pgsql:[^\n]*: written 1001, dropped 0, queued 0, on disk 0 bytes, retries [1-9]/, stats);
      const out = dk(['logs', '--db', pg!.url, '-t', 'pgtwo', '-n', '2', '-o', 'cat']);
      assert.equal(out.code, 0, out.err);
      assert.equal(out.out, '499\n500\n');
      assert.match(dk(['logs', '--db', pg!.url, '-t', 'omp', '-o', 'json']).out, /"facility":"local7","severity":"err","app":"omp"/);
    } finally {
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL away across a restart of dk syslogd: the disk queue keeps the messages', async (t) => {
    if (!need(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'dk-syslogd-pgq-'));
    const state = join(dir, 'state');
    const count = async () => {
      const s = new PgStore(pg!.url, false);
      try {
        let n = 0;
        for await (const r of s.select({ apps: ['pgdisk'] })) if (r) n++;
        return n;
      } finally {
        await s.close();
      }
    };
    try {
      await pg!.down();
      let d = await startSyslogd(dir, [`*.* :pgsql:${pg!.url}`], { args: ['--state-dir', state] });
      const r = run('sh', ['-c', `seq 1 300 | "${process.execPath}" "${DK}" logger -u "${d.sock}" -t pgdisk`]);
      assert.equal(r.code, 0, r.err);
      await d.statsUntil((st) => /:pgsql:[^\n]*queued 300/.test(st), 'the 300 queued');
      assert.equal(await d.stop(), 0);
      assert.match(d.stderr(), /300 messages kept in the disk queue at shutdown/);
      await pg!.up();
      d = await startSyslogd(dir, [`*.* :pgsql:${pg!.url}`], { args: ['--state-dir', state] });
      try {
        await eventually(async () => (await count()) === 300, 'the 300 in PostgreSQL after the restart');
        assert.match(await d.stats(), /:pgsql:[^\n]*written 300, dropped 0, queued 0, on disk 0 bytes/);
      } finally {
        await d.stop();
      }
    } finally {
      await pg!.up().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
