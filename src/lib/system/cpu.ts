/**
 * CPU figures of the whole machine, as psutil's cpu_* functions: tick
 * counters of /proc/stat in seconds, busy percentages between two samples,
 * counts of logical CPUs and cores, scheduler counters and frequencies.
 */
import { readdirSync } from 'node:fs';
import { countField } from '../../proc/parse/status.js';
import { readAscii } from '../../proc/read.js';
import { readHeld } from './held.js';
import { loadLibc } from '../../sys/libc.js';

const HZ = 100;

/** seconds each CPU (or all together) spent in each state since boot */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  /** running a guest's virtual CPU (already counted in user) */
  guest: number;
  guestNice: number;
}

const FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guestNice'] as const;

/** The cpu lines of /proc/stat: the total first, then one per CPU. Pure. */
export function parseCpuLines(text: string): { total: CpuTimes; perCpu: CpuTimes[] } {
  let total: CpuTimes | undefined;
  const perCpu: CpuTimes[] = [];
  // the cpu lines come first; the rest (intr alone is thousands of numbers) is not split
  for (let at = 0; text.startsWith('cpu', at); ) {
    const eol = text.indexOf('\n', at);
    const line = text.slice(at, eol < 0 ? text.length : eol);
    at = eol < 0 ? text.length : eol + 1;
    const f = line.split(' ');
    // "cpu  1 2 ..." has two spaces after the total's name, "cpu0 1 2 ..." one
    const o = f[1] === '' ? 2 : 1;
    const n = (i: number): number => {
      const v = Number(f[o + i]);
      return v >= 0 ? v / HZ : 0;
    };
    const t: CpuTimes = { user: n(0), nice: n(1), system: n(2), idle: n(3), iowait: n(4), irq: n(5), softirq: n(6), steal: n(7), guest: n(8), guestNice: n(9) };
    if (o === 2 && f[0] === 'cpu') total = t;
    else perCpu.push(t);
  }
  return { total: total ?? { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 }, perCpu };
}

const statText = (): string => readHeld('/proc/stat');

/** seconds in each state since boot, for the machine (or, with perCpu, each CPU) */
export function cpuTimes(opts: { perCpu: true }): CpuTimes[];
export function cpuTimes(opts?: { perCpu?: false }): CpuTimes;
export function cpuTimes(opts: { perCpu?: boolean } = {}): CpuTimes | CpuTimes[] {
  const t = parseCpuLines(statText());
  return opts.perCpu ? t.perCpu : t.total;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const delta = (a: CpuTimes, b: CpuTimes): CpuTimes => Object.fromEntries(FIELDS.map((k) => [k, Math.max(0, b[k] - a[k])])) as unknown as CpuTimes;
// guest time is counted in user and guest_nice in nice already
const totalOf = (t: CpuTimes): number => FIELDS.reduce((s, k) => s + t[k], 0) - t.guest - t.guestNice;

/** busy percent between two samples: all but idle and iowait, over everything */
export function busyPercent(a: CpuTimes, b: CpuTimes): number {
  const d = delta(a, b);
  const all = totalOf(d);
  return all > 0 ? round1(((all - d.idle - d.iowait) / all) * 100) : 0;
}

/** each state's share between two samples, percent */
export function statePercents(a: CpuTimes, b: CpuTimes): CpuTimes {
  const d = delta(a, b);
  const all = totalOf(d);
  return Object.fromEntries(FIELDS.map((k) => [k, all > 0 ? Math.min(100, Math.max(0, round1((d[k] / all) * 100))) : 0])) as unknown as CpuTimes;
}

/** One "since the last call" state per function and shape, as psutil keeps for interval-less calls. */
const last: { busy?: { total: CpuTimes; perCpu: CpuTimes[] }; states?: { total: CpuTimes; perCpu: CpuTimes[] } } = {};

function overInterval<T>(
  interval: number | undefined,
  key: 'busy' | 'states',
  perCpu: boolean | undefined,
  f: (a: CpuTimes, b: CpuTimes) => T,
): T | T[] | Promise<T | T[]> {
  const compute = (a: { total: CpuTimes; perCpu: CpuTimes[] }, b: { total: CpuTimes; perCpu: CpuTimes[] }) =>
    perCpu ? b.perCpu.map((t, i) => f(a.perCpu[i] ?? t, t)) : f(a.total, b.total);
  const now = parseCpuLines(statText());
  if (interval === undefined || interval <= 0) {
    // the first call compares with boot, as psutil's first call does with its import-time sample
    const before = last[key] ?? { total: delta(now.total, now.total), perCpu: now.perCpu.map((t) => delta(t, t)) };
    last[key] = now;
    return compute(before, now);
  }
  return new Promise((resolve) =>
    setTimeout(() => {
      const end = parseCpuLines(statText());
      last[key] = end;
      resolve(compute(now, end));
    }, interval * 1000),
  );
}

/**
 * Busy percent of the machine (or each CPU). Without interval: since the
 * previous call; with interval (seconds): over that much time from now.
 */
export function cpuPercent(opts?: { interval?: undefined | 0; perCpu?: false }): number;
export function cpuPercent(opts: { interval?: undefined | 0; perCpu: true }): number[];
export function cpuPercent(opts: { interval: number; perCpu?: false }): Promise<number>;
export function cpuPercent(opts: { interval: number; perCpu: true }): Promise<number[]>;
export function cpuPercent(opts: { interval?: number; perCpu?: boolean } = {}): number | number[] | Promise<number | number[]> {
  return overInterval(opts.interval, 'busy', opts.perCpu, busyPercent);
}

/** Each state's percent of the time, as cpuPercent measures it. */
export function cpuTimesPercent(opts?: { interval?: undefined | 0; perCpu?: false }): CpuTimes;
export function cpuTimesPercent(opts: { interval?: undefined | 0; perCpu: true }): CpuTimes[];
export function cpuTimesPercent(opts: { interval: number; perCpu?: false }): Promise<CpuTimes>;
export function cpuTimesPercent(opts: { interval: number; perCpu: true }): Promise<CpuTimes[]>;
export function cpuTimesPercent(opts: { interval?: number; perCpu?: boolean } = {}): CpuTimes | CpuTimes[] | Promise<CpuTimes | CpuTimes[]> {
  return overInterval(opts.interval, 'states', opts.perCpu, statePercents);
}

/** "0-3,8-11" -> the count of CPUs named. Pure. */
export function countCpuList(list: string): number {
  let n = 0;
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a + 1;
  }
  return n;
}

