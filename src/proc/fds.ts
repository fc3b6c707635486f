/**
 * What a process has open, from /proc: its cwd, root, executable, mapped
 * files (maps) and file descriptors (fd/, fdinfo/). Everything is read per
 * process on request; a process or fd that vanishes mid-read is skipped.
 */
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { ownerOf, readAscii, readLink, readText } from './read.js';

export interface FileStat {
  dev: number;
  ino: number;
  rdev: number;
  mode: number;
  size: number;
  nlink: number;
}

export interface OpenFile {
  /** "cwd" "rtd" "txt" "mem" "DEL" or the descriptor number */
  fd: string;
  /** where the link points, as the kernel names it */
  link?: string;
  stat?: FileStat;
  /** from fdinfo */
  pos?: number;
  flags?: number;
  fdinfo?: string;
  /** a socket's /proc/PID/fd/N path: a socket no /proc/net table of ours holds (another network namespace) is named by its xattr */
  proc?: string;
  /** maps: device "maj:min" (hex) and inode of a mapping */
  mapDev?: [number, number];
  mapInode?: number;
  /** the link (or, for NOFD, the fd directory) could not be read: the proc path and why ("" when it just is not there) */
  error?: { path: string; reason: string; call?: 'opendir' };
}

/** readlink that keeps the reason it failed. */
interface Link {
  target?: string;
  reason?: string;
}
const DENIED: Link = { reason: 'Permission denied' };

/** strerror(3)'s text for the errors reading /proc gives, as lsof prints them */
const STRERROR: Record<string, string> = {
  EACCES: 'Permission denied',
  EPERM: 'Permission denied',
  ESRCH: 'No such process',
  ENOTDIR: 'Not a directory',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOMEM: 'Cannot allocate memory',
};
const reasonOf = (e: unknown): string => STRERROR[(e as NodeJS.ErrnoException).code ?? ''] ?? (e as Error).message;

function linkOf(path: string): Link {
  try {
    return { target: readlinkSync(path) };
  } catch (e) {
    return { reason: (e as NodeJS.ErrnoException).code === 'ENOENT' ? '' : reasonOf(e) };
  }
}

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

function statOf(path: string): FileStat | undefined {
  try {
    const s = statSync(path, { bigint: false });
    return { dev: s.dev, ino: s.ino, rdev: s.rdev, mode: s.mode, size: s.size, nlink: s.nlink };
  } catch {
    return undefined;
  }
}

export interface MapEntry {
  dev: [number, number];
  inode: number;
  path: string;
  deleted: boolean;
}

/** File-backed mappings of /proc/PID/maps, in address order. */
export function parseMaps(text: string): MapEntry[] {
  const out: MapEntry[] = [];
  let lastKey = '';
  // "addr perms offset dev inode   path": walked with indexOf, since a big
  // process has thousands of lines and most repeat the previous file
  for (let pos = 0; pos < text.length; ) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    const s1 = text.indexOf(' ', pos);
    const s2 = text.indexOf(' ', s1 + 1);
    const s3 = text.indexOf(' ', s2 + 1);
    const s4 = text.indexOf(' ', s3 + 1);
    if (s1 < 0 || s4 < 0 || s4 > eol) {
      pos = eol + 1;
      continue;
    }
    const s5 = text.indexOf(' ', s4 + 1);
    const inodeEnd = s5 < 0 || s5 > eol ? eol : s5;
    // inode 0 (anonymous memory): one character to look at, no string made
    const anonymous = inodeEnd === s4 + 2 && text.charCodeAt(s4 + 1) === 48;
    if (!anonymous && inodeEnd < eol) {
      let p = inodeEnd;
      while (text.charCodeAt(p) === 32) p++;
      // "dev inode   path" as it stands in the text: one slice to compare with the line before
      const key = text.slice(s3 + 1, eol);
      if (key !== lastKey && p < eol) {
        lastKey = key;
        let path = text.slice(p, eol);
        const inodeText = text.slice(s4 + 1, inodeEnd);
        const colon = text.indexOf(':', s3 + 1);
        const deleted = path.endsWith(' (deleted)');
        if (deleted) path = path.slice(0, -' (deleted)'.length);
        out.push({ dev: [parseInt(text.slice(s3 + 1, colon), 16), parseInt(text.slice(colon + 1, s4), 16)], inode: Number(inodeText), path, deleted });
      }
    }
    pos = eol + 1;
  }
  return out;
}

