/**
 * Reading /proc/PID files for the library with as few instructions around
 * each system call as possible: openat() relative to one descriptor of
 * /proc held open (the kernel walks "PID/stat", not "/proc/PID/stat"),
 * read() and close() straight through libc (koffi), no request objects. A
 * process's stat, statm and smaps_rollup cost 34 us this way against 39 us
 * through node:fs (a C program: 30 us), which is what lets Process calls
 * beat psutil's. Failures throw an Error whose code is the errno name, as
 * node:fs does. Where koffi cannot load, node:fs does the same work.
 */
import { closeSync, constants, openSync, readSync, readlinkSync } from 'node:fs';
import { constants as os } from 'node:os';
import { errnoName } from '../sys/errno.js';
import { loadLibc, type Libc } from '../sys/libc.js';
import { listPids } from '../proc/read.js';
import { type Batch, batch } from './batch.js';

const O_RDONLY = 0;
const O_DIRECTORY = constants.O_DIRECTORY;
const O_CLOEXEC = 0o2000000;
const ENOBUFS = os.errno.ENOBUFS;

let libc: Libc | null | undefined;
let procFd = -1;

/** libc and a descriptor of /proc held open, opened on first use; undefined without koffi (fdscan.ts shares them) */
export function procDir(): { libc: Libc; fd: number } | undefined {
  const c = native();
  return c ? { libc: c, fd: procFd } : undefined;
}

function native(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    libc = loadLibc();
    procFd = libc.openat(-100, '/proc', O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (procFd < 0) libc = null;
  } catch {
    libc = null;
  }
  return libc;
}

const fail = (c: Libc, call: string, rel: string): never => {
  const code = errnoName(c.errno()) ?? 'EIO';
  throw Object.assign(new Error(`${code}: ${call} /proc/${rel}`), { code, errno: c.errno() });
};

let buf = Buffer.allocUnsafe(16 * 1024);

/**
 * The bytes of /proc/REL (a view valid until the next read). single: one
 * record made at the first read (a short read is the end).
 */
export function readProc(rel: string, single: boolean): Buffer {
  const c = native();
  if (!c) return readWithFs(`/proc/${rel}`, single);
  const b = batch();
  if (b) return readBatched(b, rel, single);
  const fd = c.openat(procFd, rel, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(c, 'open', rel);
  try {
    return readAll(single, (into, at, room) => {
      const n = c.read(fd, at ? into.subarray(at) : into, room);
      return n < 0 ? fail(c, 'read', rel) : n;
    });
  } finally {
    c.close(fd);
  }
}

/**
 * read(into, at, room) until the end (or, single, until a short read) into
 * a buffer this module keeps and grows as needed; the bytes read, valid
 * until the next read.
 */
export function readAll(single: boolean, read: (into: Buffer, at: number, room: number) => number): Buffer {
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, len);
      buf = bigger;
    }
    const room = buf.length - len;
    const n = read(buf, len, room);
    if (n <= 0) break;
    len += n;
    if (single && n < room) break;
  }
  return buf.subarray(0, len);
}

let lens = new BigInt64Array(1);
let pathBytes = Buffer.alloc(256);
let flagBytes = new Uint8Array(64);
const ONE = Uint8Array.of(1);
const ZERO = Uint8Array.of(0);

const errnoError = (errno: number, rel: string): Error => {
  const code = errnoName(errno) ?? 'EIO';
  return Object.assign(new Error(`${code}: read /proc/${rel}`), { code, errno });
};

/** the file in one FFI call (open, read, close in C) */
function readBatched(b: Batch, rel: string, single: boolean): Buffer {
  if (rel.length * 3 + 1 > pathBytes.length) pathBytes = Buffer.alloc(rel.length * 3 + 1);
  const n = pathBytes.write(rel, 'utf8');
  pathBytes[n] = 0;
  for (;;) {
    const r = b.readFiles(procFd, pathBytes, single ? ONE : ZERO, 1, buf, buf.length, lens);
    const len = Number(lens[0]);
    if (r < 0 && len === -ENOBUFS) {
      buf = Buffer.allocUnsafe(buf.length * 2);
      continue;
    }
    if (len < 0) throw errnoError(-len, rel);
    return buf.subarray(0, len);
  }
}

/** A read of several files: each one's text (latin1), or the errno name of its failure. */
export type Read = string | { code: string };

/**
 * Reads /proc/REL for every rel in one FFI call where the batched reader is
 * built (on two threads for more than 16 files), one by one otherwise.
 */
export function readProcMany(rels: readonly string[], single: readonly boolean[]): Read[] {
  const b = native() ? batch() : undefined;
  if (!b) {
    return rels.map((rel, i) => {
      try {
        return readProc(rel, single[i]).toString('latin1');
      } catch (e) {
        return { code: (e as NodeJS.ErrnoException).code ?? 'EIO' };
      }
    });
  }
  const n = encodePaths(rels, single);
  readInto(b, pathBytes, flagBytes, n);
  // the C side reads the second half of the files into the second half of the buffer (see procbatch.c)
  return decodeReads(n, n > 16 ? n >> 1 : n, Math.floor(buf.length / 2));
}

