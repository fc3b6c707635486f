/**
 * When the machine booted and who is logged in (utmp), as psutil's
 * boot_time() and users().
 */
import { readFileSync } from 'node:fs';
import { readAscii } from '../../proc/read.js';

/** boot time, seconds since the epoch (btime of /proc/stat) */
export function bootTime(): number {
  return Number(/^btime (\d+)/m.exec(readAscii('/proc/stat') ?? '')?.[1] ?? 0);
}

export interface User {
  name: string;
  /** the terminal (pts/0), undefined when the session has none */
  terminal: string | undefined;
  /** where the user came from: a host name or address, 'localhost' for the local display, '' for a console */
  host: string;
  /** when the session started, seconds since the epoch */
  started: number;
  /** the session leader's pid */
  pid: number;
}

/** utmp records are 384 bytes on every 64-bit Linux ABI Node runs on (glibc's struct utmp with 32-bit times) */
const RECORD = 384;
const USER_PROCESS = 7;

const cstr = (b: Buffer, at: number, len: number): string => {
  const s = b.subarray(at, at + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? len : nul).toString('utf8');
};

/** The USER_PROCESS records of a utmp file. Pure. */
export function parseUtmp(b: Buffer): User[] {
  const out: User[] = [];
  for (let o = 0; o + RECORD <= b.length; o += RECORD) {
    if (b.readInt16LE(o) !== USER_PROCESS) continue;
    const host = cstr(b, o + 76, 256);
    out.push({
      name: cstr(b, o + 44, 32),
      terminal: cstr(b, o + 8, 32) || undefined,
      host: host === ':0' || host === ':0.0' ? 'localhost' : host,
      started: b.readInt32LE(o + 340),
      pid: b.readInt32LE(o + 4),
    });
  }
  return out;
}

/** the users logged in now (utmp: /run/utmp, or another file) */
export function users(opts: { utmp?: string } = {}): User[] {
  try {
    return parseUtmp(readFileSync(opts.utmp ?? '/run/utmp'));
  } catch {
    return [];
  }
}
