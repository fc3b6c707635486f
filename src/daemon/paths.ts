/**
 * Where a daemon's control socket lives when none is given: under its
 * state directory (STATE-DIR/control.sock), else in the run directory
 * (/run/dk/NAME.sock as root; $XDG_RUNTIME_DIR/dk or /tmp/dk-UID for
 * others; DK_RUN_DIR overrides, for tests and unusual layouts). dk status
 * looks in the same places.
 */
import { join } from 'node:path';

export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DK_RUN_DIR) return env.DK_RUN_DIR;
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return '/run/dk';
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'dk') : `/tmp/dk-${uid}`;
}

export function defaultControl(name: string, stateDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  return stateDir ? join(stateDir, 'control.sock') : join(runDir(env), `${name}.sock`);
}
