/**
 * A handle on one process, with psutil's Process surface. The handle
 * remembers the process's start time (stat field 22): a call that reads stat
 * notices when the PID has been reused and throws NoSuchProcess, and every
 * call that acts on the process (signals, priorities, limits, affinity)
 * checks first, so a handle never signals a stranger. Reads are lazy and
 * uncached, as psutil's; oneshot() keeps stat, status and statm for the
 * calls made inside it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { setPriority } from 'node:os';
import { pageSize } from '../proc/snapshot.js';
import { TtyResolver } from '../proc/tty.js';
import { nameCache } from '../proc/users.js';
import { type Connection, type ConnectionKind, checkKind, connectionRows, socketsOf } from './connections.js';
import { AccessDenied, NoSuchProcess, TimeoutExpired, ZombieProcess } from './errors.js';
import { parseSmaps, groupMaps, type MemoryMap, type MemoryMapGrouped } from './smaps.js';
import {
  type EncodedPaths,
  encodeProcPaths,
  listProcPids,
  type Read,
  readProcCancel,
  readProcEncoded,
  readProcFinish,
  readProcMany,
  readProcStart,
  type StartedRead,
} from './procat.js';
import { countField, fieldValue } from '../proc/parse/status.js';
import { codeOf, kibField, readLatin1, readLinkStrict, readUtf8, splitStat, translate, utf8FromLatin1 } from './procfs.js';
import { getAffinity, ioprioGet, ioprioSet, prlimit, setAffinity } from './native.js';
import { waitForExit } from './wait.js';
import { cpuTimes } from './system/cpu.js';
import { bootTime } from './system/host.js';
import { virtualMemory } from './system/memory.js';

/** clock ticks per second of every time in /proc (USER_HZ) */
const HZ = 100;

/** psutil's words for the kernel's one-letter states */
export type ProcessStatus = 'running' | 'sleeping' | 'disk-sleep' | 'stopped' | 'tracing-stop' | 'zombie' | 'dead' | 'wake-kill' | 'waking' | 'idle' | 'parked';

const STATUS: Record<string, ProcessStatus> = {
  R: 'running',
  S: 'sleeping',
  D: 'disk-sleep',
  T: 'stopped',
  t: 'tracing-stop',
  Z: 'zombie',
  X: 'dead',
  x: 'dead',
  K: 'wake-kill',
  W: 'waking',
  I: 'idle',
  P: 'parked',
};

/** memoryInfo from statm's seven page counts */
function memoryOfStatm(text: string): MemoryInfo {
  const page = pageSize();
  const v = text.trim().split(' ');
  return {
    rss: Number(v[1]) * page,
    vms: Number(v[0]) * page,
    shared: Number(v[2]) * page,
    text: Number(v[3]) * page,
    lib: Number(v[4]) * page,
    data: Number(v[5]) * page,
    dirty: Number(v[6]) * page,
  };
}

/** statm of a process without a memory map: all zeros */
const noMemory = (): MemoryInfo => ({ rss: 0, vms: 0, shared: 0, text: 0, lib: 0, data: 0, dirty: 0 });

/** real, effective and saved user or group ids */
export interface Ids {
  real: number;
  effective: number;
  saved: number;
}

/** seconds of CPU, the process's own and its waited-for children's */
export interface ProcessCpuTimes {
  user: number;
  system: number;
  childrenUser: number;
  childrenSystem: number;
  /** time spent waiting for block I/O (delayacct_blkio_ticks) */
  iowait: number;
}

/** bytes, from statm: resident, virtual, shared (file-backed resident), text, data+stack; lib and dirty are 0 since Linux 2.6 */
export interface MemoryInfo {
  rss: number;
  vms: number;
  shared: number;
  text: number;
  lib: number;
  data: number;
  dirty: number;
}

/** memoryInfo plus what only smaps_rollup knows (bytes): unique, proportional and swapped-out memory */
export interface MemoryFullInfo extends MemoryInfo {
  uss: number;
  pss: number;
  swap: number;
}

/** /proc/PID/io: system calls and bytes */
export interface ProcessIoCounters {
  readCount: number;
  writeCount: number;
  /** bytes that went to or came from storage */
  readBytes: number;
  writeBytes: number;
  /** bytes passed to read(2)/write(2) and their kin, from any source */
  readChars: number;
  writeChars: number;
}

export interface CtxSwitches {
  voluntary: number;
  involuntary: number;
}

export interface ThreadTimes {
  /** the thread id (TID) */
  id: number;
  /** seconds */
  userTime: number;
  systemTime: number;
}

export interface ProcessOpenFile {
  path: string;
  fd: number;
  /** the file offset, bytes */
  position: number;
  /** 'r', 'w', 'a', 'r+' or 'a+' (from flags) */
  mode: string;
  /** open(2) flags */
  flags: number;
}