/** glibc's dev_t split, for stat(2) results (plain arithmetic: BigInt per row was the slowest part of lsof). */
export function devMajorMinor(dev: number): [number, number] {
  const lo = (dev % 0x100000000) >>> 0;
  const hi = Math.floor(dev / 0x100000000);
  const major = ((lo >>> 8) & 0xfff) + (hi & ~0xfff) * 1;
  const minor = (lo & 0xff) + ((lo >>> 12) & ~0xff) + (hi & 0xfff) * 0x100000;
  return [major >>> 0, minor >>> 0];
}

/** The open files of a process, or of one of its tasks (tid) as /proc/PID/task/TID sees them. */
/**
 * A mapped file's stat and its path, by path and inode: every process maps
 * the same libraries. The path kept is the first one seen, so a row names
 * it with that string rather than a slice of its own process's maps text,
 * which would keep each process's whole maps text alive until the listing
 * is printed (megabytes the collector copies at every pass).
 */
const memStats = new Map<string, { st: FileStat; path: string }>();
/** makedev(1, 3): /dev/null, the same number on every Linux */
const NULL_DEVICE = 0x103;
/** st_dev of pipefs and sockfs, learnt from the first pipe and socket seen */
const anonDev = new Map<string, number>();

/**
 * The cheap way to describe a descriptor (lsof without -F): the open mode
 * comes from the permission bits of the /proc/PID/fd/N link (r, w or rw, as
 * the kernel sets them from f_mode) instead of reading fdinfo; anonymous pipes
 * and sockets need no stat at all, their inode is in the link. fdinfo is still
 * read where its content is shown: offsets of devices, anon inode details.
 */
function leanFile(n: number, link: string, path: string, base: string): OpenFile {
  let mode = 0;
  try {
    mode = lstatSync(path).mode;
  } catch {
    // gone: described from what we have
  }
  const flags = mode & 0o200 ? (mode & 0o400 ? 2 : 1) : 0;
  const anon = /^(pipe|socket):\[(\d+)\]$/.exec(link);
  if (anon) {
    let dev = anonDev.get(anon[1]);
    if (dev === undefined) {
      const st = statOf(path);
      if (!st) return { fd: String(n), link, flags };
      anonDev.set(anon[1], (dev = st.dev));
    }
    const ifmt = anon[1] === 'pipe' ? S_IFIFO : S_IFSOCK;
    const stat = { dev, ino: Number(anon[2]), rdev: 0, mode: ifmt | 0o600, size: 0, nlink: 1 };
    return { fd: String(n), link, flags, pos: 0, stat, proc: ifmt === S_IFSOCK ? path : undefined };
  }
  const stat = statOf(path);
  const type = (stat?.mode ?? 0) & S_IFMT;
  // the null device keeps every file position at 0 (drivers/char/mem.c:
  // its lseek sets f_pos to 0 and its reads and writes leave it alone), and
  // it is what most daemons hold as stdin/stdout/stderr: no fdinfo to read
  if (type === S_IFCHR && stat?.rdev === NULL_DEVICE) return { fd: String(n), link, stat, flags, pos: 0 };
  if (link.startsWith('anon_inode:') || type === S_IFCHR || type === S_IFBLK) {
    const info = readAscii(`${base}/fdinfo/${n}`);
    const pos = info ? Number(/^pos:\s+(\d+)/m.exec(info)?.[1]) : undefined;
    return { fd: String(n), link, stat, flags, pos, fdinfo: info };
  }
  return { fd: String(n), link, stat, flags };
}

