/**
 * What makes a process a daemon, as the lecture lists it: no controlling
 * terminal, no terminal foreground group (TPGID -1), a parent that is init or
 * a supervisor that reaps for it, and a session of its own (it called
 * setsid, so it is not in its parent's session). Kernel threads are not
 * daemons in this sense and never qualify.
 */
import type { ProcessInfo } from '../proc/types.js';
import type { Column } from './columns.js';

export interface DaemonTraits {
  noTty: boolean;
  noTpgid: boolean;
  /** parent is init, or a supervisor: itself terminal-less and a child of init */
  parentInit: boolean;
  ownSession: boolean;
}

/** what the traits are read from: a process record, or anything with these fields */
export type DaemonFacts = Pick<ProcessInfo, 'pid' | 'ppid' | 'sid' | 'ttyNr' | 'tpgid'>;

export function daemonTraits(p: DaemonFacts, byPid: ReadonlyMap<number, DaemonFacts>): DaemonTraits {
  const parent = byPid.get(p.ppid);
  const parentInit = p.ppid === 1 || (parent !== undefined && parent.ttyNr === 0 && parent.ppid === 1 && parent.sid === parent.pid);
  return {
    noTty: p.ttyNr === 0,
    noTpgid: p.tpgid === -1,
    parentInit,
    ownSession: p.sid === p.pid || (parent !== undefined ? parent.sid !== p.sid : p.ppid === 1),
  };
}

export function isDaemon(p: ProcessInfo, byPid: ReadonlyMap<number, ProcessInfo>): boolean {
  if (p.kernelThread || p.pid === 1 || p.ppid === 0 || p.state === 'Z') return false;
  const t = daemonTraits(p, byPid);
  return t.noTty && t.noTpgid && t.parentInit && t.ownSession;
}

/** "TGPS" with '-' for each trait that does not hold. */
export function traitLetters(t: DaemonTraits): string {
  return `${t.noTty ? 'T' : '-'}${t.noTpgid ? 'G' : '-'}${t.parentInit ? 'P' : '-'}${t.ownSession ? 'S' : '-'}`;
}

/** A DAEMON column over one snapshot (the traits need the parent's record). */
export function daemonColumn(byPid: ReadonlyMap<number, ProcessInfo>): Column {
  return {
    name: 'daemon',
    head: 'DAEMON',
    width: 6,
    just: 'L',
    needs: [],
    print: (p) => (p.kernelThread ? 'kernel' : traitLetters(daemonTraits(p, byPid))),
  };
}

export const DAEMON_FORMAT = 'pid,ppid,pgid,sid,tname,tpgid,stat,user,args';