/**
 * Logical CPUs online (default), or physical cores (logical: false): the
 * distinct sibling lists of each CPU's topology; undefined when unknown.
 */
export function cpuCount(opts: { logical?: boolean } = {}): number | undefined {
  if (opts.logical !== false) {
    const online = readAscii('/sys/devices/system/cpu/online');
    return online ? countCpuList(online) : undefined;
  }
  const cores = new Set<string>();
  let cpus: string[] = [];
  try {
    cpus = readdirSync('/sys/devices/system/cpu').filter((n) => /^cpu\d+$/.test(n));
  } catch {
    /* no sysfs */
  }
  for (const file of ['core_cpus_list', 'thread_siblings_list']) {
    for (const c of cpus) {
      const t = readAscii(`/sys/devices/system/cpu/${c}/topology/${file}`);
      if (t !== undefined) cores.add(t.trim());
    }
    if (cores.size) return cores.size;
  }
  // no topology in sysfs: /proc/cpuinfo's (physical id, core id) pairs
  const info = readAscii('/proc/cpuinfo') ?? '';
  const pairs = new Set<string>();
  for (const block of info.split('\n\n')) {
    const phys = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (phys !== undefined && core !== undefined) pairs.add(`${phys}:${core}`);
  }
  return pairs.size || undefined;
}

export interface CpuStats {
  /** context switches since boot */
  ctxSwitches: number;
  interrupts: number;
  softInterrupts: number;
  /** not counted by Linux: always 0 */
  syscalls: number;
}

export function cpuStats(): CpuStats {
  const t = statText();
  const first = (key: string) => countField(t, `${key} `);
  return { ctxSwitches: first('ctxt'), interrupts: first('intr'), softInterrupts: first('softirq'), syscalls: 0 };
}

/** MHz; min and max are 0 where the kernel has no cpufreq driver (most VMs) */
export interface CpuFreq {
  current: number;
  min: number;
  max: number;
}

function cpuinfoMhz(): number[] {
  return [...(readAscii('/proc/cpuinfo') ?? '').matchAll(/^cpu MHz\s*:\s*([\d.]+)/gim)].map((m) => Number(m[1]));
}

function freqDirs(): string[] {
  const base = '/sys/devices/system/cpu';
  const list = (dir: string, re: RegExp) => {
    try {
      return readdirSync(dir).filter((n) => re.test(n));
    } catch {
      return [];
    }
  };
  const policies = list(`${base}/cpufreq`, /^policy\d+$/).map((n) => `${base}/cpufreq/${n}`);
  const dirs = policies.length
    ? policies
    : list(base, /^cpu\d+$/)
        .map((n) => `${base}/${n}/cpufreq`)
        .filter((d) => readAscii(`${d}/scaling_max_freq`) !== undefined);
  return dirs.sort((a, b) => Number(/\d+/.exec(a.slice(base.length))?.[0]) - Number(/\d+/.exec(b.slice(base.length))?.[0]));
}

/** the frequency of each CPU (perCpu) or their mean; undefined when the machine tells none */
export function cpuFreq(opts: { perCpu: true }): CpuFreq[];
export function cpuFreq(opts?: { perCpu?: false }): CpuFreq | undefined;
export function cpuFreq(opts: { perCpu?: boolean } = {}): CpuFreq | CpuFreq[] | undefined {
  const mhz = cpuinfoMhz();
  const dirs = freqDirs();
  const khz = (path: string) => Number(readAscii(path) ?? 'NaN') / 1000;
  const each: CpuFreq[] = dirs.length
    ? dirs.map((d, i) => ({
        current: dirs.length === mhz.length ? mhz[i] : khz(`${d}/scaling_cur_freq`) || khz(`${d}/cpuinfo_cur_freq`),
        min: khz(`${d}/scaling_min_freq`),
        max: khz(`${d}/scaling_max_freq`),
      }))
    : mhz.map((current) => ({ current, min: 0, max: 0 }));
  if (opts.perCpu) return each;
  if (each.length === 0) return undefined;
  const mean = (k: keyof CpuFreq) => each.reduce((s, c) => s + c[k], 0) / each.length;
  return { current: mean('current'), min: mean('min'), max: mean('max') };
}

/**
 * The 1, 5 and 15 minute load averages, from getloadavg(3): the kernel's
 * fixed-point values whole (/proc/loadavg rounds them to two decimals).
 */
export function loadAvg(): [number, number, number] {
  try {
    const b = Buffer.alloc(24);
    if (loadLibc().getloadavg(b, 3) === 3) return [b.readDoubleLE(0), b.readDoubleLE(8), b.readDoubleLE(16)];
  } catch {
    // no libc through koffi: the rounded figures
  }
  const f = (readAscii('/proc/loadavg') ?? '0 0 0').split(' ');
  return [Number(f[0]), Number(f[1]), Number(f[2])];
}
