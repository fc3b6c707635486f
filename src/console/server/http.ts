/**
 * The console's HTTP side (fastify): the page and its assets for anyone,
 * everything else behind a session. Changes (POST) must come from the
 * console's own origin with the session's CSRF token, and from an admin;
 * every change is logged with who did it. Bad input is a 4xx with a
 * sentence, never a crash.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { hostname, loadavg, release, setPriority, cpus } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collect, openReader } from '../../logstore/reader.js';
import type { LogRecord } from '../../logstore/record.js';
import { memInfo } from '../../proc/system.js';
import { formatRecord } from '../../logs/format.js';
import type { Daemons } from './daemons.js';
import { UNIT_ACTIONS, type UnitAction } from './daemons.js';
import { parseLogQuery } from './logquery.js';
import { processDetail, type ProcessTable } from './processes.js';
import { AttemptLimiter } from './ratelimit.js';
import type { Sampler } from './sampler.js';
import { SESSION_COOKIE, type Session, type Sessions } from './sessions.js';
import { hashPassword, loadUsers, verifyPassword } from './users.js';

export interface HttpContext {
  sessions: Sessions;
  usersFile: string;
  assets: string;
  daemons: Daemons;
  sampler: Sampler;
  table: ProcessTable;
  secure: boolean;
  procRoot: string;
  log(line: string): void;
}

export const SIGNALS = ['TERM', 'KILL', 'STOP', 'CONT', 'HUP', 'INT', 'USR1', 'USR2'] as const;

/** Thrown by handlers: the status and the sentence the page shows. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function cookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), decodeURIComponent(part.slice(i + 1).trim()));
  }
  return out;
}

/** The origin this request was addressed to: what a same-origin page's Origin header says. */
export const ownOrigin = (req: { headers: Record<string, string | string[] | undefined> }, secure: boolean): string =>
  `${secure ? 'https' : 'http'}://${req.headers.host ?? ''}`;

