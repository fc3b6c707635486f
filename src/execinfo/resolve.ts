/**
 * Library search the way ld.so does it, without running the loader:
 * DT_RPATH (of the object and the objects that loaded it, unless it has a
 * DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, /etc/ld.so.cache, then the
 * default directories. Dependencies are loaded breadth first, and a name is
 * satisfied by any object already loaded under that name or soname, which is
 * the order ldd prints.
 */
import * as fs from 'node:fs';
import { FileSource } from './file.js';
import { dirname } from 'node:path';
import { cacheFlagsFor, parseLdCache, type CacheEntry } from './ldcache.js';
import { isElf, parseElf, type ByteSource, type Elf } from './elf.js';

export interface LoadedLib {
  name: string;
  /** resolved path, or undefined for "not found" */
  path?: string;
  /** where it was found: rpath, LD_LIBRARY_PATH, runpath, ld.so.cache, default, direct, interpreter */
  via?: string;
  parent: string;
  /** the program's own dynamic loader, listed where an object first needs it (ldd does) */
  interpreter?: boolean;
}

export interface ResolveOptions {
  ldLibraryPath?: string;
  cache?: CacheEntry[];
  /** opens a file for reading (tests stand in a fake file system) */
  open?: (path: string) => (ByteSource & { close?(): void }) | undefined;
  platform?: string;
}

/** the loaders ldd tries (its RTLDLIST), by machine and class */
const DEFAULT_LOADER: Record<string, string> = {
  '62/64': '/lib64/ld-linux-x86-64.so.2',
  '3/32': '/lib/ld-linux.so.2',
  '62/32': '/libx32/ld-linux-x32.so.2',
  '183/64': '/lib/ld-linux-aarch64.so.1',
  '40/32': '/lib/ld-linux-armhf.so.3',
};

function defaultDirs(machine: number, bits: 32 | 64): string[] {
  const multiarch: Record<string, string> = {
    '62/64': 'x86_64-linux-gnu',
    '3/32': 'i386-linux-gnu',
    '183/64': 'aarch64-linux-gnu',
    '40/32': 'arm-linux-gnueabihf',
  };
  const m = multiarch[`${machine}/${bits}`];
  const dirs = m ? [`/lib/${m}`, `/usr/lib/${m}`] : [];
  if (bits === 64) dirs.push('/lib64', '/usr/lib64');
  dirs.push('/lib', '/usr/lib');
  return dirs;
}

let cached: CacheEntry[] | undefined;
export function systemCache(): CacheEntry[] {
  if (!cached) {
    try {
      cached = parseLdCache(fs.readFileSync('/etc/ld.so.cache'));
    } catch {
      cached = [];
    }
  }
  return cached;
}

function expand(dir: string, origin: string, platform: string, bits: number): string {
  return dir
    .replace(/\$(ORIGIN|\{ORIGIN\})/g, origin)
    .replace(/\$(LIB|\{LIB\})/g, bits === 64 ? 'lib64' : 'lib')
    .replace(/\$(PLATFORM|\{PLATFORM\})/g, platform);
}

interface Obj {
  name: string;
  path: string;
  elf: Elf;
  loader?: Obj;
}

