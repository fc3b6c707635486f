/**
 * Disks as psutil sees them: mounted filesystems (the mount table, without
 * pseudo filesystems unless all), the space of one filesystem (statfs) and
 * the I/O counters of /proc/diskstats in bytes and milliseconds.
 */
import { readdirSync, statfsSync } from 'node:fs';
import { readAscii, readText } from '../../proc/read.js';
import { readHeld } from './held.js';

export interface DiskPartition {
  /** '' for a filesystem with no device ("none") */
  device: string;
  mountpoint: string;
  fstype: string;
  /** mount options, comma-separated */
  opts: string;
}

/** mount(8)'s escapes in /proc/self/mounts: \040 for a space and so on. Pure. */
export const unescapeMount = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The lines of a mounts file. Pure. */
export function parseMounts(text: string): DiskPartition[] {
  const out: DiskPartition[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 4) continue;
    const device = unescapeMount(f[0]);
    out.push({ device: device === 'none' ? '' : device, mountpoint: unescapeMount(f[1]), fstype: f[2], opts: unescapeMount(f[3]) });
  }
  return out;
}

/** the filesystem types that need a device (the lines of /proc/filesystems without "nodev"), plus zfs. Pure. */
export function deviceFsTypes(text: string): Set<string> {
  const s = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'nodev') {
      if (f[1] === 'zfs') s.add('zfs');
    } else if (f[0]) s.add(f[0]);
  }
  return s;
}

/** mounted filesystems on devices (all: every mount, /proc and tmpfs included) */
export function diskPartitions(opts: { all?: boolean } = {}): DiskPartition[] {
  const mounts = parseMounts(readText('/proc/self/mounts') ?? '');
  if (opts.all) return mounts;
  const types = deviceFsTypes(readAscii('/proc/filesystems') ?? '');
  return mounts.filter((m) => m.device !== '' && types.has(m.fstype));
}

export interface DiskUsage {
  /** bytes */
  total: number;
  used: number;
  /** what an unprivileged user may still write (the root reserve left out) */
  free: number;
  /** used / (used + free), percent with one decimal: what users see as full */
  percent: number;
}

/** The space of the filesystem path is on. */
export function diskUsage(path: string): DiskUsage {
  const st = statfsSync(path);
  const total = st.blocks * st.bsize;
  const used = total - st.bfree * st.bsize;
  const free = st.bavail * st.bsize;
  const whole = used + free;
  return { total, used, free, percent: whole > 0 ? Math.round((used / whole) * 1000) / 10 : 0 };
}

export interface DiskIoCounters {
  readCount: number;
  writeCount: number;
  /** bytes (512-byte sectors) */
  readBytes: number;
  writeBytes: number;
  /** milliseconds spent reading and writing */
  readTime: number;
  writeTime: number;
  readMergedCount: number;
  writeMergedCount: number;
  /** milliseconds the device had I/O in flight */
  busyTime: number;
}

const SECTOR = 512;

/** /proc/diskstats by device name. Pure. */
export function parseDiskstats(text: string): Map<string, DiskIoCounters> {
  const out = new Map<string, DiskIoCounters>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const n = f.slice(3, 14).map(Number);
    // in psutil's order of fields
    out.set(f[2], {
      readCount: n[0],
      writeCount: n[4],
      readBytes: n[2] * SECTOR,
      writeBytes: n[6] * SECTOR,
      readTime: n[3],
      writeTime: n[7],
      readMergedCount: n[1],
      writeMergedCount: n[5],
      busyTime: n[9],
    });
  }
  return out;
}

/**
 * I/O counters by device (perDisk), or summed over whole disks (the
 * devices of /sys/block: partitions are left out, their disk counts them).
 */
export function diskIoCounters(opts: { perDisk: true }): Record<string, DiskIoCounters>;
export function diskIoCounters(opts?: { perDisk?: false }): DiskIoCounters | undefined;
export function diskIoCounters(opts: { perDisk?: boolean } = {}): Record<string, DiskIoCounters> | DiskIoCounters | undefined {
  const all = parseDiskstats(readHeld('/proc/diskstats'));
  if (opts.perDisk) return Object.fromEntries(all);
  let sum: DiskIoCounters | undefined;
  let disks: Set<string>;
  try {
    disks = new Set(readdirSync('/sys/block'));
  } catch {
    disks = new Set();
  }
  for (const [name, c] of all) {
    if (!disks.has(name.replace(/\//g, '!'))) continue;
    if (!sum) sum = { ...c };
    else for (const k of Object.keys(c) as (keyof DiskIoCounters)[]) sum[k] += c[k];
  }
  return sum;
}