export function sessionOf(req: FastifyRequest, ctx: HttpContext): Session | undefined {
  return ctx.sessions.get(cookies(req.headers.cookie).get(SESSION_COOKIE));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

// a dummy hash, so an unknown user costs the same time as a wrong password
const DUMMY = hashPassword(randomBytes(12).toString('hex'));

export function routes(app: FastifyInstance, ctx: HttpContext): void {
  const perSource = new AttemptLimiter(20, 10 * 60_000);
  const perUser = new AttemptLimiter(5, 10 * 60_000);

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((e: Error & { statusCode?: number }, req, reply) => {
    const status = e instanceof HttpError ? e.status : e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    if (status === 500) ctx.log(`dk console: ${req.method} ${req.url}: ${e.stack ?? e.message}`);
    void reply.status(status).send({ error: status === 500 ? 'internal error (logged)' : e.message });
  });
  app.setNotFoundHandler((req, reply) => void reply.status(404).send({ error: `no such page: ${req.method} ${req.url}` }));

  /** Every request but the page, its assets and the login needs a session; changes need more. */
  app.addHook('preHandler', async (req) => {
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && !path.startsWith('/api/')) return;
    if (path === '/api/login') return checkOrigin(req, ctx);
    const s = sessionOf(req, ctx);
    if (!s) throw new HttpError(401, 'log in first');
    (req as FastifyRequest & { session?: Session }).session = s;
    if (req.method !== 'GET') {
      checkOrigin(req, ctx);
      if (req.headers['x-csrf-token'] !== s.csrf) throw new HttpError(403, 'missing or wrong CSRF token');
      if (path !== '/api/logout' && s.role !== 'admin') throw new HttpError(403, `${s.user} is a viewer: looking only`);
    }
  });

  const who = (req: FastifyRequest) => {
    const s = (req as FastifyRequest & { session?: Session }).session!;
    return `${s.user} (${s.role}) from ${req.ip}`;
  };

  app.post('/api/login', async (req, reply) => {
    const body = (req.body ?? {}) as { user?: unknown; password?: unknown };
    const user = typeof body.user === 'string' ? body.user.slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const wait = Math.max(perSource.waitMs(req.ip), perUser.waitMs(user));
    if (wait > 0) {
      ctx.log(`dk console: login of '${user}' from ${req.ip} refused: too many attempts`);
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new HttpError(429, `too many attempts; try again in ${Math.ceil(wait / 1000)} s`);
    }
    const { users, problems } = loadUsers(ctx.usersFile);
    for (const p of problems) ctx.log(`dk console: ${p.file}:${p.line}: ${p.reason}`);
    const u = users.find((x) => x.name === user);
    const ok = verifyPassword(password, u?.hash ?? DUMMY) && !!u;
    if (!ok || !u) {
      perSource.fail(req.ip);
      perUser.fail(user);
      ctx.log(`dk console: failed login as '${user}' from ${req.ip}`);
      throw new HttpError(401, 'wrong user or password');
    }
    perUser.clear(user);
    const s = ctx.sessions.create(u.name, u.role);
    ctx.log(`dk console: ${u.name} (${u.role}) logged in from ${req.ip}`);
    void reply.header('set-cookie', `${SESSION_COOKIE}=${s.id}; HttpOnly; SameSite=Strict; Path=/${ctx.secure ? '; Secure' : ''}`);
    return { user: s.user, role: s.role, csrf: s.csrf };
  });

  app.post('/api/logout', async (req, reply) => {
    const s = sessionOf(req, ctx);
    ctx.sessions.end(s?.id);
    void reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${ctx.secure ? '; Secure' : ''}`);
    return { ok: true };
  });

  app.get('/api/session', async (req) => {
    const s = sessionOf(req, ctx)!;
    return { user: s.user, role: s.role, csrf: s.csrf };
  });

  app.get('/api/overview', async () => {
    const m = memInfo(ctx.procRoot);
    const uptime = ctx.sampler.latest?.uptime ?? 0;
    return {
      host: hostname(),
      kernel: release(),
      uptimeSeconds: uptime,
      load: loadavg(),
      cpus: cpus().length,
      memTotalKb: m.total,
      swapTotalKb: m.swapTotal,
      history: ctx.sampler.history(),
    };
  });

  app.get('/api/processes', async () => ({ rows: ctx.table.sample() }));

  app.get('/api/processes/:pid', async (req) => {
    const pid = pidOf(req);
    const d = processDetail(pid, ctx.procRoot);
    if (!d) throw new HttpError(404, `no process ${pid}`);
    return d;
  });

  app.post('/api/processes/:pid/signal', async (req) => {
    const pid = pidOf(req);
    const sig = String((req.body as { signal?: unknown } | undefined)?.signal ?? '').replace(/^SIG/, '');
    if (!(SIGNALS as readonly string[]).includes(sig)) throw new HttpError(400, `signal must be one of ${SIGNALS.join(', ')}`);
    try {
      process.kill(pid, `SIG${sig}` as NodeJS.Signals);
    } catch (e) {
      throw fromErrno(e, `pid ${pid}`, `signal ${sig} to pid ${pid}`);
    } finally {
      ctx.log(`dk console: ${who(req)}: SIG${sig} to pid ${pid}`);
    }
    return { ok: true };
  });

  app.post('/api/processes/:pid/renice', async (req) => {
    const pid = pidOf(req);
    const nice = Number((req.body as { nice?: unknown } | undefined)?.nice);
    if (!Number.isInteger(nice) || nice < -20 || nice > 19) throw new HttpError(400, 'nice must be a whole number from -20 to 19');
    try {
      setPriority(pid, nice);
    } catch (e) {
      throw fromErrno(e, `pid ${pid}`, `renice pid ${pid} to ${nice}`);
    } finally {
      ctx.log(`dk console: ${who(req)}: renice pid ${pid} to ${nice}`);
    }
    return { ok: true };
  });

  app.get('/api/services', async () => {
    const init = await ctx.daemons.init();
    if (!init) throw new HttpError(503, 'no dk init answers (dk console --state-dir DIR finds its control socket)');
    return { target: init.status.detail.target, units: init.status.detail.units, pid: init.status.pid };
  });

  app.post('/api/services/:unit/:action', async (req) => {
    const { unit, action } = req.params as { unit: string; action: string };
    if (!(UNIT_ACTIONS as readonly string[]).includes(action)) throw new HttpError(400, `action must be one of ${UNIT_ACTIONS.join(', ')}`);
    if (!/^[\w@.:-]{1,255}$/.test(unit)) throw new HttpError(400, `'${unit}' is not a unit name`);
    try {
      const r = await ctx.daemons.unit(unit, action as UnitAction);
      ctx.log(`dk console: ${who(req)}: ${action} ${unit}: ${r.ok === false ? 'failed' : 'done'}`);
      return r;
    } catch (e) {
      ctx.log(`dk console: ${who(req)}: ${action} ${unit}: ${(e as Error).message}`);
      throw new HttpError(/does not exist/.test((e as Error).message) ? 404 : 502, (e as Error).message);
    }
  });

  app.get('/api/logs', async (req) => {
    const q = parseLogQuery(req.query as Record<string, string>);
    if (typeof q === 'string') throw new HttpError(400, q);
    const db = await ctx.daemons.store();
    if (!db) throw new HttpError(503, 'no log store: no dk syslogd with a store answers (or give dk console --db FILE)');
    const store = await openReader(db).catch((e: Error) => {
      throw new HttpError(503, e.message);
    });
    try {
      const t0 = performance.now();
      const rows = await collect(store.select(q.filter, q.grep ? (r) => q.grep!.test(r.msg) : undefined));
      const last = rows[rows.length - 1];
      return { rows: rows.map(logRow), next: rows.length === q.filter.limit ? `${last.received}:${last.id}` : undefined, ms: performance.now() - t0 };
    } finally {
      await store.close();
    }
  });

  app.get('/api/network', async () => {
    const all = await ctx.daemons.statuses();
    const pick = (name: string) => all.find((f) => f.status.name === name)?.status;
    return { inetd: pick('inetd'), rpcbind: pick('rpcbind'), syslogd: pick('syslogd') };
  });

  // the page and its assets: files of the assets directory only, read and compressed once
  const assets = new Map<string, { raw: Buffer; gz: Buffer }>();
  const asset = (file: string) => {
    let a = assets.get(file);
    if (!a) {
      const raw = fs.readFileSync(file);
      assets.set(file, (a = { raw, gz: gzipSync(raw, { level: 9 }) }));
    }
    return a;
  };
  app.get('/*', async (req, reply) => {
    const path = req.url.split('?')[0];
    const rel = normalize(path === '/' ? '/index.html' : path).replace(/^(\.\.[/\\])+/, '');
    let file = join(ctx.assets, rel);
    // the page routes (#/processes ...) are the same page
    if (!file.startsWith(ctx.assets) || !TYPES[extname(file)] || !fs.existsSync(file)) file = join(ctx.assets, 'index.html');
    const a = asset(file);
    void reply.type(TYPES[extname(file)]).header('vary', 'accept-encoding');
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(a.gz);
    return reply.send(a.raw);
  });
}

export function logRow(r: LogRecord): LogRecord & { line: string } {
  return { ...r, line: formatRecord(r, 'short') };
}

function checkOrigin(req: FastifyRequest, ctx: HttpContext): void {
  const origin = req.headers.origin;
  if (origin !== ownOrigin(req, ctx.secure)) throw new HttpError(403, `cross-origin request refused (Origin ${origin ?? 'missing'})`);
}

function pidOf(req: FastifyRequest): number {
  const raw = (req.params as { pid: string }).pid;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1 || Number(raw) > 4194304) throw new HttpError(400, `'${raw}' is not a PID`);
  return Number(raw);
}

function fromErrno(e: unknown, what: string, action: string): HttpError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ESRCH') return new HttpError(404, `no process: ${what}`);
  if (code === 'EPERM' || code === 'EACCES') return new HttpError(403, `the kernel refused ${action} to the console's user`);
  return new HttpError(400, `${action}: ${(e as Error).message}`);
}

export type { FastifyReply };
