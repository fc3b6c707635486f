/**
 * The fields of /proc/PID/stat a live table needs every second, parsed from
 * the bytes as they are read: no string for the whole file, no array of
 * fifty words, no record of forty fields. For the console's 1 Hz process
 * table (and anything else that samples every process often); the full
 * parser (parse/stat.ts) stays the reference and the tests hold them equal.
 */
import type { StatFields } from './parse/stat.js';
import { readBytes } from './read.js';

/** the fields a live table reads, named as the full parser names them */
export type StatLite = Pick<
  StatFields,
  'pid' | 'comm' | 'state' | 'ppid' | 'pgrp' | 'session' | 'ttyNr' | 'tpgid' | 'flags' | 'utime' | 'stime' | 'numThreads' | 'starttime' | 'rss'
>;

// 1-based field numbers of stat(5), after pid (1) and comm (2)
const F_STATE = 3;
const F_PPID = 4;
const F_PGRP = 5;
const F_SESSION = 6;
const F_TTY = 7;
const F_TPGID = 8;
const F_FLAGS = 9;
const F_UTIME = 14;
const F_STIME = 15;
const F_THREADS = 20;
const F_START = 22;
const F_RSS = 24;

/** Parses stat bytes; undefined for truncated or malformed input. */
export function parseStatLite(b: Buffer, len = b.length): StatLite | undefined {
  const open = b.indexOf(0x28); // (
  let close = -1;
  for (let i = len - 1; i > open; i--) {
    if (b[i] === 0x29) {
      close = i;
      break;
    }
  }
  if (open < 1 || close < 0) return undefined;
  let pid = 0;
  for (let i = 0; i < open; i++) {
    const c = b[i];
    if (c === 0x20) continue;
    if (c < 0x30 || c > 0x39) return undefined;
    pid = pid * 10 + (c - 0x30);
  }
  let ascii = true;
  for (let i = open + 1; i < close; i++) if (b[i] > 0x7f) ascii = false;
  // latin1 is a plain copy; only a non-ASCII name needs UTF-8 decoding
  const comm = b.toString(ascii ? 'latin1' : 'utf8', open + 1, close);
  const out: StatLite = {
    pid,
    comm,
    state: '',
    ppid: 0,
    pgrp: 0,
    session: 0,
    ttyNr: 0,
    tpgid: 0,
    flags: 0,
    utime: 0,
    stime: 0,
    numThreads: 0,
    starttime: 0,
    rss: 0,
  };
  let field = 3;
  let i = close + 2;
  while (i < len && field <= F_RSS) {
    const start = i;
    let neg = false;
    let v = 0;
    if (b[i] === 0x2d) {
      neg = true;
      i++;
    }
    while (i < len && b[i] !== 0x20 && b[i] !== 0x0a) {
      v = v * 10 + (b[i] - 0x30);
      i++;
    }
    if (neg) v = -v;
    switch (field) {
      case F_STATE:
        out.state = String.fromCharCode(b[start]);
        break;
      case F_PPID:
        out.ppid = v;
        break;
      case F_PGRP:
        out.pgrp = v;
        break;
      case F_SESSION:
        out.session = v;
        break;
      case F_TTY:
        out.ttyNr = v;
        break;
      case F_TPGID:
        out.tpgid = v;
        break;
      case F_FLAGS:
        out.flags = v;
        break;
      case F_UTIME:
        out.utime = v;
        break;
      case F_STIME:
        out.stime = v;
        break;
      case F_THREADS:
        out.numThreads = v;
        break;
      case F_START:
        out.starttime = v;
        break;
      case F_RSS:
        out.rss = v;
        break;
    }
    field++;
    i++;
  }
  return field > F_RSS ? out : undefined;
}

export function readStatLite(pid: number, procRoot = '/proc'): StatLite | undefined {
  const b = readBytes(`${procRoot}/${pid}/stat`, true);
  return b === undefined ? undefined : parseStatLite(b);
}
