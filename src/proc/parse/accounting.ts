/**
 * Parsers for the per-process files that account for I/O, memory sharing,
 * scheduling groups and namespaces: io, smaps_rollup, autogroup, loginuid
 * and the ns/ links. Each takes the file's text and returns undefined for
 * text that does not have the expected shape, never a guess.
 */

/** /proc/PID/io, bytes and system calls since the process started. */
export interface IoCounters {
  /** bytes passed to read(2) and its kin, from any source (rchar) */
  rchar: number;
  wchar: number;
  /** read and write system calls (syscr, syscw) */
  syscr: number;
  syscw: number;
  /** bytes fetched from or sent towards the storage layer */
  readBytes: number;
  writeBytes: number;
  /** bytes whose write-out was cancelled by a truncate */
  cancelledWriteBytes: number;
}

const IO_KEYS: Record<string, keyof IoCounters> = {
  rchar: 'rchar',
  wchar: 'wchar',
  syscr: 'syscr',
  syscw: 'syscw',
  read_bytes: 'readBytes',
  write_bytes: 'writeBytes',
  cancelled_write_bytes: 'cancelledWriteBytes',
};

export function parseIo(text: string): IoCounters | undefined {
  const io: IoCounters = { rchar: 0, wchar: 0, syscr: 0, syscw: 0, readBytes: 0, writeBytes: 0, cancelledWriteBytes: 0 };
  let seen = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    const key = IO_KEYS[line.slice(0, colon)];
    if (colon < 0 || !key) continue;
    const v = Number(line.slice(colon + 1).trim());
    if (!Number.isSafeInteger(v) || v < 0) return undefined;
    io[key] = v;
    seen++;
  }
  return seen ? io : undefined;
}

/** The sums of smaps_rollup this layer uses, KiB. */
export interface SmapsRollup {
  rss: number;
  /** proportional set size: shared pages divided among their sharers */
  pss: number;
  /** unique set size: pages no other process maps (Private_Clean + Private_Dirty) */
  uss: number;
  swap: number;
  swapPss: number;
}

export function parseSmapsRollup(text: string): SmapsRollup | undefined {
  const kib = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const pss = kib('Pss');
  if (pss === undefined) return undefined;
  return {
    rss: kib('Rss') ?? 0,
    pss,
    uss: (kib('Private_Clean') ?? 0) + (kib('Private_Dirty') ?? 0),
    swap: kib('Swap') ?? 0,
    swapPss: kib('SwapPss') ?? 0,
  };
}

/** /proc/PID/autogroup: "/autogroup-1921 nice 0" (CONFIG_SCHED_AUTOGROUP). */
export function parseAutogroup(text: string): { id: number; nice: number } | undefined {
  const m = /^\/autogroup-(\d+) nice (-?\d+)/.exec(text);
  return m ? { id: Number(m[1]), nice: Number(m[2]) } : undefined;
}

/** /proc/PID/loginuid: the audit login uid; 4294967295 (unset) is undefined. */
export function parseLoginUid(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const v = Number(t);
  return v >= 4294967295 ? undefined : v;
}

/** The namespaces procps shows, by the name of their link under /proc/PID/ns. */
export const NAMESPACES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'] as const;
export type Namespace = (typeof NAMESPACES)[number];

/** A namespace link's target, "net:[4026531833]", to its inode number. */
export function parseNamespaceLink(target: string): number | undefined {
  const m = /^[a-z_]+:\[(\d+)\]$/.exec(target);
  return m ? Number(m[1]) : undefined;
}
