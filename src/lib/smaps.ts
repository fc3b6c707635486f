/**
 * /proc/PID/smaps as psutil's memory_maps(): one record per mapping with
 * its sizes in bytes, or the records summed by path. Pure: the caller reads
 * the file and says whether a path exists (a "(deleted)" suffix is kept only
 * when the file is really gone... or a file of that name exists again).
 */

export interface MemoryMapSizes {
  /** bytes */
  rss: number;
  size: number;
  pss: number;
  sharedClean: number;
  sharedDirty: number;
  privateClean: number;
  privateDirty: number;
  referenced: number;
  anonymous: number;
  swap: number;
}

export interface MemoryMapGrouped extends MemoryMapSizes {
  /** the mapped file, '[heap]', '[stack]'..., '[anon]' for an anonymous mapping */
  path: string;
}

export interface MemoryMap extends MemoryMapGrouped {
  /** "start-end" in hex */
  addr: string;
  /** "r-xp" */
  perms: string;
}

const KEYS: Record<string, keyof MemoryMapSizes> = {
  Rss: 'rss',
  Size: 'size',
  Pss: 'pss',
  Shared_Clean: 'sharedClean',
  Shared_Dirty: 'sharedDirty',
  Private_Clean: 'privateClean',
  Private_Dirty: 'privateDirty',
  Referenced: 'referenced',
  Anonymous: 'anonymous',
  Swap: 'swap',
};

const zero = (): MemoryMapSizes => ({
  rss: 0,
  size: 0,
  pss: 0,
  sharedClean: 0,
  sharedDirty: 0,
  privateClean: 0,
  privateDirty: 0,
  referenced: 0,
  anonymous: 0,
  swap: 0,
});

/** A header line: address range, perms, offset, device, inode, then the path (which may hold spaces). */
const HEADER = /^([0-9a-f]+-[0-9a-f]+)\s+(\S+)\s+\S+\s+\S+\s+\d+\s*(.*)$/;

export function parseSmaps(text: string, exists: (path: string) => boolean): MemoryMap[] {
  const out: MemoryMap[] = [];
  let cur: MemoryMap | undefined;
  for (const line of text.split('\n')) {
    const h = HEADER.exec(line);
    if (h) {
      let path = h[3].trim();
      if (!path) path = '[anon]';
      else if (path.endsWith(' (deleted)') && !exists(path)) path = path.slice(0, -10);
      cur = { addr: h[1], perms: h[2], path, ...zero() };
      out.push(cur);
      continue;
    }
    const colon = line.indexOf(':');
    const key = KEYS[line.slice(0, colon)];
    if (!cur || colon < 0 || !key) continue;
    const v = Number.parseInt(line.slice(colon + 1), 10);
    if (Number.isSafeInteger(v)) cur[key] = v * 1024;
  }
  return out;
}

/** The mappings summed by path, in the order each path first appears. */
export function groupMaps(maps: readonly MemoryMap[]): MemoryMapGrouped[] {
  const by = new Map<string, MemoryMapGrouped>();
  for (const m of maps) {
    let g = by.get(m.path);
    if (!g) by.set(m.path, (g = { path: m.path, ...zero() }));
    for (const k of Object.values(KEYS)) g[k] += m[k];
  }
  return [...by.values()];
}