/** IOPRIO_CLASS_*: the I/O scheduling classes */
export const IOPRIO_CLASS_NONE = 0;
export const IOPRIO_CLASS_RT = 1;
export const IOPRIO_CLASS_BE = 2;
export const IOPRIO_CLASS_IDLE = 3;

export interface IoNice {
  /** IOPRIO_CLASS_* */
  ioclass: number;
  /** 0 (highest) to 7, within the class */
  value: number;
}

/** RLIMIT_* resource numbers (Linux, every architecture Node runs on but mips and sparc) */
export const RLIMIT = {
  CPU: 0,
  FSIZE: 1,
  DATA: 2,
  STACK: 3,
  CORE: 4,
  RSS: 5,
  NPROC: 6,
  NOFILE: 7,
  MEMLOCK: 8,
  AS: 9,
  LOCKS: 10,
  SIGPENDING: 11,
  MSGQUEUE: 12,
  NICE: 13,
  RTPRIO: 14,
  RTTIME: 15,
} as const;
export { RLIM_INFINITY } from './native.js';

const O_ACCMODE = 3;
const O_APPEND = 0o2000;
const fileMode = (flags: number): string => {
  const base = ['r', 'w', 'w+'][flags & O_ACCMODE] ?? 'r';
  const appended = flags & O_APPEND ? base.replace('w', 'a') : base;
  return appended.replace('w+', 'r+');
};

let ttys: TtyResolver | undefined;

/** whether path names a regular file now (one we may not look at, or that is gone, is not) */
const isRegularFile = (path: string): boolean => {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
};

/** bytes of one "Key:   N kB" line of smaps_rollup, 0 when absent */
const kibOf = (text: string, key: string): number => kibField(text, key) ?? 0;

// constant while the machine runs: read once, as psutil reads them at import
let boot: number | undefined;
const bootSeconds = (): number => (boot ??= bootTime());
let total: number | undefined;
const memTotal = (): number => (total ??= virtualMemory().total);

interface Cache {
  stat?: { comm: string; f: string[] };
  /** each file read in this batch (or by processIter before it): its text, or the errno of its failure */
  files: Map<string, Read>;
}

/** what processIter read for a handle before handing it out */
interface Primed {
  stat: { comm: string; f: string[] };
  files?: Map<string, Read>;
}

export class Process {
  /** the process id */
  readonly pid: number;
  /** stat's start time, clock ticks after boot: with pid, what makes this process this one */
  private readonly startTicks: number;
  private knownName: string | undefined;
  private cache: Cache | undefined;
  private lastCpu: { wall: number; cpu: number } | undefined;
  private primed: Primed | undefined;
  /** statm and smaps_rollup, encoded once for memoryFullInfo */
  private fullInfoPaths: EncodedPaths | undefined;

  /**
   * A handle on process pid (default: this one).
   * @throws NoSuchProcess when there is no such process
   */
  constructor(pid: number = globalThis.process.pid) {
    if (!Number.isInteger(pid) || pid < 0) throw new TypeError(`pid must be a positive integer (got ${pid})`);
    this.pid = pid;
    // only the name and the start time: the other fields are split when a call needs them
    const text = this.guard(() => readLatin1(this.dir('stat'), true));
    const close = text.lastIndexOf(')');
    let at = close + 2;
    for (let field = 0; field < 19 && at > 1; field++) at = text.indexOf(' ', at) + 1;
    const end = text.indexOf(' ', at);
    this.startTicks = Number(text.slice(at, end));
    if (close < 0 || at <= 1 || end < 0 || !Number.isInteger(this.startTicks)) throw new NoSuchProcess(pid);
    const comm = text.slice(text.indexOf('(') + 1, close);
    this.knownName = utf8FromLatin1(comm);
  }

  /** @internal a handle from a stat line already read (processIter), with the other files read for it */
  static fromStat(pid: number, text: string, files?: Map<string, Read>): Process | undefined {
    const st = splitStat(text);
    if (!st) return undefined;
    const p = Object.create(Process.prototype) as Process;
    Object.assign(p, {
      pid,
      startTicks: Number(st.f[19]),
      knownName: st.comm,
      cache: undefined,
      lastCpu: undefined,
      primed: { stat: st, files },
      fullInfoPaths: undefined,
    });
    return p;
  }

  /** @internal whether another handle names the same process (same PID and start time) */
  sameAs(other: Process): boolean {
    return other.pid === this.pid && other.startTicks === this.startTicks;
  }

  /** @internal the same process read again (processIter): the files read for it serve its next batch */
  refresh(from: Process): void {
    this.primed = from.primed;
  }

  toString(): string {
    return `Process(pid=${this.pid}, name='${this.knownName ?? ''}')`;
  }

