/**
 * dk console's API against real daemons (dk init, dk syslogd and a unit):
 * what needs a session, what a viewer may not do, cross-origin and CSRF
 * refusals, rate-limited logins, bad input as 4xx, signals and unit
 * actions that really happen, logs with filters and paging.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseLogQuery } from '../../src/console/server/logquery.js';
import { hashPassword, parseUsers, verifyPassword } from '../../src/console/server/users.js';
import { AttemptLimiter } from '../../src/console/server/ratelimit.js';
import { Sessions } from '../../src/console/server/sessions.js';
import { until } from '../helpers/children.js';
import { DK, dk, ENV, run } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';
import { PASSWORDS, startConsoleLab, type ConsoleLab } from '../helpers/console.js';

describe('pure parts', () => {
  test('users file: hashes verify, every bad line is file:line, any text never throws', () => {
    const h = hashPassword('s3cret-pass');
    assert.ok(verifyPassword('s3cret-pass', h));
    assert.ok(!verifyPassword('s3cret-pasS', h));
    assert.ok(!verifyPassword('x', 'scrypt$1048577$8$1$AAAA$AAAA'));
    const r = parseUsers(`# comment\nann:admin:${h}\nbob:root:${h}\nann:viewer:${h}\nbad line\nc d:viewer:${h}\n`, 'u');
    assert.deepEqual(
      r.users.map((u) => u.name),
      ['ann'],
    );
    assert.deepEqual(
      r.problems.map((p) => `${p.file}:${p.line}`),
      ['u:3', 'u:4', 'u:5', 'u:6'],
    );
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (t) => Array.isArray(parseUsers(t, 'x').problems)));
  });

  test('log queries: journalctl-like filters, clear errors, never a throw', () => {
    const q = parseLogQuery({
      unit: 'napper.service',
      priority: 'warning',
      facility: 'daemon,auth',
      since: '0',
      before: '1700000000000:99',
      limit: '50',
      grep: 'up$',
    });
    assert.ok(typeof q !== 'string');
    assert.deepEqual(q.filter.apps, ['napper']);
    assert.deepEqual(q.filter.severities, [0, 1, 2, 3, 4]);
    assert.deepEqual(q.filter.facilities, [3, 4]);
    assert.deepEqual([q.filter.before, q.filter.limit, q.grep?.source], [{ received: 1700000000000, id: 99 }, 50, 'up$']);
    assert.match(String(parseLogQuery({ before: '99' })), /not a RECEIVED:ID cursor/);
    assert.deepEqual((parseLogQuery({ priority: 'err..notice' }) as { filter: { severities: number[] } }).filter.severities, [3, 4, 5]);
    assert.match(String(parseLogQuery({ grep: '(' })), /^grep: /);
    assert.match(String(parseLogQuery({ priority: 'loud' })), /unknown priority/);
    assert.match(String(parseLogQuery({ limit: '100000' })), /^limit/);
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('unit', 'tag', 'priority', 'facility', 'host', 'since', 'until', 'before', 'limit', 'grep'),
          fc.string({ maxLength: 40 }),
        ),
        (d) => void parseLogQuery(d),
      ),
    );
  });

  test('sessions expire when idle and at their age; login attempts wait after too many failures', () => {
    const s = new Sessions(1000, 5000);
    const a = s.create('ann', 'admin', 0);
    assert.equal(s.get(a.id, 900)?.user, 'ann');
    assert.equal(s.get(a.id, 1800)?.user, 'ann');
    assert.equal(s.get(a.id, 3000), undefined);
    const b = s.create('bob', 'viewer', 0);
    for (let t = 900; t < 5000; t += 900) assert.ok(s.get(b.id, t));
    assert.equal(s.get(b.id, 5400), undefined);
    const l = new AttemptLimiter(3, 60_000);
    for (let i = 0; i < 3; i++) l.fail('x', i);
    assert.ok(l.waitMs('x', 10) > 0);
    assert.equal(l.waitMs('x', 60_003), 0);
  });
});

describe('listening', { timeout: 60_000 }, () => {
  test('anything but loopback without TLS is refused before binding; with a certificate the cookie is Secure', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'dk-console-tls-'));
    const children: ChildProcess[] = [];
    try {
      const users = join(dir, 'users');
      assert.equal(run(process.execPath, [DK, 'console', 'passwd', '--users', users, 'ann'], ENV, undefined, 'ann-password-1\n').code, 0);
      const open = run(process.execPath, [DK, 'console', '--listen', '0.0.0.0:0', '--users', users, '--control', join(dir, 'c.sock')], ENV);
      assert.equal(open.code, 1);
      assert.match(open.err, /^dk console: refusing to listen on 0\.0\.0\.0 without TLS: /);
      assert.match(run(process.execPath, [DK, 'console', '--listen', 'nowhere'], ENV).err, /--listen takes ADDRESS:PORT/);
      if (!requirePeer(t, 'openssl', 'openssl')) return;
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      const ssl = run(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        ENV,
      );
      assert.equal(ssl.code, 0, ssl.err);
      const c = spawn(
        process.execPath,
        [DK, 'console', '--listen', '127.0.0.1:0', '--users', users, '--tls-cert', cert, '--tls-key', key, '--control', join(dir, 'c.sock')],
        { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      children.push(c);
      let err = '';
      c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      await until(() => /listening on https:/.test(err) || c.exitCode !== null, 'the TLS console');
      const url = /listening on (https:\/\/\S+)/.exec(err)![1];
      const body = JSON.stringify({ user: 'ann', password: 'ann-password-1' });
      const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
        const req = httpsRequest(
          `${url}api/login`,
          {
            method: 'POST',
            ca: readFileSync(cert),
            headers: { origin: url.replace(/\/$/, ''), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            resolve(res.headers);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      assert.match(String(headers['set-cookie']), /HttpOnly; SameSite=Strict; Path=\/; Secure$/);
    } finally {
      for (const c of children) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the API on a live machine', { timeout: 120_000 }, () => {
  let lab: ConsoleLab;
  before(async () => {
    lab = await startConsoleLab();
  });
  after(async () => {
    await lab?.close();
  });

  const api = (path: string, o: { cookie?: string; csrf?: string; origin?: string | null; body?: unknown; method?: string } = {}) =>
    fetch(`${lab.url}${path.replace(/^\//, '')}`, {
      method: o.method ?? (o.body !== undefined ? 'POST' : 'GET'),
      headers: {
        ...(o.cookie ? { cookie: o.cookie } : {}),
        ...(o.csrf ? { 'x-csrf-token': o.csrf } : {}),
        ...(o.origin === null ? {} : { origin: o.origin ?? lab.origin }),
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
    });

  test('the users file is 0600; without a session only the page and the login answer', async () => {
    assert.equal(statSync(join(lab.dir, 'console.users')).mode & 0o777, 0o600);
    assert.equal((await fetch(lab.url)).status, 200);
    for (const p of ['api/processes', 'api/overview', 'api/services', 'api/logs', 'api/network', 'api/processes/1', 'api/session'])
      assert.equal((await api(p)).status, 401, p);
    const r = await api('api/processes/1/signal', { body: { signal: 'TERM' } });
    assert.equal(r.status, 401);
    const page = await fetch(lab.url);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
  });

  test('log in: HttpOnly SameSite=Strict cookie; wrong passwords and unknown users are the same 401; then 429 for a while', async () => {
    const r = await fetch(`${lab.url}api/login`, {
      method: 'POST',
      headers: { origin: lab.origin, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', password: PASSWORDS.admin }),
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('set-cookie') ?? '', /^dk_session=[\w-]{40,}; HttpOnly; SameSite=Strict; Path=\/$/);
    const wrong = await lab.login('guest', 'nope-nope');
    const nobody = await lab.login('nobody-here', 'nope-nope');
    assert.deepEqual([wrong.status, nobody.status], [401, 401]);
    // a login from another site is refused before the password is looked at
    const cross = await fetch(`${lab.url}api/login`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', password: PASSWORDS.admin }),
    });
    assert.equal(cross.status, 403);
    let last = 0;
    for (let i = 0; i < 6; i++) last = (await lab.login('guest', `wrong-${i}-guess`)).status;
    assert.equal(last, 429);
    assert.match(lab.consoleErr(), /login of 'guest' from 127\.0\.0\.1 refused: too many attempts/);
    // the user is locked for the window, even with the right password; the admin from the same source is not
    assert.equal((await lab.login('guest', PASSWORDS.guest)).status, 429);
    assert.equal((await lab.login('admin', PASSWORDS.admin)).status, 200);
  });

  test('a signal from an admin ends the process; from a viewer, cross-origin or without CSRF it is refused; bad input is 4xx', async () => {
    const admin = await lab.login('admin', PASSWORDS.admin);
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    const pid = sleeper.pid!;
    try {
      const rows = ((await (await api('api/processes', { cookie: admin.cookie })).json()) as { rows: { pid: number; command: string }[] }).rows;
      assert.equal(rows.find((r) => r.pid === pid)?.command, 'sleep 300');
      assert.equal((await api(`api/processes/${pid}/signal`, { cookie: admin.cookie, body: { signal: 'TERM' } })).status, 403, 'no CSRF token');
      assert.equal(
        (await api(`api/processes/${pid}/signal`, { cookie: admin.cookie, csrf: admin.csrf, origin: 'http://evil.example', body: { signal: 'TERM' } })).status,
        403,
      );
      assert.equal((await api(`api/processes/${pid}/signal`, { cookie: admin.cookie, csrf: admin.csrf, origin: null, body: { signal: 'TERM' } })).status, 403);
      for (const [path, body, status] of [
        [`api/processes/${pid}/signal`, { signal: 'SEGV' }, 400],
        [`api/processes/${pid}/signal`, {}, 400],
        ['api/processes/0x10/signal', { signal: 'TERM' }, 400],
        ['api/processes/4000000/signal', { signal: 'TERM' }, 404],
        [`api/processes/${pid}/renice`, { nice: 40 }, 400],
        ['api/services/napper.service/explode', {}, 400],
        ['api/services/nosuch.service/start', {}, 404],
      ] as const) {
        const r = await api(path, { cookie: admin.cookie, csrf: admin.csrf, body });
        assert.equal(r.status, status, `${path} ${JSON.stringify(body)}: ${await r.text()}`);
      }
      assert.equal((await api(`api/logs?grep=${encodeURIComponent('(')}`, { cookie: admin.cookie })).status, 400);
      assert.equal((await api('api/processes/4000000', { cookie: admin.cookie })).status, 404);
      const big = await api(`api/processes/${pid}/renice`, { cookie: admin.cookie, csrf: admin.csrf, body: { nice: 1, pad: 'x'.repeat(100_000) } });
      assert.equal(big.status, 413);
      const viewer = await lab.login('viewer', PASSWORDS.viewer);
      assert.equal(viewer.status, 200);
      assert.equal((await api(`api/processes/${pid}/signal`, { cookie: viewer.cookie, csrf: viewer.csrf, body: { signal: 'TERM' } })).status, 403);
      assert.equal((await api('api/processes', { cookie: viewer.cookie })).status, 200);
      const ok = await api(`api/processes/${pid}/renice`, { cookie: admin.cookie, csrf: admin.csrf, body: { nice: 5 } });
      assert.equal(ok.status, 200);
      const term = await api(`api/processes/${pid}/signal`, { cookie: admin.cookie, csrf: admin.csrf, body: { signal: 'TERM' } });
      assert.equal(term.status, 200);
      await until(() => sleeper.signalCode === 'SIGTERM', 'the sleep ended by SIGTERM');
      assert.match(
        lab.consoleErr(),
        new RegExp(`admin \\(admin\\) from 127\\.0\\.0\\.1: renice pid ${pid} to 5\\n[^]*admin \\(admin\\) from 127\\.0\\.0\\.1: SIGTERM to pid ${pid}`),
      );
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  test('services: stop and start a unit through dk init; its log lines; logs filtered and paged', async () => {
    const admin = await lab.login('admin', PASSWORDS.admin);
    const units = async () =>
      (
        (await (await api('api/services', { cookie: admin.cookie })).json()) as {
          units: { name: string; state: string; pid?: number; since: number; restarts: number }[];
        }
      ).units;
    const napper = (await units()).find((u) => u.name === 'napper.service')!;
    assert.equal(napper.state, 'active');
    assert.ok(napper.since > Date.now() - 600_000 && napper.since <= Date.now(), `since ${napper.since}`);
    assert.equal(napper.restarts, 0);
    assert.equal((await api('api/services/napper.service/stop', { cookie: admin.cookie, csrf: admin.csrf, body: {} })).status, 200);
    assert.equal((await units()).find((u) => u.name === 'napper.service')?.state, 'inactive');
    assert.equal((await api('api/services/napper.service/start', { cookie: admin.cookie, csrf: admin.csrf, body: {} })).status, 200);
    assert.equal((await units()).find((u) => u.name === 'napper.service')?.state, 'active');
    assert.match(lab.consoleErr(), /admin \(admin\) from 127\.0\.0\.1: stop napper\.service: done/);
    // the unit's output went to syslog under its name, then to the store
    type Logs = { rows: { id: number; app?: string; msg: string; severity: number }[]; next?: string };
    const logs = async (q: string) => (await (await api(`api/logs?${q}`, { cookie: admin.cookie })).json()) as Logs;
    await until(async () => (await logs('unit=napper.service')).rows.filter((r) => r.msg === 'napper is up').length >= 2, 'two starts of napper in the store');
    for (let i = 0; i < 30; i++) assert.equal(dk(['logger', '-u', lab.logSock, '-t', 'pager', '-p', i % 2 ? 'user.err' : 'user.info', `line ${i}`]).code, 0);
    await until(async () => (await logs('tag=pager&limit=1000')).rows.length === 30, 'the 30 lines in the store');
    const errs = await logs('tag=pager&priority=err');
    assert.equal(errs.rows.length, 15);
    assert.ok(errs.rows.every((r) => r.severity <= 3));
    const page1 = await logs('tag=pager&limit=10');
    const page2 = await logs(`tag=pager&limit=10&before=${page1.next}`);
    const page3 = await logs(`tag=pager&limit=10&before=${page2.next}`);
    const all = [...page1.rows, ...page2.rows, ...page3.rows].map((r) => r.msg);
    assert.deepEqual(
      all,
      Array.from({ length: 30 }, (_, i) => `line ${29 - i}`),
    );
    assert.deepEqual((await logs('tag=pager&grep=line%202%5Cd$')).rows.map((r) => r.msg).sort(), [
      'line 20',
      'line 21',
      'line 22',
      'line 23',
      'line 24',
      'line 25',
      'line 26',
      'line 27',
      'line 28',
      'line 29',
    ]);
    const net = (await (await api('api/network', { cookie: admin.cookie })).json()) as { syslogd?: { name: string } };
    assert.equal(net.syslogd?.name, 'syslogd');
  });

  test('the WebSocket needs the session and the console origin', async () => {
    const { WebSocket } = await import('ws');
    const admin = await lab.login('admin', PASSWORDS.admin);
    const open = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`${lab.url.replace('http', 'ws')}api/live`, { headers });
        ws.on('open', () => {
          ws.send(JSON.stringify({ sub: 'processes' }));
        });
        ws.on('message', (m) => {
          const msg = JSON.parse(m.toString()) as { topic: string; full: boolean; rows: unknown[] };
          ws.close();
          resolve(`${msg.topic} full=${msg.full} rows=${msg.rows.length > 10}`);
        });
        ws.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        ws.on('error', () => {});
      });
    assert.equal(await open({ origin: lab.origin }), 'refused 401');
    assert.equal(await open({ origin: 'http://evil.example', cookie: admin.cookie }), 'refused 403');
    assert.equal(await open({ origin: lab.origin, cookie: admin.cookie }), 'processes full=true rows=true');
  });
});