const LINK_FDS = ['cwd', 'rtd', 'txt'] as const;
const LINK_NAMES = ['cwd', 'root', 'exe'] as const;

/**
 * The executable's stat: known already when its maps line (device, inode,
 * path) names a file stat'ed before and the stat is of that very file
 * (inode and device agree), as for every process of one program; otherwise
 * a stat of /proc/PID/exe.
 */
function exeStat(procExe: string, link: string, mapped: MapEntry[] | undefined): FileStat | undefined {
  let line: MapEntry | undefined;
  if (mapped)
    for (let k = 0; k < mapped.length; k++)
      if (!mapped[k].deleted && mapped[k].path === link) {
        line = mapped[k];
        break;
      }
  const key = line && `${line.path}\0${line.dev[0]}:${line.dev[1]}:${line.inode}`;
  const known = key === undefined ? undefined : memStats.get(key)?.st;
  if (known && line && sameFile(known, line)) return known;
  const st = statOf(procExe);
  if (st && key && line && sameFile(st, line)) memStats.set(key, { st, path: line.path });
  return st;
}

const sameFile = (st: FileStat, m: MapEntry): boolean => {
  if (st.ino !== m.inode) return false;
  const [ma, mi] = devMajorMinor(st.dev);
  return ma === m.dev[0] && mi === m.dev[1];
};

/**
 * socketsOnly: just the descriptors that are sockets (for -i and -U without
 * other selections), skipping cwd, maps and the stat of every other file.
 */