/** n files into buf and lens in one call of the C reader, buf grown until they fit */
function readInto(b: Batch, paths: Buffer, flags: Uint8Array, n: number): void {
  if (lens.length < n) lens = new BigInt64Array(n);
  // about what the files hold: a stat line is 300 bytes, status 1.5 KB
  if (buf.length < n * 2048) buf = Buffer.allocUnsafe(n * 2048);
  while (b.readFiles(procFd, paths, flags, n, buf, buf.length, lens) < 0) buf = Buffer.allocUnsafe(buf.length * 2);
}

/** Paths and flags encoded once for readProcEncoded: a handle reads the same files again and again. */
export interface EncodedPaths {
  readonly rels: readonly string[];
  readonly single: readonly boolean[];
  readonly bytes: Buffer;
  readonly flags: Uint8Array;
}

export function encodeProcPaths(rels: readonly string[], single: readonly boolean[]): EncodedPaths {
  return { rels, single, bytes: Buffer.from(`${rels.join('\0')}\0`, 'utf8'), flags: Uint8Array.from(single, (s) => (s ? 1 : 0)) };
}

/** readProcMany of paths encoded beforehand (on the calling thread: meant for a process's few files) */
export function readProcEncoded(e: EncodedPaths): Read[] {
  const b = native() ? batch() : undefined;
  const n = e.rels.length;
  if (!b || n > 16) return readProcMany(e.rels, e.single);
  readInto(b, e.bytes, e.flags, n);
  return decodeReads(n, n, 0);
}

/** the paths NUL-separated and the one-record flags, into buffers kept between calls; the number of files */
function encodePaths(rels: readonly string[], single: readonly boolean[]): number {
  const n = rels.length;
  const text = `${rels.join('\0')}\0`;
  if (text.length * 3 > pathBytes.length) pathBytes = Buffer.alloc(text.length * 3);
  pathBytes.write(text, 'utf8');
  if (flagBytes.length < n) flagBytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) flagBytes[i] = single[i] ? 1 : 0;
  return n;
}

/** each file's text from buf and lens: one after another, the files from index half on starting at offset second */
function decodeReads(n: number, half: number, second: number): Read[] {
  const out: Read[] = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (i === half) at = second;
    const len = Number(lens[i]);
    if (len < 0) out[i] = { code: errnoName(-len) ?? 'EIO' };
    else {
      out[i] = buf.toString('latin1', at, at + len);
      at += len;
    }
  }
  return out;
}

/** A read begun by readProcStart, for readProcFinish. */
export interface StartedRead {
  readonly rels: readonly string[];
  readonly single: readonly boolean[];
  readonly token: number;
}

let lastStarted = 0;

/**
 * Begins reading /proc/REL for every rel on a thread of the batched reader,
 * so that the caller can do other work meanwhile (processIter makes the
 * handles of one batch while the next is read); readProcFinish ends it.
 * One read runs at a time in a process: while one is begun, another
 * (a processIter inside a processIter, or on another worker thread) is
 * read by its readProcFinish, here and now.
 */
export function readProcStart(rels: readonly string[], single: readonly boolean[]): StartedRead {
  const b = native() ? batch() : undefined;
  const n = b ? encodePaths(rels, single) : 0;
  const started = b !== undefined && b.bgStart(procFd, pathBytes, flagBytes, n) === 0;
  return { rels, single, token: started ? ++lastStarted : -1 };
}

/** Drops a read readProcStart began that will not be finished (its caller stopped early): the thread stops after its current file. */
export function readProcCancel(started: StartedRead): void {
  if (started.token !== lastStarted) return;
  lastStarted++;
  batch()?.bgCancel();
}

/** The files of a read readProcStart began, as readProcMany returns them; the calling thread reads what is left meanwhile. */
export function readProcFinish(started: StartedRead): Read[] {
  const b = batch();
  if (!b || started.token !== lastStarted) return readProcMany(started.rels, started.single);
  lastStarted++; // finished: a second finish of the same read reads again
  const n = started.rels.length;
  const total = b.bgHelp();
  if (total < 0) return readProcMany(started.rels, started.single);
  if (buf.length < total) buf = Buffer.allocUnsafe(total);
  if (lens.length < n) lens = new BigInt64Array(n);
  b.bgTake(buf, buf.length, lens);
  return decodeReads(n, n, 0);
}

function readWithFs(path: string, single: boolean): Buffer {
  const fd = openSync(path, 'r');
  try {
    return readAll(single, (into, at, room) => readSync(fd, into, at, room, null));
  } finally {
    closeSync(fd);
  }
}

const linkBuf = Buffer.allocUnsafe(4096);

/** readlink of /proc/REL */
export function readlinkProc(rel: string): string {
  const c = native();
  if (!c) return readlinkSync(`/proc/${rel}`);
  const n = c.readlinkat(procFd, rel, linkBuf, linkBuf.length);
  if (n < 0) fail(c, 'readlink', rel);
  return linkBuf.toString('utf8', 0, n);
}

let pidList = new Int32Array(4096);

/** The PIDs of /proc, ascending: one FFI call where the batched reader is built. */
export function listProcPids(): number[] {
  const b = native() ? batch() : undefined;
  if (!b) return listPids('/proc');
  let n = b.listPids(procFd, pidList, pidList.length);
  while (n < 0) {
    pidList = new Int32Array(pidList.length * 2);
    n = b.listPids(procFd, pidList, pidList.length);
  }
  return Array.from(pidList.subarray(0, n));
}