/** Loads the dependency tree of the program at path, in ldd's order. */
export function resolveLibraries(path: string, main: Elf, o: ResolveOptions = {}): LoadedLib[] {
  const open = o.open ?? ((p: string) => FileSource.open(p));
  const cache = o.cache ?? systemCache();
  const flags = cacheFlagsFor(main.machine, main.bits);
  const platform = o.platform ?? (main.machine === 62 ? 'x86_64' : 'unknown');
  // the loader skips files that are not ELF objects of the program's kind
  const compatible = (p: string): Elf | undefined => {
    const src = open(p);
    if (!src) return undefined;
    try {
      if (!isElf(src.bytes(0, Math.min(4, src.length)))) return undefined;
      const e = parseElf(src);
      return e.machine === main.machine && e.bits === main.bits ? e : undefined;
    } catch {
      return undefined;
    } finally {
      src.close?.();
    }
  };
  const searchDirs = (dirs: string | undefined, obj: Obj): string[] =>
    dirs ? dirs.split(/[:;]/).map((d) => expand(d === '' ? '.' : d, dirname(obj.path), platform, main.bits)) : [];

  const mainObj: Obj = { name: path, path, elf: main };
  const loaded: Obj[] = [mainObj];
  const out: LoadedLib[] = [];
  let interp: Obj | undefined;
  // a shared library has no PT_INTERP: ldd loads it with the system loader
  const loader = main.interp ?? DEFAULT_LOADER[`${main.machine}/${main.bits}`];
  if (loader) {
    const ie = compatible(loader);
    // ld.so is loaded first but sits in the search list where it is first needed
    if (ie) interp = { name: loader, path: loader, elf: ie };
  }
  let interpPlaced = false;
  const known = (name: string): boolean => loaded.some((l) => l.name === name || l.elf.dynamic?.soname === name || l.path === name);

  const find = (name: string, obj: Obj): { path: string; via: string; elf: Elf } | undefined => {
    if (name.includes('/')) {
      const e = compatible(name);
      return e ? { path: name, via: 'direct', elf: e } : undefined;
    }
    const tryDirs = (dirs: string[], via: string) => {
      for (const d of dirs) {
        const p = `${d.replace(/\/$/, '')}/${name}`;
        const e = compatible(p);
        if (e) return { path: p, via, elf: e };
      }
      return undefined;
    };
    if (!obj.elf.dynamic?.runpath) {
      for (let l: Obj | undefined = obj; l; l = l.loader) {
        const hit = tryDirs(searchDirs(l.elf.dynamic?.rpath, l), 'rpath');
        if (hit) return hit;
      }
      if (obj !== mainObj && !mainObj.elf.dynamic?.runpath) {
        const hit = tryDirs(searchDirs(mainObj.elf.dynamic?.rpath, mainObj), 'rpath');
        if (hit) return hit;
      }
    }
    if (o.ldLibraryPath) {
      const hit = tryDirs(searchDirs(o.ldLibraryPath, mainObj), 'LD_LIBRARY_PATH');
      if (hit) return hit;
    }
    {
      const hit = tryDirs(searchDirs(obj.elf.dynamic?.runpath, obj), 'runpath');
      if (hit) return hit;
    }
    for (const c of cache) {
      if (c.key === name && (c.flags & 0xffff) === flags) {
        const e = compatible(c.value);
        if (e) return { path: c.value, via: 'ld.so.cache', elf: e };
      }
    }
    return tryDirs(defaultDirs(main.machine, main.bits), 'default');
  };

  // breadth first over the objects in load order
  for (let i = 0; i < loaded.length; i++) {
    const obj = loaded[i];
    for (const name of obj.elf.dynamic?.needed ?? []) {
      if (interp && !interpPlaced && (name === interp.elf.dynamic?.soname || name === interp.path)) {
        interpPlaced = true;
        loaded.push(interp);
        // rtld links itself in after the last object found before it in the
        // search list; "not found" entries are not in that list
        let at = out.length;
        while (at > 0 && !out[at - 1].path) at--;
        out.splice(at, 0, { name, path: interp.path, via: 'interpreter', parent: obj.path, interpreter: true });
        continue;
      }
      // ldd reports a missing library once for every object that needs it
      if (known(name)) continue;
      const hit = find(name, obj);
      if (!hit) {
        out.push({ name, parent: obj.path });
        continue;
      }
      if (loaded.some((l) => l.path === hit.path)) continue;
      loaded.push({ name, path: hit.path, elf: hit.elf, loader: obj });
      out.push({ name, path: hit.path, via: hit.via, parent: obj.path });
    }
  }
  return out;
}