  /**
   * Runs fn with stat, status and statm read at most once each: a batch of
   * calls costs one read of each file (psutil's oneshot()).
   */
  oneshot<T>(fn: (p: this) => T): T {
    if (this.cache) return fn(this);
    // the files read for the handle (processIter) serve the first batch
    this.cache = this.primed ? { stat: this.primed.stat, files: this.primed.files ?? new Map() } : { files: new Map() };
    this.primed = undefined;
    try {
      return fn(this);
    } finally {
      this.cache = undefined;
    }
  }

  private dir(file: string): string {
    return `/proc/${this.pid}/${file}`;
  }

  /**
   * The ppid if the process is a zombie now, undefined otherwise. A method,
   * not an arrow field: handles made by fromStat skip the constructor and
   * its field initialisers.
   */
  private zombiePpid(): number | undefined {
    try {
      const st = splitStat(readLatin1(this.dir('stat'), true));
      return st && st.f[0] === 'Z' ? Number(st.f[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** runs a read of this process's files, turning errno into the library's errors */
  private guard<T>(read: () => T): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof NoSuchProcess || e instanceof AccessDenied) throw e;
      throw translate(e, this.pid, this.knownName, () => this.zombiePpid());
    }
  }

  private readStat(): { comm: string; f: string[] } {
    if (this.cache?.stat) return this.cache.stat;
    const st = this.guard(() => splitStat(readLatin1(this.dir('stat'), true)));
    if (!st) throw new NoSuchProcess(this.pid, this.knownName);
    if (Number(st.f[19]) !== this.startTicks) throw new NoSuchProcess(this.pid, this.knownName, 'process no longer exists (its PID was reused)');
    if (this.cache) this.cache.stat = st;
    return st;
  }

  /** a file of the process as latin1 text, from the batch's cache when there is one */
  private text(file: string, single: boolean): string {
    const had = this.cache?.files.get(file);
    if (typeof had === 'string') return had;
    if (had) throw this.failed(had.code);
    const t = this.guard(() => readLatin1(this.dir(file), single));
    this.cache?.files.set(file, t);
    return t;
  }

  /** the library's error for a read of this process's files that failed with errno code */
  private failed(code: string): Error {
    return translate(Object.assign(new Error(code), { code }), this.pid, this.knownName, () => this.zombiePpid());
  }

  /** reads the files not yet in the batch's cache in one batched read (inside oneshot) */
  private prefetch(files: readonly (readonly [string, boolean])[]): void {
    const cache = this.cache;
    if (!cache) return;
    const want = files.filter((f) => !cache.files.has(f[0]));
    if (want.length < 2) return;
    const got = readProcMany(
      want.map((f) => `${this.pid}/${f[0]}`),
      want.map((f) => f[1]),
    );
    for (let i = 0; i < want.length; i++) cache.files.set(want[i][0], got[i]);
  }

  /** a file whose bytes are UTF-8 (command line, environment) */
  private utf8(file: string): string {
    const t = this.text(file, true);
    // latin1 text is the bytes themselves: only text with high bytes needs decoding
    return utf8FromLatin1(t);
  }

  private statusText(): string {
    return this.text('status', true);
  }

  private statusValue(key: string): string {
    const v = fieldValue(this.statusText(), `${key}:`);
    if (v === undefined) throw new AccessDenied(this.pid, this.knownName, `no ${key} line in status`);
    return v;
  }

  /** throws NoSuchProcess unless the PID still names this process; before any action on it */
  private assertSame(): void {
    if (!this.isRunning()) throw new NoSuchProcess(this.pid, this.knownName, 'process no longer exists (or its PID was reused)');
  }

  /** the parent's pid (reread every call: a process is re-parented when its parent exits) */
  ppid(): number {
    return Number(this.readStat().f[1]);
  }

  /** the parent process, undefined for PID 1, 0 and a parent that is gone */
  parent(): Process | undefined {
    if (this.pid <= 1) return undefined;
    const ppid = this.ppid();
    const mine = this.createTime();
    try {
      const p = new Process(ppid);
      return p.createTime() <= mine ? p : undefined;
    } catch (e) {
      if (e instanceof NoSuchProcess) return undefined;
      throw e;
    }
  }

  /** the parent, its parent, ... up to PID 1 */
  parents(): Process[] {
    const out: Process[] = [];
    for (let p = this.parent(); p; p = p.parent()) out.push(p);
    return out;
  }

  /**
   * The processes whose parent this one is; with recursive, their children
   * too, depth first (a child started before its parent is a PID reuse and is left out).
   */
  children(opts: { recursive?: boolean } = {}): Process[] {
    const byParent = new Map<number, Process[]>();
    for (const p of iterHandles()) {
      let ppid: number;
      try {
        // in a batch: the stat line the handle was made from, not a second read of it
        ppid = p.oneshot(() => p.ppid());
      } catch {
        continue;
      }
      const list = byParent.get(ppid);
      if (list) list.push(p);
      else byParent.set(ppid, [p]);
    }
    const out: Process[] = [];
    const seen = new Set<number>();
    const walk = (parent: Process, deep: boolean) => {
      for (const c of byParent.get(parent.pid) ?? []) {
        if (seen.has(c.pid) || c.startTicks < parent.startTicks) continue;
        seen.add(c.pid);
        out.push(c);
        if (deep) walk(c, true);
      }
    };
    walk(this, opts.recursive === true);
    return out;
  }

  /** the name: stat's comm (15 bytes at most), completed from the command line when that starts with it, as psutil does */
  name(): string {
    const comm = this.readStat().comm;
    this.knownName = comm;
    if (comm.length < 15) return comm;
    let argv: string[];
    try {
      argv = this.cmdline();
    } catch (e) {
      if (e instanceof AccessDenied || e instanceof ZombieProcess) return comm;
      throw e;
    }
    const base = argv[0]?.replace(/^.*\//, '');
    return base?.startsWith(comm) ? base : comm;
  }

  /** the executable's path; '' for a kernel thread or a zombie, which have none */
  exe(): string {
    try {
      const link = readLinkStrict(this.dir('exe'));
      return link.endsWith(' (deleted)') && !existsSync(link) ? link.slice(0, -10) : link;
    } catch (e) {
      const code = codeOf(e);
      if ((code === 'ENOENT' || code === 'ESRCH') && existsSync(`/proc/${this.pid}`)) return '';
      throw translate(e, this.pid, this.knownName, () => this.zombiePpid());
    }
  }

  /** the arguments; [] for a kernel thread or a zombie. A command line rewritten with spaces (setproctitle) is split on them. */
  cmdline(): string[] {
    let data = this.utf8('cmdline');
    if (!data) return [];
    const sep = data.endsWith('\0') ? '\0' : ' ';
    if (data.endsWith(sep)) data = data.slice(0, -1);
    const argv = data.split(sep);
    return sep === '\0' && argv.length === 1 && data.includes(' ') ? data.split(' ') : argv;
  }

  /** the environment the process started with (what it changed in itself since is not visible) */
  environ(): Record<string, string> {
    const data = this.utf8('environ');
    const env: Record<string, string> = {};
    // psutil's reading: entries end with NUL; an empty entry ends the list; a name needs one character before '='
    for (let pos = 0; ; ) {
      const end = data.indexOf('\0', pos);
      if (end <= pos) break;
      const eq = data.indexOf('=', pos);
      if (eq > pos && eq < end) env[data.slice(pos, eq)] = data.slice(eq + 1, end);
      pos = end + 1;
    }
    return env;
  }

  /** the working directory */
  cwd(): string {
    return this.guard(() => readLinkStrict(this.dir('cwd')));
  }

  status(): ProcessStatus {
    // stat's letter, as psutil's: status's State line is the same letter, in a file three times longer
    const letter = this.readStat().f[0];
    return STATUS[letter] ?? (letter as ProcessStatus);
  }

  uids(): Ids {
    // indexed, not destructured: array destructuring goes through the iterator protocol (it cost 9 us a call in memoryInfo)
    const v = this.statusValue('Uid').split(/\s+/);
    return { real: Number(v[0]), effective: Number(v[1]), saved: Number(v[2]) };
  }

  gids(): Ids {
    // indexed, not destructured: array destructuring goes through the iterator protocol (it cost 9 us a call in memoryInfo)
    const v = this.statusValue('Gid').split(/\s+/);
    return { real: Number(v[0]), effective: Number(v[1]), saved: Number(v[2]) };
  }

  /** the name of the real user, or the number when /etc/passwd has none */
  username(): string {
    const uid = this.uids().real;
    return nameCache().user(uid) ?? String(uid);
  }

  /** the controlling terminal's path (/dev/pts/3), undefined when there is none */
  terminal(): string | undefined {
    const nr = Number(this.readStat().f[4]);
    if (nr === 0) return undefined;
    ttys ??= new TtyResolver();
    const name = ttys.name(nr, this.pid);
    return name === '?' ? undefined : `/dev/${name}`;
  }

  /** when the process started, seconds since the epoch */
  createTime(): number {
    return bootSeconds() + this.startTicks / HZ;
  }

  /** the nice value, -20 (most favoured) to 19 */
  nice(): number {
    return Number(this.readStat().f[16]);
  }

  setNice(value: number): void {
    this.assertSame();
    this.act(() => setPriority(this.pid, value));
  }

  /** runs a system call on this process, turning its errno into the library's errors */
  private act<T>(call: () => T): T {
    try {
      return call();
    } catch (e) {
      const code = (e as { code?: string; info?: { code?: string } }).info?.code ?? codeOf(e);
      if (code === 'EPERM' || code === 'EACCES') throw new AccessDenied(this.pid, this.knownName);
      if (code === 'ESRCH') throw new NoSuchProcess(this.pid, this.knownName);
      throw e;
    }
  }

  /** the I/O scheduling class and level (ioprio_get) */
  ioNice(): IoNice {
    this.readStat();
    return this.act(() => ioprioGet(this.pid));
  }

  /** sets the I/O class (IOPRIO_CLASS_*) and level: 0-7 for RT and BE, none for IDLE and NONE */
  setIoNice(ioclass: number, value?: number): void {
    if (![0, 1, 2, 3].includes(ioclass)) throw new TypeError(`ioclass must be one of IOPRIO_CLASS_NONE, _RT, _BE, _IDLE (got ${ioclass})`);
    if ((ioclass === IOPRIO_CLASS_NONE || ioclass === IOPRIO_CLASS_IDLE) && value) throw new TypeError('this ioclass takes no value');
    const v = value ?? (ioclass === IOPRIO_CLASS_RT || ioclass === IOPRIO_CLASS_BE ? 4 : 0);
    if (!Number.isInteger(v) || v < 0 || v > 7) throw new TypeError(`value must be 0-7 (got ${v})`);
    this.assertSame();
    this.act(() => ioprioSet(this.pid, ioclass, v));
  }

  /** [soft, hard] limit of one resource (RLIMIT.*), RLIM_INFINITY (-1) for unlimited */
  rlimit(resource: number): [number, number] {
    this.readStat();
    return this.act(() => prlimit(this.pid, resource));
  }

  setRlimit(resource: number, limits: readonly [number, number]): void {
    this.assertSame();
    this.act(() => prlimit(this.pid, resource, limits));
  }

  /** the CPUs the process may run on */
  cpuAffinity(): number[] {
    this.readStat();
    return this.act(() => getAffinity(this.pid));
  }

  /** restricts the process to these CPUs; [] means every CPU */
  setCpuAffinity(cpuList: readonly number[]): void {
    // the CPUs online, as psutil takes them (one per cpu line of /proc/stat)
    const all = [...Array(cpuTimes({ perCpu: true }).length || 1).keys()];
    for (const c of cpuList) if (!all.includes(c)) throw new TypeError(`invalid CPU ${c}; choose between ${all.join(', ')}`);
    this.assertSame();
    this.act(() => setAffinity(this.pid, cpuList.length ? cpuList : all));
  }

  /** the CPU the process last ran on */
  cpuNum(): number {
    return Number(this.readStat().f[36]);
  }

  cpuTimes(): ProcessCpuTimes {
    const f = this.readStat().f;
    return {
      user: Number(f[11]) / HZ,
      system: Number(f[12]) / HZ,
      childrenUser: Number(f[13]) / HZ,
      childrenSystem: Number(f[14]) / HZ,
      iowait: Number(f[39] ?? 0) / HZ,
    };
  }

  memoryInfo(): MemoryInfo {
    const fromStatus = this.memoryFromStatus();
    if (fromStatus) return fromStatus;
    return memoryOfStatm(this.text('statm', true));
  }

  /**
   * statm's figures from a status file this batch read already (processIter
   * asking for username or status too), so statm is not read: the kernel
   * fills both from the same counters (VmSize = size, VmRSS = resident,
   * RssFile + RssShmem = shared, VmExe = text, VmData + VmStk = data), in
   * KiB, whole pages. undefined when status is not in the batch or has no
   * Vm lines (a kernel thread: statm is all zeros there).
   */
  private memoryFromStatus(): MemoryInfo | undefined {
    const t = this.cache?.files.get('status');
    if (typeof t !== 'string' || this.cache?.files.has('statm')) return undefined;
    const kib = (key: string) => kibField(t, key);
    const vms = kib('VmSize');
    // no Vm lines: no memory map (a kernel thread, a zombie), where statm is all zeros
    if (vms === undefined) return t.includes('\nVm') || !t.endsWith('\n') ? undefined : noMemory();
    const rss = kib('VmRSS');
    const file = kib('RssFile');
    const shmem = kib('RssShmem');
    const data = kib('VmData');
    const stack = kib('VmStk');
    const text = kib('VmExe');
    if (rss === undefined || file === undefined || shmem === undefined || text === undefined || data === undefined || stack === undefined) return undefined;
    return { rss, vms, shared: file + shmem, text, lib: 0, data: data + stack, dirty: 0 };
  }

  /** memoryInfo plus uss, pss and swap from smaps_rollup (needs the right to trace the process) */
  memoryFullInfo(): MemoryFullInfo {
    if (this.cache) {
      // statm and smaps_rollup in one batched read, or what the batch read already
      this.prefetch(FILES_OF.memoryFullInfo ?? []);
      return this.fullInfo(this.memoryInfo(), this.text('smaps_rollup', true));
    }
    // on its own (a monitor's loop): both files in one call, their paths encoded once for the handle's life
    const r = readProcEncoded((this.fullInfoPaths ??= encodeProcPaths([`${this.pid}/statm`, `${this.pid}/smaps_rollup`], [true, true])));
    const statm = r[0];
    const smaps = r[1];
    if (typeof statm !== 'string') throw this.failed(statm.code);
    if (typeof smaps !== 'string') throw this.failed(smaps.code);
    return this.fullInfo(memoryOfStatm(statm), smaps);
  }

  private fullInfo(mem: MemoryInfo, text: string): MemoryFullInfo {
    // uss: every Private_ line (Clean, Dirty, Hugetlb), as psutil sums them
    const uss = kibOf(text, 'Private_Clean') + kibOf(text, 'Private_Dirty') + kibOf(text, 'Private_Hugetlb');
    const pss = kibOf(text, 'Pss');
    const swap = kibOf(text, 'Swap');
    return { rss: mem.rss, vms: mem.vms, shared: mem.shared, text: mem.text, lib: mem.lib, data: mem.data, dirty: mem.dirty, uss, pss, swap };
  }

  /** the mappings of smaps; grouped (the default) sums them by path */
  memoryMaps(opts: { grouped: false }): MemoryMap[];
  memoryMaps(opts?: { grouped?: true }): MemoryMapGrouped[];
  memoryMaps(opts: { grouped?: boolean } = {}): MemoryMap[] | MemoryMapGrouped[] {
    const maps = parseSmaps(
      this.guard(() => readUtf8(this.dir('smaps'))),
      (p) => existsSync(p),
    );
    return opts.grouped === false ? maps : groupMaps(maps);
  }

  /** percent of the machine's memory the process holds (rss by default, or another memoryFullInfo field) */
  memoryPercent(memtype: keyof MemoryFullInfo = 'rss'): number {
    const info = ['uss', 'pss', 'swap'].includes(memtype) ? this.memoryFullInfo() : this.memoryInfo();
    const total = memTotal();
    return total ? ((info as MemoryFullInfo)[memtype] / total) * 100 : 0;
  }

  ioCounters(): ProcessIoCounters {
    const text = this.text('io', true);
    const v = (k: string) => countField(text, `${k}:`);
    return {
      readCount: v('syscr'),
      writeCount: v('syscw'),
      readBytes: v('read_bytes'),
      writeBytes: v('write_bytes'),
      readChars: v('rchar'),
      writeChars: v('wchar'),
    };
  }

  numCtxSwitches(): CtxSwitches {
    return { voluntary: Number(this.statusValue('voluntary_ctxt_switches')), involuntary: Number(this.statusValue('nonvoluntary_ctxt_switches')) };
  }

  /** the number of open descriptors (needs the right to trace the process) */
  numFds(): number {
    return this.guard(() => readdirSync(this.dir('fd'))).length;
  }

  numThreads(): number {
    return Number(this.statusValue('Threads'));
  }

  /** each thread's id and CPU seconds */
  threads(): ThreadTimes[] {
    const out: ThreadTimes[] = [];
    const tids = this.guard(() => readdirSync(this.dir('task')))
      .map(Number)
      .sort((a, b) => a - b);
    for (const id of tids) {
      let st: ReturnType<typeof splitStat>;
      try {
        st = splitStat(readLatin1(this.dir(`task/${id}/stat`), true));
      } catch {
        continue; // the thread ended since the listing
      }
      if (st) out.push({ id, userTime: Number(st.f[11]) / HZ, systemTime: Number(st.f[12]) / HZ });
    }
    if (out.length === 0) this.readStat();
    return out;
  }

  /** the regular files the process has open through descriptors */
  openFiles(): ProcessOpenFile[] {
    const out: ProcessOpenFile[] = [];
    for (const name of this.guard(() => readdirSync(this.dir('fd')))) {
      let path: string;
      try {
        path = readLinkStrict(this.dir(`fd/${name}`));
      } catch {
        continue; // closed since the listing
      }
      if (!path.startsWith('/') || !isRegularFile(path)) continue;
      let info: string;
      try {
        info = readLatin1(this.dir(`fdinfo/${name}`));
      } catch {
        continue;
      }
      const position = Number(/^pos:\s+(\d+)/m.exec(info)?.[1] ?? 0);
      const flags = parseInt(/^flags:\s+([0-7]+)/m.exec(info)?.[1] ?? '0', 8);
      out.push({ path, fd: Number(name), position, mode: fileMode(flags), flags });
    }
    return out;
  }

  /** the process's sockets of one kind ('inet' by default; 'all', 'tcp', 'udp6', 'unix'...) */
  connections(kind: ConnectionKind = 'inet'): Connection[] {
    checkKind(kind);
    const owners = this.guard(() => socketsOf(this.pid));
    if (owners.size === 0) return [];
    return connectionRows(kind, owners, true).map(({ pid: _, ...c }) => c);
  }

  /** whether the PID still names this process (a zombie still does) */
  isRunning(): boolean {
    try {
      const st = splitStat(readLatin1(this.dir('stat'), true));
      return st !== undefined && Number(st.f[19]) === this.startTicks;
    } catch {
      return false;
    }
  }

  /**
   * CPU use as a percentage of one CPU (above 100 for several threads busy at once).
   * Without interval: since the last call (0 the first time). With interval
   * (seconds): over that much time from now.
   */
  cpuPercent(): number;
  cpuPercent(interval: number): Promise<number>;
  cpuPercent(interval?: number): number | Promise<number> {
    const sample = () => {
      const t = this.cpuTimes();
      return { wall: performance.now() / 1000, cpu: t.user + t.system };
    };
    const percent = (a: { wall: number; cpu: number }, b: { wall: number; cpu: number }) =>
      b.wall > a.wall ? Math.round(((b.cpu - a.cpu) / (b.wall - a.wall)) * 1000) / 10 : 0;
    if (interval === undefined || interval <= 0) {
      const now = sample();
      const before = this.lastCpu;
      this.lastCpu = now;
      return before ? percent(before, now) : 0;
    }
    const start = sample();
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          const end = sample();
          this.lastCpu = end;
          resolve(percent(start, end));
        } catch (e) {
          reject(e);
        }
      }, interval * 1000);
    });
  }

  /**
   * The attributes named (default: all) in one batch, as psutil's as_dict();
   * one the kernel will not show (AccessDenied, or a zombie's) is onDenied.
   */
  asDict<K extends Attr = Attr>(attrs: readonly K[] = ATTRS as unknown as K[], onDenied: unknown = undefined): Pick<ProcessDict, K> {
    return this.oneshot(() => {
      const out = {} as Record<string, unknown>;
      for (const a of attrs) {
        if (!(a in GETTERS)) throw new TypeError(`invalid attr '${a}'`);
        try {
          out[a] = GETTERS[a](this);
        } catch (e) {
          if (e instanceof NoSuchProcess && !(e instanceof ZombieProcess)) throw e;
          if (!(e instanceof AccessDenied || e instanceof ZombieProcess)) throw e;
          out[a] = onDenied;
        }
      }
      return out as Pick<ProcessDict, K>;
    });
  }

  /** sends a signal (a name like 'SIGHUP' or a number) after checking the PID is still this process */
  sendSignal(signal: NodeJS.Signals | number): void {
    if (this.pid === 0) throw new TypeError('preventing sending signal to process with PID 0 as it would affect every process in the process group');
    this.assertSame();
    this.act(() => globalThis.process.kill(this.pid, signal));
  }

  suspend(): void {
    this.sendSignal('SIGSTOP');
  }

  resume(): void {
    this.sendSignal('SIGCONT');
  }

  terminate(): void {
    this.sendSignal('SIGTERM');
  }

  kill(): void {
    this.sendSignal('SIGKILL');
  }

  /**
   * Resolves once the process has exited (for any process, not only our
   * children: through a pidfd, so a reused PID is never mistaken for it).
   * It may still be a zombie then, until its parent collects it; its exit
   * status belongs to that parent, and is not reported.
   * @param timeout seconds; rejects with TimeoutExpired after it
   */
  wait(timeout?: number): Promise<void> {
    if (!this.isRunning()) return Promise.resolve();
    return waitForExit(this.pid, timeout === undefined ? undefined : timeout * 1000, () => this.isRunning()).then((done) => {
      if (!done) throw new TimeoutExpired(timeout ?? 0, this.pid, this.knownName);
    });
  }
}