export function openFiles(
  pid: number,
  procRoot = '/proc',
  opts: { maps?: boolean; fds?: boolean; tid?: number; socketsOnly?: boolean; lean?: boolean } = {},
): OpenFile[] | undefined {
  const base = opts.tid === undefined ? `${procRoot}/${pid}` : `${procRoot}/${pid}/task/${opts.tid}`;
  const out: OpenFile[] = [];
  // the executable's row takes its stat last: the maps may name its file, whose stat is then known
  let exe: OpenFile | undefined;
  if (!opts.socketsOnly)
    for (let k = 0; k < LINK_FDS.length; k++) {
      const fd = LINK_FDS[k];
      const path = `${base}/${LINK_NAMES[k]}`;
      const l = linkOf(path);
      // gone (ENOENT on its cwd link): the process exited, it has no files to list; a kernel thread has a cwd but no exe
      if (l.target === undefined && l.reason === '' && fd === 'cwd') return undefined;
      if (l.target === undefined) out.push({ fd, error: { path, reason: l.reason ?? '' } });
      else if (fd === 'txt') out.push((exe = { fd, link: l.target }));
      else out.push({ fd, link: l.target, stat: statOf(path) });
    }
  const maps = opts.maps !== false && !opts.socketsOnly ? readText(`${base}/maps`) : undefined;
  const mapped = maps === undefined ? undefined : parseMaps(maps);
  if (exe) exe.stat = exeStat(`${base}/exe`, exe.link!, mapped);
  if (mapped) {
    const st0 = exe?.stat;
    const seen = new Set<string>();
    const [ma, mi] = st0 ? devMajorMinor(st0.dev) : [-1, -1];
    // indexed: a for-of step in code not yet optimised allocates its iterator result
    for (let k = 0; k < mapped.length; k++) {
      const m = mapped[k];
      const key = `${m.dev[0]}:${m.dev[1]}:${m.inode}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (st0 && st0.ino === m.inode && ma === m.dev[0] && mi === m.dev[1]) continue;
      // the same library is mapped by every process: stat each file once
      const cacheKey = `${m.path}\0${key}`;
      const known = m.deleted ? undefined : memStats.get(cacheKey);
      let st = known?.st;
      if (!m.deleted && st === undefined) {
        st = statOf(m.path);
        if (st) memStats.set(cacheKey, { st, path: m.path });
      }
      const path = known?.path ?? m.path;
      // a path that now names another file is shown like a deleted one
      const same = st && st.ino === m.inode;
      out.push({ fd: m.deleted || !same ? 'DEL' : 'mem', link: path, stat: same ? st : undefined, mapDev: m.dev, mapInode: m.inode });
    }
  }
  if (opts.fds !== false) {
    let names: string[];
    try {
      names = readdirSync(`${base}/fd`);
    } catch (e) {
      names = [];
      // a descriptor table we may not see is a row of its own (lsof's NOFD); one that is gone is nothing
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && !opts.socketsOnly)
        out.push({ fd: 'NOFD', error: { path: `${base}/fd`, reason: reasonOf(e), call: 'opendir' } });
    }
    const fds = names
      .map(Number)
      .filter(Number.isInteger)
      .sort((a, b) => a - b);
    // the kernel decides access to every fd link of a task by one check on that task (ptrace_may_access):
    // once one is denied, the rest are without asking (3000 denied readlinks cost ~20 ms)
    let denied = false;
    for (let k = 0; k < fds.length; k++) {
      const n = fds[k];
      const l = denied ? DENIED : linkOf(`${base}/fd/${n}`);
      if (l.reason === 'Permission denied') denied = true;
      if (l.target === undefined) {
        // gone since readdir: skip; unreadable: lsof lists it as unknown
        if (l.reason) out.push({ fd: String(n), error: { path: `${base}/fd/${n}`, reason: l.reason } });
        continue;
      }
      const link = l.target;
      if (opts.socketsOnly && !link.startsWith('socket:')) continue;
      const path = `${base}/fd/${n}`;
      if (opts.lean) {
        out.push(leanFile(n, link, path, base));
        continue;
      }
      const info = readAscii(`${base}/fdinfo/${n}`);
      const pos = info ? Number(/^pos:\s+(\d+)/m.exec(info)?.[1]) : undefined;
      const flags = info ? parseInt(/^flags:\s+([0-7]+)/m.exec(info)?.[1] ?? 'NaN', 8) : undefined;
      const proc = link.startsWith('socket:') ? path : undefined;
      out.push({ fd: String(n), link, stat: statOf(path), pos, flags: Number.isNaN(flags) ? undefined : flags, fdinfo: info, proc });
    }
  }
  return out;
}

/** A descriptor that holds a pipe or a socket, for naming the other end. */
export interface FdHolder {
  pid: number;
  comm: string;
  /** the fd with lsof's access letter: 3r, 4w, 5u */
  fd: string;
}

/** Every process's pipe and socket descriptors, by the inode they hold. */
export function pipeAndSocketHolders(procs: readonly { pid: number; comm: string }[], procRoot = '/proc'): Map<number, FdHolder[]> {
  const holders = new Map<number, FdHolder[]>();
  for (const p of procs) {
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${p.pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const link = readLink(`${procRoot}/${p.pid}/fd/${fd}`);
      const m = link === undefined ? null : /^(?:socket|pipe):\[(\d+)\]$/.exec(link);
      if (!m) continue;
      const flags = parseInt(/^flags:\s+([0-7]+)/m.exec(readAscii(`${procRoot}/${p.pid}/fdinfo/${fd}`) ?? '')?.[1] ?? '0', 8);
      const ino = Number(m[1]);
      let list = holders.get(ino);
      if (!list) holders.set(ino, (list = []));
      list.push({ pid: p.pid, comm: p.comm, fd: `${fd}${['r', 'w', 'u', ''][flags & 3]}` });
    }
  }
  return holders;
}

/** lsof's user of a process: the owner of /proc/PID. */
export function procOwner(pid: number, procRoot = '/proc'): number | undefined {
  return ownerOf(`${procRoot}/${pid}`)?.uid;
}
