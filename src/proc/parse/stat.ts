/**
 * Parser for /proc/PID/stat (and /proc/PID/task/TID/stat).
 *
 * The command name sits between the first '(' and the LAST ')': a process may
 * call itself "a) (b", so a naive split on spaces or on the first ')' breaks.
 */

export interface StatFields {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  ttyNr: number;
  tpgid: number;
  flags: number;
  minflt: number;
  cminflt: number;
  majflt: number;
  cmajflt: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  priority: number;
  nice: number;
  numThreads: number;
  starttime: number;
  /** bytes */
  vsize: number;
  /** pages */
  rss: number;
  /** bytes; Infinity for RLIM_INFINITY */
  rsslim: number;
  startcode: number;
  endcode: number;
  startstack: number;
  kstkesp: number;
  kstkeip: number;
  wchan: number;
  exitSignal: number;
  processor: number;
  rtPriority: number;
  policy: number;
}

const RLIM_INFINITY_APPROX = 2 ** 63;

/** Parses the text of a stat file; returns undefined for truncated or malformed input. */
export function parseStat(text: string): StatFields | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  if (!Number.isInteger(pid)) return undefined;
  const comm = text.slice(open + 1, close);
  // Fields from "state" (3rd) to "policy" (41st) are needed: 39 after the comm (the
  // dozen after them are not made into strings)
  const rest = text
    .slice(close + 2)
    .trimEnd()
    .split(' ', 39);
  if (rest.length < 39) return undefined;
  const n = (i: number): number => {
    const v = Number(rest[i]);
    return Number.isNaN(v) ? 0 : v;
  };
  const state = rest[0];
  if (state.length !== 1) return undefined;
  const rsslim = n(22);
  return {
    pid,
    comm,
    state,
    ppid: n(1),
    pgrp: n(2),
    session: n(3),
    ttyNr: n(4),
    tpgid: n(5),
    flags: n(6),
    minflt: n(7),
    cminflt: n(8),
    majflt: n(9),
    cmajflt: n(10),
    utime: n(11),
    stime: n(12),
    cutime: n(13),
    cstime: n(14),
    priority: n(15),
    nice: n(16),
    numThreads: n(17),
    starttime: n(19),
    vsize: n(20),
    rss: n(21),
    rsslim: rsslim >= RLIM_INFINITY_APPROX ? Infinity : rsslim,
    startcode: n(23),
    endcode: n(24),
    startstack: n(25),
    kstkesp: n(26),
    kstkeip: n(27),
    wchan: n(32),
    exitSignal: n(35),
    processor: n(36),
    rtPriority: n(37),
    policy: n(38),
  };
}

/** Splits a Linux dev_t as the kernel encodes it in stat's tty_nr. */
export function devMajor(dev: number): number {
  return ((dev >>> 8) & 0xfff) >>> 0;
}

export function devMinor(dev: number): number {
  return ((dev & 0xff) | ((dev >>> 12) & 0xfff00)) >>> 0;
}
