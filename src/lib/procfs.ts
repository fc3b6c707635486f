/**
 * Strict reads of /proc for the library: where src/proc's readers turn
 * every failure into undefined (a listing skips what it cannot see), a
 * Process call must say why it failed, so these keep the errno and
 * translate it as psutil does: EACCES/EPERM is AccessDenied, ESRCH or a
 * vanished /proc/PID is NoSuchProcess, a vanished file of a zombie is
 * ZombieProcess.
 */
import { closeSync, existsSync, openSync, readSync, readlinkSync } from 'node:fs';
import { AccessDenied, NoSuchProcess, ZombieProcess } from './errors.js';

let shared = Buffer.allocUnsafe(16 * 1024);

/** The whole file as bytes (a view valid until the next read); throws the errno error. */
export function readRaw(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    let len = 0;
    for (;;) {
      if (len === shared.length) {
        const bigger = Buffer.allocUnsafe(shared.length * 2);
        shared.copy(bigger, 0, 0, len);
        shared = bigger;
      }
      const n = readSync(fd, shared, len, shared.length - len, null);
      if (n <= 0) break;
      len += n;
    }
    return shared.subarray(0, len);
  } finally {
    closeSync(fd);
  }
}

export const readLatin1 = (path: string): string => readRaw(path).toString('latin1');
export const readUtf8 = (path: string): string => readRaw(path).toString('utf8');
export const readLinkStrict = (path: string): string => readlinkSync(path);

export const codeOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/**
 * What an errno from reading /proc/PID/... means for that process.
 * zombie(): whether the process is a zombie now (asked only when a file vanished).
 */
export function translate(e: unknown, pid: number, name: string | undefined, zombie: () => number | undefined): Error {
  const code = codeOf(e);
  if (code === 'EACCES' || code === 'EPERM') return new AccessDenied(pid, name);
  if (code === 'ESRCH' || code === 'ENOENT') {
    if (!existsSync(`/proc/${pid}`)) return new NoSuchProcess(pid, name);
    const ppid = zombie();
    if (ppid !== undefined) return new ZombieProcess(pid, name, ppid);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** The fields of a stat line after the command name (index 0 is the state), and the name. */
export function splitStat(text: string): { comm: string; f: string[] } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  return {
    comm: text.slice(open + 1, close),
    f: text
      .slice(close + 2)
      .trimEnd()
      .split(' '),
  };
}
