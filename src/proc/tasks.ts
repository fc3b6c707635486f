/**
 * Single reads about one process that a snapshot does not batch: its raw
 * command line (NUL-separated, as psmisc prints it) and its tasks (threads),
 * read one at a time when a tool asks for them.
 */
import { parseStat } from './parse/stat.js';
import { listPids, readAscii, readText } from './read.js';

/** /proc/PID/cmdline as the kernel gives it ('' for kernel threads and zombies). */
export const rawCmdline = (pid: number, procRoot = '/proc'): string => readAscii(`${procRoot}/${pid}/cmdline`) ?? '';

/** Thread IDs of a process (the main thread's is the PID). */
export const taskIds = (pid: number, procRoot = '/proc'): number[] => listPids(`${procRoot}/${pid}/task`);

/** A thread's own name (comm), if it still exists. */
export const taskComm = (pid: number, tid: number, procRoot = '/proc'): string | undefined =>
  parseStat(readText(`${procRoot}/${pid}/task/${tid}/stat`) ?? '')?.comm;

/** The children of every thread of a process (/proc/PID/task/TID/children), for reaping orphans. */
export function childPids(pid: number | 'self' = 'self', procRoot = '/proc'): number[] | undefined {
  const tids = listPids(`${procRoot}/${pid}/task`);
  if (!tids.length) return undefined;
  const kids: number[] = [];
  for (const t of tids) {
    const list = readAscii(`${procRoot}/${pid}/task/${t}/children`)?.trim();
    if (list) for (const k of list.split(/\s+/)) kids.push(Number(k));
  }
  return kids;
}

/** State letter and process group of a process, from its stat; undefined once it is gone. */
export function stateOf(pid: number, procRoot = '/proc'): { state: string; pgid: number } | undefined {
  const st = parseStat(readAscii(`${procRoot}/${pid}/stat`) ?? '');
  return st ? { state: st.state, pgid: st.pgrp } : undefined;
}
