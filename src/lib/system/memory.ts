/**
 * Memory of the whole machine in bytes, as psutil's virtual_memory() and
 * swap_memory(), which follow procps free(1): "cached" counts reclaimable
 * slab, "used" is what neither free, buffers nor cache hold.
 */
import { countField, fieldValue } from '../../proc/parse/status.js';
import { readHeld } from './held.js';

export interface VirtualMemory {
  total: number;
  /** what can be given to programs without swapping (MemAvailable) */
  available: number;
  /** (total - available) / total, percent with one decimal */
  percent: number;
  used: number;
  free: number;
  active: number;
  inactive: number;
  buffers: number;
  /** page cache plus reclaimable slab */
  cached: number;
  /** tmpfs and shared memory (Shmem) */
  shared: number;
  slab: number;
}

export interface SwapMemory {
  total: number;
  used: number;
  free: number;
  percent: number;
  /** bytes swapped in and out since boot */
  sin: number;
  sout: number;
}

/** /proc/meminfo as bytes by key. Pure. */
export function parseMeminfoBytes(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const v = Number.parseInt(line.slice(colon + 1), 10);
    if (Number.isSafeInteger(v)) m.set(line.slice(0, colon), line.endsWith('kB') ? v * 1024 : v);
  }
  return m;
}

const percentOf = (part: number, whole: number): number => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0);

/** One "Key:   value kB" of meminfo in bytes, found directly; undefined when absent. Pure. */
export function meminfoValue(text: string, key: string): number | undefined {
  const line = fieldValue(text, `${key}:`);
  const v = Number.parseInt(line ?? '', 10);
  if (line === undefined || !Number.isSafeInteger(v)) return undefined;
  return line.endsWith('kB') ? v * 1024 : v;
}

/** The figures from meminfo's text. Pure. */
export function virtualMemoryOf(text: string): VirtualMemory {
  // ten direct searches: a Map of all ~55 lines costs as much again as reading the file
  const m = { get: (k: string) => meminfoValue(text, k) };
  const v = (k: string) => m.get(k) ?? 0;
  const total = v('MemTotal');
  const free = v('MemFree');
  const buffers = v('Buffers');
  const cached = v('Cached') + v('SReclaimable');
  let used = total - free - cached - buffers;
  if (used < 0) used = total - free;
  // kernels before 3.14 have no MemAvailable: procps' estimate
  let available = m.get('MemAvailable') ?? free + buffers + cached;
  if (available > total) available = free;
  const inactive = m.get('Inactive') ?? v('Inact_dirty') + v('Inact_clean') + v('Inact_laundry');
  return {
    total,
    available,
    percent: percentOf(total - available, total),
    used,
    free,
    active: v('Active'),
    inactive,
    buffers,
    cached,
    shared: m.get('Shmem') ?? v('MemShared'),
    slab: v('Slab'),
  };
}

export function virtualMemory(): VirtualMemory {
  return virtualMemoryOf(readHeld('/proc/meminfo'));
}

/** The swap figures from meminfo's and vmstat's text. Pure. */
export function swapMemoryOf(meminfo: string, vmstat: string): SwapMemory {
  const m = parseMeminfoBytes(meminfo);
  const total = m.get('SwapTotal') ?? 0;
  const free = m.get('SwapFree') ?? 0;
  // vmstat counts pages; psutil (and vmstat -s) take them as 4 KiB
  const pages = (k: string) => countField(vmstat, `${k} `) * 4096;
  return { total, used: total - free, free, percent: percentOf(total - free, total), sin: pages('pswpin'), sout: pages('pswpout') };
}

export function swapMemory(): SwapMemory {
  return swapMemoryOf(readHeld('/proc/meminfo'), readHeld('/proc/vmstat'));
}
