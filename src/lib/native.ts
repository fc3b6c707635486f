/**
 * The per-process calls /proc cannot answer or change, through libc (koffi,
 * loaded on first use): I/O priority (ioprio_get/set, which glibc does not
 * wrap), resource limits of another process (prlimit) and CPU affinity
 * (sched_getaffinity/setaffinity). Each returns the errno code on failure so
 * the caller can name the process in its error.
 */
import { cpus } from 'node:os';
import { loadLibc } from '../sys/libc.js';

/** SYS_ioprio_get / SYS_ioprio_set on the architectures Node runs on */
const SYS_IOPRIO: Partial<Record<string, [get: number, set: number]>> = {
  x64: [252, 251],
  arm64: [31, 30],
  riscv64: [31, 30],
  loong64: [31, 30],
  arm: [315, 314],
  ia32: [290, 289],
  ppc64: [274, 273],
  s390x: [283, 282],
};
const IOPRIO_WHO_PROCESS = 1;
const IOPRIO_CLASS_SHIFT = 13;

const ERRNO: Record<number, string> = { 1: 'EPERM', 3: 'ESRCH', 13: 'EACCES', 22: 'EINVAL', 38: 'ENOSYS' };
export class Errno extends Error {
  constructor(
    readonly code: string,
    call: string,
  ) {
    super(`${call}: ${code}`);
  }
}
const fail = (call: string): never => {
  const n = loadLibc().errno();
  throw new Errno(ERRNO[n] ?? `errno ${n}`, call);
};

/** I/O scheduling class (IOPRIO_CLASS_*) and level 0-7 */
export function ioprioGet(pid: number): { ioclass: number; value: number } {
  const nr = SYS_IOPRIO[process.arch];
  if (!nr) throw new Errno('ENOSYS', 'ioprio_get');
  const r = loadLibc().syscall(nr[0], 'int', IOPRIO_WHO_PROCESS, 'int', pid);
  if (r < 0) fail('ioprio_get');
  return { ioclass: r >> IOPRIO_CLASS_SHIFT, value: r & ((1 << IOPRIO_CLASS_SHIFT) - 1) };
}

export function ioprioSet(pid: number, ioclass: number, value: number): void {
  const nr = SYS_IOPRIO[process.arch];
  if (!nr) throw new Errno('ENOSYS', 'ioprio_set');
  const r = loadLibc().syscall(nr[1], 'int', IOPRIO_WHO_PROCESS, 'int', pid, 'int', (ioclass << IOPRIO_CLASS_SHIFT) | value);
  if (r < 0) fail('ioprio_set');
}

/** RLIM_INFINITY as a number: limits past 2^53 are all "unlimited" in practice */
export const RLIM_INFINITY = -1;
const INF = 0xffffffffffffffffn;

/** [soft, hard] of one resource (RLIMIT_*), RLIM_INFINITY (-1) for unlimited; with set, the new pair first */
export function prlimit(pid: number, resource: number, set?: readonly [number, number]): [number, number] {
  const old = Buffer.alloc(16);
  let next: Buffer | null = null;
  if (set) {
    next = Buffer.alloc(16);
    next.writeBigUInt64LE(set[0] < 0 ? INF : BigInt(set[0]), 0);
    next.writeBigUInt64LE(set[1] < 0 ? INF : BigInt(set[1]), 8);
  }
  if (loadLibc().prlimit(pid, resource, next, old) !== 0) fail('prlimit');
  const v = (o: number): number => {
    const x = old.readBigUInt64LE(o);
    return x === INF ? RLIM_INFINITY : Number(x);
  };
  return [v(0), v(8)];
}

/** the CPU numbers a process may run on */
export function getAffinity(pid: number): number[] {
  const mask = Buffer.alloc(Math.max(128, Math.ceil(cpus().length / 8)));
  const r = loadLibc().sched_getaffinity(pid, mask.length, mask);
  if (r < 0) fail('sched_getaffinity');
  const out: number[] = [];
  for (let i = 0; i < mask.length * 8; i++) if (mask[i >> 3] & (1 << (i & 7))) out.push(i);
  return out;
}

export function setAffinity(pid: number, cpuList: readonly number[]): void {
  const mask = Buffer.alloc(Math.max(128, Math.ceil((Math.max(0, ...cpuList) + 1) / 8)));
  for (const c of cpuList) mask[c >> 3] |= 1 << (c & 7);
  if (loadLibc().sched_setaffinity(pid, mask.length, mask) < 0) fail('sched_setaffinity');
}
