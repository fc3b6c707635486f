/**
 * The process table as psutil's pids(), pid_exists() and process_iter():
 * process_iter hands out the same handle for a process on every call (so
 * cpuPercent() measures since the previous pass), a new one when its PID
 * was reused, and fills info with the attributes asked in one oneshot()
 * batch per process. A process that exits during the pass is left out.
 */
import { existsSync } from 'node:fs';
import { readAscii } from '../proc/read.js';
import { listProcPids } from './procat.js';
import { NoSuchProcess } from './errors.js';
import { ATTRS, type Attr, FILES_OF, iterHandles, type Process, type ProcessDict } from './process.js';

/** the PIDs of every process, ascending */
export function pids(): number[] {
  return listProcPids();
}

/** whether a process with this PID exists now (a zombie does) */
export function pidExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid < 0) return false;
  if (pid === 0) return true; // the scheduler's idle task, as psutil says on Linux
  // /proc/TID answers for a thread too, which is not a process: its Tgid is its leader's
  const tgid = /^Tgid:\s*(\d+)/m.exec(readAscii(`/proc/${pid}/status`) ?? '')?.[1];
  return tgid === undefined ? existsSync(`/proc/${pid}`) : Number(tgid) === pid;
}

const known = new Map<number, Process>();

export interface ProcessIterOptions<K extends Attr> {
  /** attributes to fill each handle's info with (every attribute when [] is given) */
  attrs?: readonly K[];
  /** the value of an attribute the kernel would not show (AccessDenied, or a zombie's): default undefined */
  adValue?: unknown;
}

export type ProcessWithInfo<K extends Attr> = Process & { info: Pick<ProcessDict, K> };

/** Every process, by ascending PID, as handles; with attrs, each with info filled. */
export function processIter<K extends Attr = never>(opts: ProcessIterOptions<K> = {}): Generator<ProcessWithInfo<K>> {
  return walk(opts);
}

function* walk<K extends Attr>(opts: ProcessIterOptions<K>): Generator<ProcessWithInfo<K>> {
  const seen = new Set<number>();
  const attrs = opts.attrs?.length === 0 ? ATTRS : opts.attrs;
  // the files the attributes read, read for all processes in batches before the handles are handed out
  const files = new Map((attrs ?? []).flatMap((a) => FILES_OF[a] ?? []));
  // memoryInfo takes statm's figures from status when status is read anyway (one file less a process)
  if (files.has('status')) files.delete('statm');
  for (const fresh of iterHandles([...files])) {
    seen.add(fresh.pid);
    let p = known.get(fresh.pid);
    if (!p?.sameAs(fresh)) known.set(fresh.pid, (p = fresh));
    else p.refresh(fresh);
    if (opts.attrs) {
      try {
        (p as ProcessWithInfo<K>).info = p.asDict(opts.attrs.length ? opts.attrs : undefined, opts.adValue) as Pick<ProcessDict, K>;
      } catch (e) {
        if (e instanceof NoSuchProcess) continue;
        throw e;
      }
    }
    yield p as ProcessWithInfo<K>;
  }
  for (const pid of known.keys()) if (!seen.has(pid)) known.delete(pid);
}