/** processes per batched read: a few megabytes of buffer at most */
const CHUNK = 256;

/**
 * Handles on every process, each made from its stat line; files: other
 * files to read for each process in the same batches (a name, and whether
 * it is one record), which the handle's first oneshot() then uses. The
 * next batch's files are read on another thread while this batch's
 * handles are made and handed out (the calling thread joins that read when
 * it is done here): reading is two thirds of processIter's time.
 */
export function* iterHandles(files: readonly (readonly [string, boolean])[] = []): Generator<Process> {
  const pids = listProcPids();
  const per = 1 + files.length;
  const begin = (from: number): StartedRead => {
    const rels: string[] = [];
    const single: boolean[] = [];
    for (let i = from; i < from + CHUNK && i < pids.length; i++) {
      rels.push(`${pids[i]}/stat`);
      single.push(true);
      for (let j = 0; j < files.length; j++) {
        rels.push(`${pids[i]}/${files[j][0]}`);
        single.push(files[j][1]);
      }
    }
    return readProcStart(rels, single);
  };
  let next: StartedRead | undefined = begin(0);
  try {
    for (let i = 0; next; i += CHUNK) {
      const reads = readProcFinish(next);
      next = i + CHUNK < pids.length ? begin(i + CHUNK) : undefined;
      const count = Math.min(CHUNK, pids.length - i);
      for (let k = 0; k < count; k++) {
        const stat = reads[k * per];
        if (typeof stat !== 'string') continue; // gone since the listing
        let map: Map<string, Read> | undefined;
        if (files.length) {
          map = new Map();
          for (let j = 0; j < files.length; j++) map.set(files[j][0], reads[k * per + 1 + j]);
        }
        const p = Process.fromStat(pids[i + k], stat, map);
        if (p) yield p;
      }
    }
  } finally {
    // left early (a break in the caller's loop): the next batch's read is not wanted
    if (next) readProcCancel(next);
  }
}

