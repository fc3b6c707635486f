/**
 * What tasks share, from kcmp(2): fork copies everything, a thread shares
 * everything, vfork lends the parent's memory, clone() shares what its flags
 * name. For each kind of kernel object, tasks are grouped by the object they
 * point at, and each task is named by the lowest TID of its group. kcmp
 * orders objects, so grouping sorts instead of comparing every pair.
 * Where kcmp is not permitted (another user's task without ptrace rights)
 * the task has no group: never a guess.
 */
import { listPids } from './read.js';
import { loadLibc } from '../sys/libc.js';

export const SHARED_KINDS = ['vm', 'files', 'fs', 'sighand', 'io', 'sysvsem'] as const;
export type SharedKind = (typeof SHARED_KINDS)[number];

/** KCMP_* type numbers (linux/kcmp.h) */
const KCMP_TYPE: Record<SharedKind, number> = { vm: 1, files: 2, fs: 3, sighand: 4, io: 5, sysvsem: 6 };

/** SYS_kcmp on the architectures Node runs on */
const SYS_KCMP: Partial<Record<string, number>> = { x64: 312, arm64: 272, arm: 378, ia32: 349, riscv64: 272, ppc64: 354, s390x: 343, loong64: 272 };

export type Kcmp = (a: number, b: number, kind: SharedKind) => number;

/** kcmp(a, b, kind): 0 same object, 1 a's is lower, 2 higher, 3 different (unordered), -1 not permitted or gone */
export function kcmpCall(): Kcmp | undefined {
  const nr = SYS_KCMP[process.arch];
  if (nr === undefined) return undefined;
  let libc: ReturnType<typeof loadLibc>;
  try {
    libc = loadLibc();
  } catch {
    return undefined;
  }
  return (a, b, kind) => libc.syscall(nr, 'int', a, 'int', b, 'int', KCMP_TYPE[kind], 'unsigned long', 0, 'unsigned long', 0);
}

/**
 * For each task given, the lowest TID of the tasks (among those given) that
 * share its object of this kind; tasks kcmp may not look at are absent.
 */
export function shareGroups(tids: readonly number[], kind: SharedKind, cmp: Kcmp): Map<number, number> {
  // a task kcmp may examine compares equal with itself
  const ok = tids.filter((t) => cmp(t, t, kind) === 0);
  let ordered = true;
  const sorted = [...ok].sort((a, b) => {
    if (a === b) return 0;
    const r = cmp(a, b, kind);
    if (r === 0) return a - b;
    if (r === 1) return -1;
    if (r === 2) return 1;
    ordered = false;
    return a - b;
  });
  const out = new Map<number, number>();
  if (ordered) {
    // equal objects are adjacent: each run is one group, named by its lowest TID
    for (let i = 0; i < sorted.length; ) {
      let j = i + 1;
      while (j < sorted.length && cmp(sorted[i], sorted[j], kind) === 0) j++;
      const run = sorted.slice(i, j);
      const low = Math.min(...run);
      for (const t of run) out.set(t, low);
      i = j;
    }
    return out;
  }
  // no ordering from this kernel: compare with each group's first task
  const reps: number[] = [];
  for (const t of [...ok].sort((a, b) => a - b)) {
    const rep = reps.find((r) => cmp(r, t, kind) === 0);
    if (rep === undefined) reps.push(t);
    out.set(t, rep ?? t);
  }
  return out;
}

/** Every task on the system (TIDs), or the process leaders only. */
export function allTasks(procRoot = '/proc', leadersOnly = false): number[] {
  const pids = listPids(procRoot);
  return leadersOnly ? pids : pids.flatMap((pid) => listPids(`${procRoot}/${pid}/task`));
}

/**
 * The groups of every kind asked for, over the whole system: a thread's
 * memory and signal handlers are its process's (CLONE_THREAD implies both),
 * so those kinds compare process leaders and give threads their leader's.
 */
export function systemShareGroups(kinds: readonly SharedKind[], procRoot = '/proc'): Map<SharedKind, Map<number, number>> | undefined {
  const cmp = kcmpCall();
  if (!cmp) return undefined;
  const out = new Map<SharedKind, Map<number, number>>();
  let leaders: number[] | undefined;
  let tasks: number[] | undefined;
  for (const kind of kinds) {
    const perProcess = kind === 'vm' || kind === 'sighand';
    const list = perProcess ? (leaders ??= allTasks(procRoot, true)) : (tasks ??= allTasks(procRoot));
    out.set(kind, shareGroups(list, kind, cmp));
  }
  return out;
}
