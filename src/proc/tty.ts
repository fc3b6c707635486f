/**
 * Controlling-terminal names from the tty_nr device number, resolved the way
 * procps does it: first the kernel's driver table (/proc/tty/drivers), then
 * the process's own stderr link, then well-known majors, then fd 255 (bash
 * keeps the terminal there). Every candidate path is verified by stat, so a
 * stale name never shows up. Results are cached per device number.
 */
import { statSync } from 'node:fs';
import { devMajor, devMinor } from './parse/stat.js';
import { readAscii, readLink } from './read.js';

export interface DriverEntry {
  /** path without the leading "/dev/", e.g. "pts", "ttyS" */
  name: string;
  major: number;
  minorFirst: number;
  minorLast: number;
}

/** Parses /proc/tty/drivers; entries whose path is not under /dev/ are skipped. */
export function parseTtyDrivers(text: string): DriverEntry[] {
  const out: DriverEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !f[1].startsWith('/dev/')) continue;
    let name = f[1].slice(5);
    if (name.endsWith('%d')) name = name.slice(0, -2);
    const major = Number(f[2]);
    const [a, b] = f[3].split('-');
    const minorFirst = Number(a);
    const minorLast = b === undefined ? minorFirst : Number(b);
    if (![major, minorFirst, minorLast].every(Number.isInteger)) continue;
    out.push({ name, major, minorFirst, minorLast });
  }
  // procps prepends while reading, so later lines take precedence.
  return out.reverse();
}

export type StatDevice = (path: string) => { major: number; minor: number } | undefined;

export const statDevice: StatDevice = (path) => {
  try {
    const st = statSync(path);
    if (!st.isCharacterDevice()) return undefined;
    const rdev = st.rdev;
    const major = Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
    const minor = Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);
    return { major, minor };
  } catch {
    return undefined;
  }
};

function guessPath(major: number, minor: number): string | undefined {
  if (major === 4) {
    if (minor < 64) return `/dev/tty${minor}`;
    if (minor < 128) return `/dev/ttyS${minor - 64}`;
    return undefined;
  }
  if (major >= 136 && major <= 143) return `/dev/pts/${minor + (major - 136) * 256}`;
  const simple: Record<number, string> = {
    166: 'ttyACM',
    188: 'ttyUSB',
    204: '',
    229: 'iseries/vtty',
    227: '3270/tty',
  };
  const p = simple[major];
  return p ? `/dev/${p}${minor}` : undefined;
}

export interface TtyResolverOptions {
  procRoot?: string;
  devRoot?: string;
  statDevice?: StatDevice;
}

export class TtyResolver {
  private drivers?: DriverEntry[];
  private readonly cache = new Map<number, string | undefined>();
  private readonly procRoot: string;
  private readonly devRoot: string;
  private readonly stat: StatDevice;

  constructor(opts: TtyResolverOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.devRoot = opts.devRoot ?? '/dev';
    this.stat = opts.statDevice ?? statDevice;
  }

  private matches(path: string, major: number, minor: number): boolean {
    const real = this.devRoot === '/dev' ? path : this.devRoot + path.slice(4);
    const d = this.stat(real);
    return d !== undefined && d.major === major && d.minor === minor;
  }

  private viaDriver(major: number, minor: number): string | undefined {
    this.drivers ??= parseTtyDrivers(readAscii(`${this.procRoot}/tty/drivers`) ?? '');
    const d = this.drivers.find((e) => e.major === major && e.minorFirst <= minor && e.minorLast >= minor);
    if (!d) return undefined;
    for (const p of [`/dev/${d.name}${minor}`, `/dev/${d.name}/${minor}`]) {
      if (this.matches(p, major, minor)) return p;
    }
    return undefined;
  }

  private viaLink(pid: number, fd: string, major: number, minor: number): string | undefined {
    const target = readLink(`${this.procRoot}/${pid}/fd/${fd}`);
    if (!target?.startsWith('/dev/')) return undefined;
    return this.matches(target, major, minor) ? target : undefined;
  }

  /** Full device path ("/dev/pts/0"), or undefined when there is no terminal or it cannot be named. */
  path(ttyNr: number, pid: number): string | undefined {
    if (ttyNr === 0) return undefined;
    if (this.cache.has(ttyNr)) return this.cache.get(ttyNr);
    const major = devMajor(ttyNr);
    const minor = devMinor(ttyNr);
    const fromDriver = this.viaDriver(major, minor);
    if (fromDriver !== undefined) {
      this.cache.set(ttyNr, fromDriver);
      return fromDriver;
    }
    // A name found through one process's fds is not cached: it says nothing
    // about how another process holding the same device should be named.
    const fromStderr = this.viaLink(pid, '2', major, minor);
    if (fromStderr !== undefined) return fromStderr;
    const g = guessPath(major, minor);
    if (g !== undefined && this.matches(g, major, minor)) {
      this.cache.set(ttyNr, g);
      return g;
    }
    return this.viaLink(pid, '255', major, minor);
  }

  /** Name as ps's TTY column shows it: "pts/0", "tty1", "?" for none. */
  name(ttyNr: number, pid: number): string {
    const p = this.path(ttyNr, pid);
    if (p === undefined) return '?';
    return p.startsWith('/dev/') && p.length > 5 ? p.slice(5) : p;
  }
}

/** BSD's 4-column abbreviation (procps "tty4"): drops "/dev/", "tty" and "pts/". */
export function abbreviateTty(name: string): string {
  let s = name;
  if (s.startsWith('tty') && s.length > 3) s = s.slice(3);
  if (s.startsWith('pts/') && s.length > 4) s = s.slice(4);
  return s;
}
