/**
 * Our answer to a psutil call, in psutil's JSON shape: the method named in
 * snake_case called in camelCase, keyword options as an options object,
 * keys snake_cased, an Endpoint as [ip, port], undefined as null, a Process
 * as its pid, errors by class name. Both sides of every comparison then
 * go through the same comparison code.
 */
import * as lib from '../../src/index.js';
import { Process, ProcessError } from '../../src/index.js';
import type { Answer, Call } from './psutil.js';

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** psutil names that are not our name in snake_case */
const RENAMED: Record<string, string> = { ionice: 'ioNice', getloadavg: 'loadAvg', cpu_count: 'cpuCount' };
/** keyword arguments that become option names */
const OPTION: Record<string, string> = {
  percpu: 'perCpu',
  perdisk: 'perDisk',
  pernic: 'perNic',
  all: 'all',
  logical: 'logical',
  grouped: 'grouped',
  recursive: 'recursive',
  interval: 'interval',
};

export function psutilShape(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Process) return v.pid;
  if (Array.isArray(v)) return v.map(psutilShape);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    // a connection's missing end is psutil's empty tuple
    if ('laddr' in o && 'raddr' in o)
      return Object.fromEntries(keys.map((k) => [k, (k === 'laddr' || k === 'raddr') && o[k] === undefined ? [] : psutilShape(o[k])]));
    return Object.fromEntries(keys.map((k) => [/^[a-z]/.test(k) && !/^\d/.test(k) && !k.includes('/') ? snake(k) : k, psutilShape(o[k])]));
  }
  return v;
}

/** the options object psutil's keyword arguments stand for (undefined when there are none) */
const options = (kwargs: Record<string, unknown> | undefined): Record<string, unknown>[] =>
  kwargs && Object.keys(kwargs).length ? [Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [OPTION[k] ?? k, v]))] : [];

function invoke(target: Record<string, unknown>, [name, args = [], kwargs]: Call): unknown {
  const fn = target[RENAMED[name] ?? camel(name)];
  if (typeof fn !== 'function') throw new Error(`we have no ${name}`);
  return (fn as (...a: unknown[]) => unknown).apply(target, [...args, ...options(kwargs)]);
}

/** records whose keys are data (an environment's names), not field names */
const RAW_KEYS = new Set(['environ']);

const asAnswer = (run: () => unknown, raw = false): Answer => {
  try {
    const v = run();
    return { ok: raw ? v : psutilShape(v) };
  } catch (e) {
    if (e instanceof ProcessError) return { err: e.constructor.name };
    return { err: (e as Error).constructor.name, msg: (e as Error).message };
  }
};

/** our answers to calls on process pid (undefined: the system functions) */
export function ours(pid: number | undefined, calls: Call[]): Answer[] {
  if (pid === undefined) return calls.map((c) => asAnswer(() => invoke(lib as unknown as Record<string, unknown>, c)));
  let p: Process;
  try {
    p = new Process(pid);
  } catch (e) {
    return calls.map(() => ({ err: (e as Error).constructor.name }));
  }
  return calls.map((c) => asAnswer(() => invoke(p as unknown as Record<string, unknown>, c), RAW_KEYS.has(c[0])));
}

/** the numbers of a value, flattened in order */
export const numbers = (v: unknown): number[] =>
  typeof v === 'number' ? [v] : Array.isArray(v) ? v.flatMap(numbers) : v && typeof v === 'object' ? Object.values(v).flatMap(numbers) : [];

/** the value with every number 0: two values of the same shape differ only in their numbers */
export const shape = (v: unknown): unknown =>
  typeof v === 'number'
    ? 0
    : Array.isArray(v)
      ? v.map(shape)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]))
        : v;