/** the files each attribute reads besides stat, and whether each is one record */
export const FILES_OF: Partial<Record<Attr, (readonly [string, boolean])[]>> = {
  username: [['status', true]],
  uids: [['status', true]],
  gids: [['status', true]],
  numCtxSwitches: [['status', true]],
  numThreads: [['status', true]],
  memoryInfo: [['statm', true]],
  memoryPercent: [['statm', true]],
  memoryFullInfo: [
    ['statm', true],
    ['smaps_rollup', true],
  ],
  // cmdline and environ fill every read to the end (get_mm_cmdline, environ_read loop until the count is met): a short read is the end
  cmdline: [['cmdline', true]],
  environ: [['environ', true]],
  ioCounters: [['io', true]],
};

/** What asDict and processIter can fill, by psutil's attribute (in TypeScript's spelling). */
export interface ProcessDict {
  pid: number;
  ppid: number;
  name: string;
  exe: string;
  cmdline: string[];
  environ: Record<string, string>;
  cwd: string;
  status: ProcessStatus;
  username: string;
  uids: Ids;
  gids: Ids;
  terminal: string | undefined;
  createTime: number;
  nice: number;
  ioNice: IoNice;
  cpuAffinity: number[];
  cpuNum: number;
  cpuTimes: ProcessCpuTimes;
  cpuPercent: number;
  memoryInfo: MemoryInfo;
  memoryFullInfo: MemoryFullInfo;
  memoryPercent: number;
  memoryMaps: MemoryMapGrouped[];
  ioCounters: ProcessIoCounters;
  numCtxSwitches: CtxSwitches;
  numFds: number;
  numThreads: number;
  threads: ThreadTimes[];
  openFiles: ProcessOpenFile[];
  connections: Connection[];
}
export type Attr = keyof ProcessDict;

