/**
 * A small machine for the console's tests: dk init (subreaper) running dk
 * syslogd with a SQLite store and a "napper" service, and dk console on a
 * loopback port 0 with an admin and a viewer, everything under one temp
 * dir and killed by PID at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './children.js';
import { DK, enableInstalled, ENV } from './dk.js';

export interface ConsoleLab {
  dir: string;
  state: string;
  url: string;
  origin: string;
  logSock: string;
  consoleErr(): string;
  /** a logged-in session: its cookie header and CSRF token */
  login(user: string, password: string): Promise<{ cookie: string; csrf: string; status: number }>;
  close(): Promise<void>;
}

/** guest is the one the rate-limit test locks out */
export const PASSWORDS = { admin: 'admin-password-1', viewer: 'viewer-password-1', guest: 'guest-password-1' };

export async function startConsoleLab(): Promise<ConsoleLab> {
  const dir = mkdtempSync(join(tmpdir(), 'dk-console-'));
  chmodSync(dir, 0o755);
  const state = join(dir, 'state');
  const units = join(dir, 'units');
  mkdirSync(units, { recursive: true });
  mkdirSync(state, { recursive: true });
  const logSock = join(dir, 'log.sock');
  writeFileSync(join(dir, 'syslog.conf'), `*.* ${join(dir, 'messages')}\n`);
  writeFileSync(
    join(units, 'syslogd.service'),
    `[Unit]\nDescription=dk syslogd\n[Service]\nType=notify\nExecStart=${process.execPath} ${DK} syslogd -n -f ${join(dir, 'syslog.conf')} -p ${logSock} --db ${join(dir, 'logs.db')} --db-delay 20 --state-dir ${join(state, 'syslogd')}\n[Install]\nWantedBy=multi-user.target\n`,
  );
  writeFileSync(
    join(units, 'napper.service'),
    "[Unit]\nDescription=sleeps, and says so\nAfter=syslogd.service\n[Service]\nExecStart=/bin/sh -c 'echo napper is up; exec sleep 3600'\n[Install]\nWantedBy=multi-user.target\n",
  );
  writeFileSync(join(units, 'multi-user.target'), '[Unit]\nDescription=the lab\n');
  enableInstalled(units);
  const children: ChildProcess[] = [];
  const init = spawn(process.execPath, [DK, 'init', '--units', units, '--state-dir', join(state, 'init'), '--syslog-socket', logSock], {
    env: ENV,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(init);
  let initErr = '';
  init.stderr!.on('data', (b: Buffer) => (initErr += b.toString()));
  await until(() => /multi-user\.target reached/.test(initErr) || init.exitCode !== null, 'dk init to boot', 30_000);
  const users = join(dir, 'console.users');
  for (const [name, role] of [
    ['admin', 'admin'],
    ['viewer', 'viewer'],
    ['guest', 'viewer'],
  ] as const) {
    const r = spawnSync(process.execPath, [DK, 'console', 'passwd', '--users', users, name, '--role', role], {
      input: `${PASSWORDS[name]}\n`,
      env: ENV,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`dk console passwd: ${r.stderr}`);
  }
  const con = spawn(process.execPath, [DK, 'console', '--listen', '127.0.0.1:0', '--users', users, '--state-dir', state], {
    env: ENV,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(con);
  let err = '';
  con.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await until(() => /listening on http/.test(err) || con.exitCode !== null, 'dk console to listen', 30_000);
  const url = /listening on (http:\/\/\S+)/.exec(err)?.[1];
  if (!url) throw new Error(`dk console did not start: ${err}`);
  const origin = url.replace(/\/$/, '');
  return {
    dir,
    state,
    url,
    origin,
    logSock,
    consoleErr: () => err,
    async login(user, password) {
      const r = await fetch(`${url}api/login`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ user, password }),
      });
      const body = (await r.json()) as { csrf?: string };
      const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
      return { cookie, csrf: body.csrf ?? '', status: r.status };
    },
    async close() {
      for (const c of children.reverse()) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
