/**
 * Which process holds which socket: every descriptor of every process must
 * be looked at (readlink of /proc/PID/fd/N gives "socket:[INODE]"), 5,300
 * of them for 1,070 processes here, and the kernel's own work is most of
 * the cost (a C program: 34-38 ms; psutil: 55-59 ms). So this does what the
 * C program does and nothing else: per process one openat of PID/fd, one
 * getdents64 into a buffer, and for each entry a readlinkat relative to
 * that directory with the name passed as the bytes getdents left in the
 * buffer (no string made) into a second buffer, which is looked at as bytes:
 * only a socket's inode becomes a number. scanAll does all of it in one
 * call of the C helper (procbatch.c) on two threads where that is built;
 * without koffi, node:fs does it.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { errnoText } from '../sys/errno.js';
import { batch } from './batch.js';
import { listProcPids, procDir, readlinkProc } from './procat.js';

/** inode -> [pid, fd] pairs, in pid order */
export type Owners = Map<number, [number, number][]>;

const SYS_GETDENTS64: Partial<Record<string, number>> = { x64: 217, arm64: 61, riscv64: 61, loong64: 61, arm: 217, ia32: 220, ppc64: 202, s390x: 220 };
const O_RDONLY_DIR_CLOEXEC = 0o200000 | 0o2000000;
const SOCKET = Buffer.from('socket:[');

const nr = SYS_GETDENTS64[process.arch] ?? -1;
const dents = Buffer.alloc(64 * 1024);
const link = Buffer.alloc(256);
const path = Buffer.alloc(32);

/** libc and the held /proc descriptor procat.ts opened, where getdents64's number is known here */
const native = () => (nr < 0 ? undefined : procDir());

const add = (into: Owners, inode: number, pid: number, fd: number) => {
  const list = into.get(inode);
  if (list) list.push([pid, fd]);
  else into.set(inode, [[pid, fd]]);
};

/**
 * Adds the sockets process pid holds to into. Returns false when its fd
 * directory cannot be opened (gone, or not ours to see; errno in the
 * second element).
 */
export function scanSockets(pid: number, into: Owners): boolean {
  const proc = native();
  if (!proc) return scanWithFs(pid, into);
  const libc = proc.libc;
  const n = path.write(`${pid}/fd\0`, 'latin1');
  const dir = libc.openatBytes(proc.fd, path.subarray(0, n), O_RDONLY_DIR_CLOEXEC);
  if (dir < 0) return false;
  try {
    for (;;) {
      const got = libc.syscall(nr, 'int', dir, 'void *', dents, 'unsigned long', dents.length);
      if (got <= 0) break;
      // room left for another entry: the kernel had no more (saves the getdents that returns 0, 1 us a process)
      const done = got + 300 < dents.length;
      // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[]
      for (let o = 0; o < got; ) {
        const reclen = dents.readUInt16LE(o + 16);
        const name = o + 19;
        o += reclen;
        if (dents[name] === 46) continue; // "." and ".."
        const len = libc.readlinkatBytes(dir, dents.subarray(name), link, link.length);
        if (len < 10 || link.compare(SOCKET, 0, 8, 0, 8) !== 0) continue;
        let inode = 0;
        for (let i = 8; i < len && link[i] !== 93; i++) inode = inode * 10 + link[i] - 48;
        let fd = 0;
        for (let i = name; dents[i] !== 0; i++) fd = fd * 10 + dents[i] - 48;
        add(into, inode, pid, fd);
      }
      if (done) break;
    }
  } finally {
    libc.close(dir);
  }
  return true;
}

function scanWithFs(pid: number, into: Owners): boolean {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const name of names) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      continue; // closed since the listing
    }
    if (target.startsWith('socket:[')) add(into, Number(target.slice(8, -1)), pid, Number(name));
  }
  return true;
}

let triples = new BigInt64Array(3 * 4096);

/** The sockets of the processes pids (every process we may look at), in one FFI call where the batched reader is built. */
export function scanAll(pids: readonly number[]): Owners {
  const into: Owners = new Map();
  const b = batch();
  const proc = native();
  if (!b || !proc) {
    for (const pid of pids) scanSockets(pid, into);
    return into;
  }
  const list = Int32Array.from(pids);
  let n: number;
  for (;;) {
    const cap = triples.length / 3;
    n = b.socketOwners(proc.fd, list, list.length, triples, cap);
    if (n <= cap) break;
    triples = new BigInt64Array(3 * n);
  }
  for (let i = 0; i < n; i++) add(into, Number(triples[3 * i]), Number(triples[3 * i + 1]), Number(triples[3 * i + 2]));
  return into;
}

/**
 * Why the kernel's iterator is not used, or undefined when it is: the
 * errno name of its load (EPERM without CAP_BPF and CAP_PERFMON, ENOTSUP
 * in a PID namespace of its own, ...), or that DK_NO_BPF is set.
 */
export function socketIteratorMissing(): string | undefined {
  const b = batch();
  if (!b) return 'no batched reader';
  if (process.env.DK_NO_BPF) return 'DK_NO_BPF is set';
  const r = b.sockIterOpen();
  return r < 0 ? errnoText(-r) : undefined;
}

/**
 * The sockets of every process we may look at. Where the kernel lets us
 * load it (root, the initial PID namespace), a BPF iterator (sockiter.c)
 * lists every socket descriptor in one pass: 0.5 ms for what the walk of
 * /proc/PID/fd does in 12-20 ms. Otherwise the walk.
 */
export function scanEvery(): Owners {
  const b = batch();
  if (!b || socketIteratorMissing() !== undefined) return scanAll(listProcPids());
  let n: number;
  for (;;) {
    const cap = triples.length / 3;
    n = b.sockIter(triples, cap);
    if (n < 0) return scanAll(listProcPids());
    if (n <= cap) break;
    triples = new BigInt64Array(3 * (n + 1024));
  }
  // the kernel shows every process; the walk (and psutil) only those whose descriptors readlink may read: the same owners as theirs
  const readable = new Map<number, boolean>();
  const into: Owners = new Map();
  for (let i = 0; i < n; i++) {
    const pid = Number(triples[3 * i + 1]);
    const fd = Number(triples[3 * i + 2]);
    let ok = readable.get(pid);
    if (ok === undefined) readable.set(pid, (ok = mayReadLinks(pid, fd)));
    if (ok) add(into, Number(triples[3 * i]), pid, fd);
  }
  return into;
}

function mayReadLinks(pid: number, fd: number): boolean {
  try {
    readlinkProc(`${pid}/fd/${fd}`);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== 'EACCES' && code !== 'EPERM';
  }
}
