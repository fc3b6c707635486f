/** Runs the built dk executable (dist/dk.cjs) and peers as real processes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DK = fileURLToPath(new URL('../../dk.cjs', import.meta.url));

export interface Result {
  code: number;
  out: string;
  err: string;
}

/**
 * Daemons started without --control put their control socket in the run
 * directory (/run/dk as root): tests give every test process one of its own,
 * so nothing is written outside temp dirs and parallel files never meet.
 */
export const RUN_DIR = mkdtempSync(join(tmpdir(), 'dk-run-'));
process.env.DK_RUN_DIR = RUN_DIR;
process.once('exit', () => rmSync(RUN_DIR, { recursive: true, force: true }));

/** A fixed, comparable environment: same locale and time zone for both sides. */
export const ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C.UTF-8', TZ: 'UTC', HOME: process.env.HOME, DK_RUN_DIR: RUN_DIR };

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = ENV, argv0?: string, input?: string): Result {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', argv0, input, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

export function dk(args: string[], env: NodeJS.ProcessEnv = ENV): Result {
  return run(process.execPath, [DK, ...args], env);
}

/**
 * systemctl enable for every unit file in dir with an [Install] section, as
 * an administrator would before booting (dk init pulls units in by the
 * links enable makes, as systemd does). Throws with dk's words on a problem.
 */
export function enableInstalled(dir: string): void {
  const names = readdirSync(dir).filter((n) => /\.(service|socket|target)$/.test(n) && /^\[Install\]/m.test(readFileSync(join(dir, n), 'utf8')));
  if (!names.length) return;
  const r = dk(['initctl', '--units', dir, 'enable', ...names]);
  if (r.code !== 0) throw new Error(`enable in ${dir}: ${r.err}`);
}
