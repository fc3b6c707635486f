/**
 * The machine-wide numbers (top's summary, dk update's dirty pages): CPU
 * tick counters, memory, load, logged-in users, and the paging counters
 * that show thrashing.
 */
import { readFileSync } from 'node:fs';
import { countField } from './parse/status.js';
import { readAscii } from './read.js';

/** user nice system idle iowait irq softirq steal, for the total and each CPU */
export type CpuTicks = number[];

export function parseCpuStat(text: string): { total: CpuTicks; cpus: CpuTicks[] } {
  let total: CpuTicks = [];
  const cpus: CpuTicks[] = [];
  for (const line of text.split('\n')) {
    const m = /^cpu(\d*)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).slice(0, 8).map(Number);
    while (v.length < 8) v.push(0);
    if (m[1] === '') total = v;
    else cpus[Number(m[1])] = v;
  }
  return { total, cpus };
}

/** Percentages of each state between two samples, as top prints them. */
export function cpuPercents(a: CpuTicks, b: CpuTicks): number[] {
  const d = b.map((x, i) => Math.max(0, x - (a[i] ?? 0)));
  const sum = d.reduce((s, x) => s + x, 0);
  if (sum === 0) return [0, 0, 0, 100, 0, 0, 0, 0];
  return d.map((x) => (x * 100) / sum);
}

export interface MemInfo {
  total: number;
  free: number;
  available: number;
  buffers: number;
  cached: number;
  swapTotal: number;
  swapFree: number;
  /** waiting to be written to disk, and being written now (what sync flushes) */
  dirty: number;
  writeback: number;
}

export function parseMeminfo(text: string): MemInfo {
  const v = (k: string): number => countField(text, `${k}:`);
  return {
    total: v('MemTotal'),
    free: v('MemFree'),
    available: v('MemAvailable'),
    buffers: v('Buffers'),
    // top counts reclaimable slab with the page cache
    cached: v('Cached') + v('SReclaimable'),
    swapTotal: v('SwapTotal'),
    swapFree: v('SwapFree'),
    dirty: v('Dirty'),
    writeback: v('Writeback'),
  };
}

export interface VmCounters {
  pswpin: number;
  pswpout: number;
  pgmajfault: number;
}

export function parseVmstat(text: string): VmCounters {
  const v = (k: string): number => countField(text, `${k} `);
  return { pswpin: v('pswpin'), pswpout: v('pswpout'), pgmajfault: v('pgmajfault') };
}

export interface PagingRates {
  /** pages swapped in and out, and major faults, per second */
  swapIn: number;
  swapOut: number;
  majflt: number;
}

export function pagingRates(a: VmCounters, b: VmCounters, seconds: number): PagingRates {
  const per = (x: number, y: number) => (seconds > 0 ? Math.max(0, y - x) / seconds : 0);
  return { swapIn: per(a.pswpin, b.pswpin), swapOut: per(a.pswpout, b.pswpout), majflt: per(a.pgmajfault, b.pgmajfault) };
}

/** Swapping both ways while faulting pages in fast: the machine spends its time paging (top --thrash's warning). */
export const thrashing = (r: PagingRates): boolean => r.swapIn + r.swapOut > 100 && r.majflt > 100;

/** USER_PROCESS records in utmp (384 bytes each on Linux x86-64 and arm64). */
export function countUsers(utmp: Buffer | undefined): number {
  if (!utmp) return 0;
  let n = 0;
  for (let o = 0; o + 384 <= utmp.length; o += 384) if (utmp.readInt16LE(o) === 7) n++;
  return n;
}

export interface SystemSample {
  at: number;
  uptime: number;
  load: [number, number, number];
  users: number;
  cpu: { total: CpuTicks; cpus: CpuTicks[] };
  mem: MemInfo;
  vm: VmCounters;
}

/** /proc/meminfo now, in kB. */
export function memInfo(procRoot = '/proc'): MemInfo {
  return parseMeminfo(readAscii(`${procRoot}/meminfo`) ?? '');
}

export function sampleSystem(procRoot = '/proc'): SystemSample {
  const load = (readAscii(`${procRoot}/loadavg`) ?? '0 0 0').split(' ').slice(0, 3).map(Number) as [number, number, number];
  let utmp: Buffer | undefined;
  try {
    utmp = readFileSync('/run/utmp');
  } catch {
    utmp = undefined;
  }
  return {
    at: Date.now(),
    uptime: parseFloat(readAscii(`${procRoot}/uptime`) ?? '0'),
    load,
    users: countUsers(utmp),
    cpu: parseCpuStat(readAscii(`${procRoot}/stat`) ?? ''),
    mem: memInfo(procRoot),
    vm: parseVmstat(readAscii(`${procRoot}/vmstat`) ?? ''),
  };
}
