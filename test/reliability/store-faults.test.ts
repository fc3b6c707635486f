/**
 * A SQLite store that another process holds locked, or that is not a
 * database (issue 15): dk syslogd says why once, keeps the messages
 * waiting in memory, does not crash, and stores them all in order when the
 * lock goes or the damaged file is replaced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { SqliteStore } from '../../src/logstore/sqlite.js';
import { until } from '../helpers/children.js';
import { figure } from '../helpers/figures.js';
import { lab } from '../helpers/lab.js';
import { requirePeer } from '../helpers/peers.js';
import { startSyslogd } from '../helpers/syslogd.js';
import { run, DK } from '../helpers/dk.js';

const { f, children } = lab('dk-storefault-');

const log = (sock: string, from: number, to: number) => {
  const r = run('sh', ['-c', `seq ${from} ${to} | "${process.execPath}" "${DK}" logger -u "${sock}" -t fault`]);
  assert.equal(r.code, 0, r.err);
};
const numbers = (db: string) => {
  const s = new SqliteStore(db, { readonly: true });
  try {
    return [...s.select({ apps: ['fault'] })].map((r) => Number(r.msg));
  } finally {
    s.close();
  }
};
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

test('a store locked by another process: messages wait, one log line, all stored in order once the lock goes', async (t) => {
  const python = requirePeer(t, 'python3', 'python3');
  if (!python) return;
  mkdirSync(f('locked'));
  const db = f('locked/logs.db');
  const d = await startSyslogd(f('locked'), [], { args: ['--db', db, '--db-delay', '20'] });
  children.push(d.child);
  log(d.sock, 1, 100);
  await until(() => numbers(db).length === 100, 'the first 100 stored');
  // another process takes the write lock and keeps it until told
  const holder = spawn(
    python,
    [
      '-c',
      `import sqlite3,sys\nc=sqlite3.connect(sys.argv[1],isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\nprint('locked',flush=True)\nsys.stdin.readline()\nc.execute('COMMIT')`,
      db,
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.push(holder);
  await new Promise((r) => holder.stdout!.once('data', r));
  log(d.sock, 101, 600);
  const held = await d.statsUntil((s) => /logs\.db: written 100, dropped 0, queued 500, last error database is locked/.test(s), 'the 500 waiting');
  t.diagnostic(held.trim());
  assert.equal(d.stderr().match(/logs\.db: cannot write \(database is locked\)/g)?.length, 1, d.stderr());
  holder.stdin!.end('\n');
  await new Promise((r) => holder.once('exit', r));
  await until(() => /logs\.db: writing again after [\d.]+ s; 500 messages that waited are written/.test(d.stderr()), 'writing again');
  assert.deepEqual(numbers(db), range(1, 600));
  assert.equal(d.child.exitCode, null);
  figure(t, {
    daemon: 'syslogd',
    fault: 'SQLite store locked by another process',
    load: '600 messages, 500 while locked',
    held: 'lost 0, one log line, all stored in order when the lock went',
  });
  await d.stop();
});

test('a store that is not a database: a clear error, messages wait, stored once the file is replaced', async (t) => {
  mkdirSync(f('corrupt'));
  const db = f('corrupt/logs.db');
  writeFileSync(db, Buffer.alloc(8192, 0x5a));
  const d = await startSyslogd(f('corrupt'), [], { args: ['--db', db, '--db-delay', '20'] });
  children.push(d.child);
  log(d.sock, 1, 300);
  const held = await d.statsUntil((s) => /logs\.db: written 0, dropped 0, queued 300, last error file is not a database/.test(s), 'the 300 waiting');
  t.diagnostic(held.trim());
  assert.equal(d.stderr().match(/logs\.db: cannot write \(file is not a database\)/g)?.length, 1, d.stderr());
  // the administrator moves the damaged file aside: a new database is made and takes everything
  renameSync(db, f('corrupt/logs.db.damaged'));
  log(d.sock, 301, 400);
  await until(() => /writing again/.test(d.stderr()), 'writing again');
  await until(() => numbers(db).length === 400, 'all 400 stored');
  assert.deepEqual(numbers(db), range(1, 400));
  assert.equal(d.child.exitCode, null);
  figure(t, {
    daemon: 'syslogd',
    fault: 'SQLite store not a database',
    load: '400 messages, 300 before the file was moved aside',
    held: "lost 0, one clear line ('file is not a database'), no crash",
  });
  await d.stop();
});
