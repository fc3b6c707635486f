/**
 * Finding the running dk daemons: every control socket in the run
 * directories (/run/dk/NAME.sock, the user's own) and in the state
 * directories given (DIR/control.sock, DIR/*\/control.sock), each asked
 * for its status. A socket nobody answers on is reported, not skipped.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { ask } from '../daemon/control.js';
import { runDir } from '../daemon/paths.js';
import type { DaemonStatus } from '../daemon/runtime.js';

export interface Found {
  socket: string;
  status?: DaemonStatus;
  /** why the socket did not answer with a status */
  error?: string;
}

const isSocket = (p: string): boolean => {
  try {
    return fs.lstatSync(p).isSocket();
  } catch {
    return false;
  }
};

const list = (dir: string): string[] => {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
};

/** Control sockets where dk daemons put them, in a stable order without repeats. */
export function controlSockets(stateDirs: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const out = new Set<string>();
  for (const dir of stateDirs) {
    for (const p of [
      join(dir, 'control.sock'),
      ...list(dir)
        .sort()
        .map((d) => join(dir, d, 'control.sock')),
    ])
      if (isSocket(p)) out.add(p);
  }
  if (!stateDirs.length) {
    for (const dir of new Set([runDir(env), '/run/dk'])) {
      for (const f of list(dir).sort()) if (f.endsWith('.sock') && isSocket(join(dir, f))) out.add(join(dir, f));
    }
  }
  return [...out];
}

export async function askStatus(socket: string, timeoutMs = 5000): Promise<Found> {
  try {
    const r = await ask(socket, { cmd: 'status' }, timeoutMs);
    if (typeof r.error === 'string') return { socket, error: r.error };
    if (typeof r.name !== 'string' || typeof r.pid !== 'number') return { socket, error: 'the answer is not a daemon status' };
    return { socket, status: r as unknown as DaemonStatus };
  } catch (e) {
    return { socket, error: (e as Error).message };
  }
}

/** Does a daemon's status answer to this name ("syslogd", "dk-syslogd")? */
export const named = (s: DaemonStatus, name: string): boolean => s.name === name || s.comm === name;
