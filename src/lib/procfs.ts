/**
 * Strict reads of /proc for the library: where src/proc's readers turn
 * every failure into undefined (a listing skips what it cannot see), a
 * Process call must say why it failed, so these keep the errno and
 * translate it as psutil does: EACCES/EPERM is AccessDenied, ESRCH or a
 * vanished /proc/PID is NoSuchProcess, a vanished file of a zombie is
 * ZombieProcess.
 */
import { existsSync } from 'node:fs';
import { readlinkProc, readProc } from './procat.js';
import { fieldValue } from '../proc/parse/status.js';
import { AccessDenied, NoSuchProcess, ZombieProcess } from './errors.js';

/**
 * The whole file under /proc as bytes (a view valid until the next read);
 * throws the errno error. single: the file is one record the kernel makes
 * at the first read (stat, statm, status, io, smaps_rollup: single_open),
 * so a read that does not fill the buffer is the end and the read() that
 * would return 0 is not made (memoryFullInfo: 3 syscalls of 9 saved).
 */
export function readRaw(path: string, single = false): Buffer {
  return readProc(path.slice(6), single);
}

export const readLatin1 = (path: string, single = false): string => readRaw(path, single).toString('latin1');
export const readUtf8 = (path: string): string => readRaw(path).toString('utf8');
export const readLinkStrict = (path: string): string => readlinkProc(path.slice(6));

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
    // the kernel's "no such process" for a task without what the file shows (a kernel thread's environ): psutil's NoSuchProcess
    if (code === 'ESRCH') return new NoSuchProcess(pid, name);
  }
  return e instanceof Error ? e : new Error(String(e));
}

const HIGH_BYTE = /[\x80-\xff]/;

/** Text read as latin1 (the bytes themselves) decoded as the UTF-8 it is; ASCII, most of /proc, is returned as it is. */
export const utf8FromLatin1 = (text: string): string => (HIGH_BYTE.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text);

/** The fields of a stat line read as latin1 after the command name (index 0 is the state), and the name (UTF-8 decoded). */
export function splitStat(text: string): { comm: string; f: string[] } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  return {
    comm: utf8FromLatin1(text.slice(open + 1, close)),
    f: text
      .slice(close + 2)
      .trimEnd()
      .split(' '),
  };
}

/** bytes of one "Key:   N kB" line of status, meminfo or smaps_rollup (key without its colon); undefined when absent */
export function kibField(text: string, key: string): number | undefined {
  const v = Number.parseInt(fieldValue(text, `${key}:`) ?? '', 10);
  return Number.isSafeInteger(v) ? v * 1024 : undefined;
}
