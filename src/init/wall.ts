/**
 * wall(1) for dk init's shutdown notices: the terminals of the users logged
 * in, from utmp (struct utmp of glibc on Linux, 384 bytes a record), each
 * sent the message without blocking (a terminal nobody reads is skipped,
 * not waited for).
 */
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

export interface UtmpEntry {
  type: number;
  pid: number;
  /** the terminal under /dev: pts/3, tty1 */
  line: string;
  user: string;
  host: string;
}

/** ut_type of a login session */
export const USER_PROCESS = 7;
const RECORD = 384;

const cString = (b: Buffer, start: number, len: number): string => {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end < 0 || end > start + len ? start + len : end);
};

/** utmp records (short type, int pid, char line[32], char id[4], char user[32], char host[256], ...); a short tail is dropped. */
export function parseUtmp(b: Buffer): UtmpEntry[] {
  const out: UtmpEntry[] = [];
  for (let at = 0; at + RECORD <= b.length; at += RECORD) {
    out.push({
      type: b.readInt16LE(at),
      pid: b.readInt32LE(at + 4),
      line: cString(b, at + 8, 32),
      user: cString(b, at + 44, 32),
      host: cString(b, at + 76, 256),
    });
  }
  return out;
}

/** One utmp record, for tests and for tools that write one. */
export function utmpRecord(e: UtmpEntry): Buffer {
  const b = Buffer.alloc(RECORD);
  b.writeInt16LE(e.type, 0);
  b.writeInt32LE(e.pid, 4);
  b.write(e.line.slice(0, 32), 8, 'utf8');
  b.write(e.user.slice(0, 32), 44, 'utf8');
  b.write(e.host.slice(0, 256), 76, 'utf8');
  return b;
}

/** The text wall sends, as systemd words it (CR before each LF: the terminal may be in raw mode). */
export function wallText(message: string, from: string, at: Date): string {
  const when = at.toUTCString();
  return `\r\nBroadcast message from ${from}@${hostname()} (${when}):\r\n\r\n${message.replace(/\r?\n/g, '\r\n')}\r\n\r\n`;
}

/**
 * Writes text to every logged-in terminal once (a user on two terminals
 * gets it on both); returns the terminals reached. A line that is not a
 * plain name under /dev is not opened.
 */
export function wall(text: string, utmpPath = '/run/utmp', devDir = '/dev'): string[] {
  let entries: UtmpEntry[];
  try {
    entries = parseUtmp(readFileSync(utmpPath));
  } catch {
    return [];
  }
  const reached: string[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.type !== USER_PROCESS || !e.line || e.line.startsWith('/') || e.line.includes('..') || seen.has(e.line)) continue;
    seen.add(e.line);
    const path = `${devDir}/${e.line}`;
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
      writeSync(fd, text);
      reached.push(e.line);
    } catch {
      // gone, or a terminal whose output is full: the others still get it
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return reached;
}