const GETTERS: { [K in Attr]: (p: Process) => ProcessDict[K] } = {
  pid: (p) => p.pid,
  ppid: (p) => p.ppid(),
  name: (p) => p.name(),
  exe: (p) => p.exe(),
  cmdline: (p) => p.cmdline(),
  environ: (p) => p.environ(),
  cwd: (p) => p.cwd(),
  status: (p) => p.status(),
  username: (p) => p.username(),
  uids: (p) => p.uids(),
  gids: (p) => p.gids(),
  terminal: (p) => p.terminal(),
  createTime: (p) => p.createTime(),
  nice: (p) => p.nice(),
  ioNice: (p) => p.ioNice(),
  cpuAffinity: (p) => p.cpuAffinity(),
  cpuNum: (p) => p.cpuNum(),
  cpuTimes: (p) => p.cpuTimes(),
  cpuPercent: (p) => p.cpuPercent(),
  memoryInfo: (p) => p.memoryInfo(),
  memoryFullInfo: (p) => p.memoryFullInfo(),
  memoryPercent: (p) => p.memoryPercent(),
  memoryMaps: (p) => p.memoryMaps(),
  ioCounters: (p) => p.ioCounters(),
  numCtxSwitches: (p) => p.numCtxSwitches(),
  numFds: (p) => p.numFds(),
  numThreads: (p) => p.numThreads(),
  threads: (p) => p.threads(),
  openFiles: (p) => p.openFiles(),
  connections: (p) => p.connections(),
};
/** every attribute, as asDict() without a list fills them (psutil's default) */
export const ATTRS = Object.keys(GETTERS) as Attr[];
