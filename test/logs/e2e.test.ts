/**
 * The store end to end: dk syslogd writes --db, ':sqlite:' actions and the
 * --state-dir default; dk logs reads them back with journalctl's options;
 * -f follows; a SIGKILLed daemon leaves a database with every committed row.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DK, dk, ENV, run } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { startSyslogd, type RunningSyslogd } from '../helpers/syslogd.js';
import { SqliteStore } from '../../src/logstore/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-logs-'));
const db = join(dir, 'all.db');
const state = join(dir, 'state');
const five = join(dir, 'five.db');
let d: RunningSyslogd;

const count = (path: string): number => {
  if (!existsSync(path)) return 0;
  const s = new SqliteStore(path, { readonly: true });
  try {
    return s.count();
  } finally {
    s.close();
  }
};
const logs = (...args: string[]) => dk(['logs', '--db', db, ...args]);
const send = (...args: string[]) => assert.equal(dk(['logger', '-u', d.sock, ...args]).code, 0);

before(async () => {
  d = await startSyslogd(dir, ['local4.* :sqlite:', `local5.* :sqlite:${five}`, '*.* ~'], { args: ['--db', db, '--state-dir', state] });
  send('-p', 'auth.err', '-t', 'sshd', '--id=101', 'Failed password for root');
  send('-p', 'cron.info', '-t', 'CRON', '--id=202', 'job started');
  send('-p', 'local4.warning', '-t', 'app', 'to the state dir');
  send('-p', 'local5.debug', '-t', 'five', 'to five.db');
  send('-p', 'user.notice', '-t', 'sshd', '--id=103', 'Accepted publickey');
  await until(() => count(db) === 5 && count(join(state, 'logs.db')) === 1 && count(five) === 1, 'the rows in all three stores');
});

after(async () => {
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('dk logs', () => {
  test('--db gets every message, even past a discard rule; actions get theirs', () => {
    assert.equal(logs('-o', 'cat').out, 'Failed password for root\njob started\nto the state dir\nto five.db\nAccepted publickey\n');
    assert.equal(dk(['logs', '--db', join(state, 'logs.db'), '-o', 'cat']).out, 'to the state dir\n');
    assert.equal(dk(['logs', '--db', five, '-o', 'cat']).out, 'to five.db\n');
  });

  test('filters: -n, -r, -t, -p, --facility, --pid, -g, --since/--until', () => {
    assert.equal(logs('-n', '2', '-o', 'cat').out, 'to five.db\nAccepted publickey\n');
    assert.equal(logs('-n', '2', '-r', '-o', 'cat').out, 'Accepted publickey\nto five.db\n');
    assert.equal(logs('-t', 'sshd', '-o', 'cat').out, 'Failed password for root\nAccepted publickey\n');
    assert.equal(logs('-p', 'warning', '-o', 'cat').out, 'Failed password for root\nto the state dir\n');
    assert.equal(logs('-p', 'debug..notice', '-o', 'cat').out, 'job started\nto five.db\nAccepted publickey\n');
    assert.equal(logs('--facility', 'cron,auth', '-o', 'cat').out, 'Failed password for root\njob started\n');
    assert.equal(logs('--pid', '202', '-o', 'cat').out, 'job started\n');
    assert.equal(logs('-g', 'PASS', '-o', 'cat').out, '');
    assert.equal(logs('-g', 'pass', '-o', 'cat').out, 'Failed password for root\n');
    assert.equal(logs('--since', '-1h', '--until', '+1h', '-t', 'CRON', '-o', 'cat').out, 'job started\n');
    assert.equal(logs('--since', '+1h', '-o', 'cat').out, '');
  });

  test('output modes', () => {
    assert.match(logs('-t', 'CRON').out, /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ CRON\[202\]: job started\n$/);
    assert.match(logs('-t', 'CRON', '-o', 'short-iso').out, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} \S+ CRON\[202\]: job started\n$/);
    assert.match(logs('-t', 'CRON', '-o', 'rfc5424').out, /^<78>1 \S+ \S+ CRON 202 - - job started\n$/);
    const j = JSON.parse(logs('-t', 'CRON', '-o', 'json').out);
    assert.deepEqual([j.facility, j.severity, j.app, j.pid, j.msg, j.source.startsWith('unix:')], ['cron', 'info', 'CRON', '202', 'job started', true]);
  });

  test('errors name the argument; a missing database says how to make one', () => {
    const bad = logs('--since', 'whenever');
    assert.equal(bad.code, 1);
    assert.equal(bad.err, "dk logs: --since: cannot read 'whenever' as a time (like 2026-11-25 13:00, -1h, yesterday)\n");
    const none = dk(['logs', '--db', join(dir, 'nope.db')]);
    assert.equal(none.err, `dk logs: --db: ${join(dir, 'nope.db')} does not exist (dk syslogd --db FILE creates it)\n`);
  });

  test('-f prints what arrives after it started', async () => {
    const follower = spawn(process.execPath, [DK, 'logs', '--db', db, '-f', '-n', '1', '-o', 'cat'], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
    let out = '';
    follower.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await until(() => out === 'Accepted publickey\n', 'the last line first');
      send('-p', 'daemon.err', '-t', 'later', 'after the follower started');
      await until(() => out.endsWith('after the follower started\n'), 'the new line');
      const exited = new Promise<number | null>((r) => follower.once('exit', (c) => r(c)));
      follower.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      follower.kill('SIGKILL');
    }
  });
});

test('a SIGKILLed daemon: the database opens and holds every committed message', async () => {
  const cdir = mkdtempSync(join(tmpdir(), 'dk-crash-'));
  const cdb = join(cdir, 'crash.db');
  const c = await startSyslogd(cdir, [], { args: ['--db', cdb] });
  try {
    const burst = run('sh', ['-c', `seq 1 5000 | "${process.execPath}" "${DK}" logger -u "${c.sock}" -t burst`]);
    assert.equal(burst.code, 0, burst.err);
    // committed = what another connection can read; then the kill
    await until(() => count(cdb) === 5000, 'all 5000 committed');
    c.child.kill('SIGKILL');
    await new Promise((r) => c.child.once('exit', r));
    const s = new SqliteStore(cdb, { readonly: true });
    try {
      assert.equal(s.count(), 5000);
      assert.deepEqual(
        [...s.select({ newestFirst: true, limit: 1 })].map((r) => r.msg),
        ['5000'],
      );
    } finally {
      s.close();
    }
  } finally {
    await c.stop();
    rmSync(cdir, { recursive: true, force: true });
  }
});
