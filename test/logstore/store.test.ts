/** The SQLite store on a real database file: filters, order, limits, retention. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/logstore/sqlite.js';
import type { LogRecord } from '../../src/logstore/record.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const rec = (i: number, o: Partial<LogRecord> = {}): LogRecord => ({
  received: T0 + i * 1000,
  host: i % 2 ? 'web1' : 'db1',
  facility: i % 3 ? 1 : 2,
  severity: i % 8,
  app: i % 4 ? 'app' : 'cron',
  pid: String(100 + (i % 5)),
  msg: `message ${i}`,
  ...o,
});

test('filters, order, limits and ids', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-store-'));
  const s = new SqliteStore(join(dir, 'sub', 'logs.db'));
  try {
    s.insert(Array.from({ length: 200 }, (_, i) => rec(i)));
    s.insert([rec(500, { sd: '[{"id":"x@1","params":[["k","v"]]}]', msgid: 'M1', reported: T0, source: 'tcp:1.2.3.4' })]);
    assert.equal(s.count(), 201);
    assert.equal(s.maxId(), 201);
    const msgs = (f: Parameters<SqliteStore['select']>[0], keep?: (r: LogRecord) => boolean) => [...s.select(f, keep)].map((r) => r.msg);
    assert.deepEqual(msgs({ newestFirst: true, limit: 3 }), ['message 500', 'message 199', 'message 198']);
    assert.deepEqual(msgs({ apps: ['cron'], hosts: ['db1'], limit: 3 }), ['message 0', 'message 4', 'message 8']);
    assert.deepEqual(msgs({ severities: [0], facilities: [2], since: T0 + 100_000, limit: 2 }), ['message 120', 'message 144']);
    assert.deepEqual(msgs({ pids: ['101'], until: T0 + 20_000 }), ['message 1', 'message 6', 'message 11', 'message 16']);
    assert.deepEqual(msgs({ afterId: 199 }), ['message 199', 'message 500']);
    assert.deepEqual(
      msgs({ newestFirst: true, limit: 2 }, (r) => /7$/.test(r.msg)),
      ['message 197', 'message 187'],
    );
    const full = [...s.select({ newestFirst: true, limit: 1 })][0];
    assert.deepEqual(full, { id: 201, ...rec(500, { sd: '[{"id":"x@1","params":[["k","v"]]}]', msgid: 'M1', reported: T0, source: 'tcp:1.2.3.4' }) });
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('retention by age and by size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-store-'));
  const s = new SqliteStore(join(dir, 'logs.db'));
  try {
    s.insert(Array.from({ length: 1000 }, (_, i) => rec(i, { msg: `message ${i} ${'x'.repeat(400)}` })));
    // older than 500 s before T0+999 s: the first 499 go
    assert.equal(s.prune({ maxAgeMs: 500_000 }, T0 + 999_000), 499);
    assert.equal([...s.select({ limit: 1 })][0].msg.split(' ')[1], '499');
    s.insert(Array.from({ length: 3000 }, (_, i) => rec(2000 + i, { msg: `big ${i} ${'y'.repeat(400)}` })));
    const before = s.count();
    const gone = s.prune({ maxBytes: 512 * 1024 });
    assert.ok(gone > 0 && s.count() === before - gone, `${gone} of ${before}`);
    // the newest survive, the oldest went
    assert.equal([...s.select({ newestFirst: true, limit: 1 })][0].msg.split(' ')[1], '2999');
    assert.ok([...s.select({ limit: 1 })][0].received > T0 + 999_000);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
