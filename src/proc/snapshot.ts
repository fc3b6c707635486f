/**
 * One snapshot of the process table. Callers name the fields they need and
 * only the files behind those fields are read: ps -o pid,comm touches stat
 * alone, while ps aux adds status and cmdline. Races with exiting processes
 * drop the process; unreadable files leave their fields undefined.
 */
import { parseStat, type StatFields } from './parse/stat.js';
import { parseStatus, parseStatusBytes, type StatusFields, type StatusWant } from './parse/status.js';
import { normalizeWchan, parseBootTime, parseCgroup, parseMemTotal, parseStatm, parseUptime, splitNul } from './parse/misc.js';
import { NAMESPACES, parseAutogroup, parseIo, parseLoginUid, parseNamespaceLink, parseSmapsRollup } from './parse/accounting.js';
import { lxcName, ownerUidOf, sessionOf, shiftPath, sliceOf, systemdPath, unitOf, userUnitOf } from './parse/systemd-cgroup.js';
import { listPids, ownerOf, readAscii, readBytes, readLink, readText } from './read.js';
import { TtyResolver, type StatDevice } from './tty.js';
import { nameCache } from './users.js';
import type { FieldName, ProcessInfo, SystemInfo } from './types.js';

export interface SnapshotOptions {
  /** where /proc is mounted; point it at a fixture tree in tests */
  procRoot?: string;
  /** where passwd and group live */
  etcRoot?: string;
  /** where terminal device nodes live */
  devRoot?: string;
  /** replaces stat(2) on device nodes, for fixture trees that cannot hold them */
  statDevice?: StatDevice;
  /** fields to fill; default: every field except environ */
  fields?: readonly FieldName[];
  /** one record per thread instead of per process */
  threads?: boolean;
  /** only these process ids */
  pids?: readonly number[];
}

type Source =
  | 'stat'
  | 'status'
  | 'owner'
  | 'statm'
  | 'cmdline'
  | 'environ'
  | 'exe'
  | 'cwd'
  | 'wchan'
  | 'cgroup'
  | 'oom'
  | 'tty'
  | 'attr'
  | 'io'
  | 'smaps'
  | 'ns'
  | 'autogroup'
  | 'loginuid';

/** the source behind each field that is not in stat or status */
const SOURCE_OF: Partial<Record<FieldName, Source>> = {
  shared: 'statm',
  cmdline: 'cmdline',
  environ: 'environ',
  exe: 'exe',
  cwd: 'cwd',
  wchan: 'wchan',
  cgroup: 'cgroup',
  systemd: 'cgroup',
  lxc: 'cgroup',
  oomScore: 'oom',
  oomScoreAdj: 'oom',
  tty: 'tty',
  label: 'attr',
  io: 'io',
  pss: 'smaps',
  uss: 'smaps',
  namespaces: 'ns',
  autogroup: 'autogroup',
  loginUid: 'loginuid',
};
/** what a snapshot without a field list reads: everything but the environment and the costly per-mapping sums */
const DEFAULT_SOURCES: Source[] = ['status', 'statm', 'cmdline', 'exe', 'cwd', 'wchan', 'cgroup', 'oom', 'tty', 'attr'];

const STATUS_FIELDS: FieldName[] = [
  'uid',
  'euid',
  'suid',
  'fsuid',
  'gid',
  'egid',
  'sgid',
  'fsgid',
  'groups',
  'groupNames',
  'user',
  'realUser',
  'savedUser',
  'fsUser',
  'group',
  'realGroup',
  'savedGroup',
  'fsGroup',
  'locked',
  'vmData',
  'vmStk',
  'caps',
  'signals',
  // VmRSS: on current kernels stat's rss lags it (1664 vs 1832 KiB for a sleep), and procps 4 prints VmRSS
  'rss',
];

/** the ProcessInfo field each size line of status fills */
const STATUS_SIZE_FIELD = { vmLck: 'locked', vmData: 'vmData', vmStk: 'vmStk' } as const;

/**
 * The effective user and group are also the owner of the task's /proc
 * directory: the kernel keeps that directory (mode 0555) owned by euid and
 * egid even for a task that is not dumpable, as procps once read them
 * (task_dump_owner). One stat instead of open, read and close of status,
 * which is the costliest file the kernel makes per process for ps -ef.
 */
const OWNER_FIELDS: FieldName[] = ['euid', 'egid', 'user', 'group'];

function sourcesFor(fields: readonly FieldName[] | undefined, kernelProc: boolean): Set<Source> {
  const s = new Set<Source>(['stat']);
  if (!fields) {
    for (const x of DEFAULT_SOURCES) s.add(x);
    return s;
  }
  for (const f of fields) {
    if (OWNER_FIELDS.includes(f)) s.add('owner');
    else if (STATUS_FIELDS.includes(f)) s.add('status');
    else if (SOURCE_OF[f]) s.add(SOURCE_OF[f]);
  }
  // a fixture tree's directories are owned by whoever wrote them: there status tells
  if (s.has('owner') && (s.has('status') || !kernelProc)) {
    s.delete('owner');
    s.add('status');
  }
  return s;
}

const PF_KTHREAD = 0x00200000;
const NON_ASCII = /[\x80-\xff]/;

/** Kernel-wide facts needed to interpret per-process numbers. */
export function systemInfo(procRoot = '/proc'): SystemInfo {
  const bootTime = parseBootTime(readAscii(`${procRoot}/stat`) ?? '') ?? 0;
  const uptime = parseUptime(readAscii(`${procRoot}/uptime`) ?? '0');
  const memTotal = parseMemTotal(readAscii(`${procRoot}/meminfo`) ?? '') ?? 0;
  const pidMax = Number((readAscii(`${procRoot}/sys/kernel/pid_max`) ?? '32768').trim()) || 32768;
  // USER_HZ is 100 on every Linux ABI Node runs on; the page size is 4 KiB on
  // x86 and most arm64 kernels, and /proc/self/auxv tells when it is not.
  return { hz: 100, pageSize: pageSize(), bootTime, uptime, memTotal, pidMax };
}

let cachedPageSize: number | undefined;
/** bytes per page, from the auxiliary vector (read once) */
export function pageSize(): number {
  if (cachedPageSize !== undefined) return cachedPageSize;
  cachedPageSize = 4096;
  const auxv = readBytes('/proc/self/auxv');
  // auxv is a list of (type, value) u64 pairs; AT_PAGESZ is type 6.
  for (let i = 0; auxv && i + 16 <= auxv.length; i += 16) {
    const type = Number(auxv.readBigUInt64LE(i));
    if (type === 6) cachedPageSize = Number(auxv.readBigUInt64LE(i + 8));
    if (type === 0 || type === 6) break;
  }
  return cachedPageSize;
}

class Reader {
  readonly sys: SystemInfo;
  readonly procRoot: string;
  private readonly names;
  private readonly ttys: TtyResolver;
  private readonly src: Set<Source>;

  constructor(opts: SnapshotOptions) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.sys = systemInfo(this.procRoot);
    this.names = nameCache(opts.etcRoot ?? (opts.procRoot ? `${opts.procRoot}/../etc` : '/etc'));
    this.ttys = new TtyResolver({ procRoot: this.procRoot, devRoot: opts.devRoot, statDevice: opts.statDevice });
    this.src = sourcesFor(opts.fields, this.procRoot === '/proc');
    this.fullStatus = !opts.fields || opts.fields.includes('signals') || opts.fields.includes('caps');
    const asked = (names: FieldName[]) => !opts.fields || names.some((f) => opts.fields?.includes(f));
    this.statusWant = {
      uid: asked(['uid', 'euid', 'suid', 'fsuid', 'user', 'realUser', 'savedUser', 'fsUser']),
      gid: asked(['gid', 'egid', 'sgid', 'fsgid', 'group', 'realGroup', 'savedGroup', 'fsGroup']),
      groups: asked(['groups', 'groupNames']),
      // in the kernel's order (the search goes on from the last one found); VmSize is stat's vsize over
      // again, and VmRSS is read whenever status is: a record's rss never depends on what else was asked
      sizes: opts.fields
        ? (['vmLck', 'vmRss', 'vmData', 'vmStk'] as const).filter((k) => k === 'vmRss' || asked([STATUS_SIZE_FIELD[k as keyof typeof STATUS_SIZE_FIELD]]))
        : undefined,
    };
    this.placement = !opts.fields || opts.fields.includes('systemd');
    this.groupNames = !opts.fields || opts.fields.includes('groupNames');
  }
  private readonly groupNames: boolean;
  private readonly fullStatus: boolean;
  /** the lines of status the quick parse reads, from the fields asked */
  private readonly statusWant: StatusWant;
  private readonly placement: boolean;
  private pid1Path: string | null | undefined;

  /** PID 1's systemd path, the root that unit paths are relative to (read once) */
  private managerRoot(): string | undefined {
    if (this.pid1Path === undefined) {
      const t = readText(`${this.procRoot}/1/cgroup`);
      this.pid1Path = (t === undefined ? undefined : systemdPath(t.split('\n'))) ?? null;
    }
    return this.pid1Path ?? undefined;
  }

  private applyCgroup(p: ProcessInfo, text: string): void {
    p.cgroup = parseCgroup(text);
    p.lxc = lxcName(text);
    if (!this.placement) return;
    const raw = systemdPath(text.split('\n'));
    if (raw === undefined) return;
    const path = shiftPath(raw, this.managerRoot());
    const session = sessionOf(path);
    p.systemd = { slice: sliceOf(path), unit: unitOf(path), userUnit: userUnitOf(path), session, ownerUid: ownerUidOf(path) };
    if (session) {
      const m = /^SEAT=(.*)$/m.exec(readText(`/run/systemd/sessions/${session}`) ?? '');
      if (m) p.systemd.seat = m[1];
    }
    const unit = p.systemd.unit;
    if (unit?.startsWith('machine-') && unit.endsWith('.scope')) {
      p.systemd.machine = readLink(`/run/systemd/machines/unit:${unit}`)?.replace(/^.*\//, '');
    }
  }

  /** Reads one task; dir is /proc/PID or /proc/PID/task/TID. */
  read(pid: number, dir: string, processDir: string): ProcessInfo | undefined {
    // latin1 decoding is a plain copy; only a non-ASCII comm needs UTF-8
    const statText = readAscii(`${dir}/stat`, true);
    if (statText === undefined) return undefined;
    const st = parseStat(statText);
    if (!st) return undefined;
    if (NON_ASCII.test(st.comm)) st.comm = Buffer.from(st.comm, 'latin1').toString('utf8');
    const p = this.fromStat(pid, st);
    const src = this.src;
    if (src.has('owner')) {
      const own = ownerOf(dir);
      if (own === undefined) return undefined; // gone between the two reads
      p.euid = own.uid;
      p.egid = own.gid;
      p.user = this.names.user(own.uid);
      p.group = this.names.group(own.gid);
    }
    if (src.has('status')) {
      if (this.fullStatus) {
        const txt = readAscii(`${dir}/status`, true);
        if (txt === undefined) return undefined; // gone between the two reads
        this.applyStatus(p, parseStatus(txt, true));
      } else {
        // every process's status in a listing: parsed where it was read, never made a string
        const bytes = readBytes(`${dir}/status`, true);
        if (bytes === undefined) return undefined;
        this.applyStatus(p, parseStatusBytes(bytes, this.statusWant));
      }
    }
    if (src.has('statm')) {
      const sm = parseStatm(readAscii(`${dir}/statm`, true) ?? '');
      if (sm) p.shared = (sm.shared * this.sys.pageSize) / 1024;
    }
    // kernel threads have no command line: skip the open
    if (src.has('cmdline')) {
      const c = st.flags & PF_KTHREAD ? '' : readText(`${processDir}/cmdline`, true);
      if (c !== undefined) p.cmdline = splitNul(c);
    }
    if (src.has('environ')) {
      const e = readText(`${processDir}/environ`, true);
      if (e !== undefined) p.environ = splitNul(e);
    }
    if (src.has('exe')) p.exe = readLink(`${processDir}/exe`);
    if (src.has('cwd')) p.cwd = readLink(`${processDir}/cwd`);
    if (src.has('wchan')) {
      const w = readAscii(`${dir}/wchan`, true);
      p.wchan = w === undefined ? '?' : normalizeWchan(w.slice(0, 63));
    }
    if (src.has('cgroup')) {
      const c = readText(`${processDir}/cgroup`);
      if (c !== undefined) this.applyCgroup(p, c);
    }
    if (src.has('io')) {
      const t = readAscii(`${dir}/io`, true);
      if (t !== undefined) p.io = parseIo(t);
    }
    if (src.has('smaps')) {
      const t = readAscii(`${dir}/smaps_rollup`);
      const r = t === undefined ? undefined : parseSmapsRollup(t);
      if (r) {
        p.pss = r.pss;
        p.uss = r.uss;
      }
    }
    if (src.has('ns')) {
      const ns: ProcessInfo['namespaces'] = {};
      for (const n of NAMESPACES) {
        const l = readLink(`${dir}/ns/${n}`);
        const v = l === undefined ? undefined : parseNamespaceLink(l);
        if (v !== undefined) ns[n] = v;
      }
      p.namespaces = ns;
    }
    if (src.has('autogroup')) {
      const t = readAscii(`${dir}/autogroup`, true);
      if (t !== undefined) p.autogroup = parseAutogroup(t);
    }
    if (src.has('loginuid')) {
      const t = readAscii(`${dir}/loginuid`, true);
      if (t !== undefined) p.loginUid = parseLoginUid(t);
    }
    if (src.has('oom')) {
      const s = readAscii(`${dir}/oom_score`, true);
      if (s !== undefined) p.oomScore = Number(s.trim());
      const a = readAscii(`${dir}/oom_score_adj`, true);
      if (a !== undefined) p.oomScoreAdj = Number(a.trim());
    }
    if (src.has('attr')) {
      const a = readText(`${processDir}/attr/current`, true);
      const m = a === undefined ? undefined : /^[\x20-\x7e]+/.exec(a);
      if (m) p.label = m[0];
    }
    if (src.has('tty') && st.ttyNr !== 0) {
      const name = this.ttys.name(st.ttyNr, pid);
      if (name !== '?') p.tty = name;
    }
    return p;
  }

  private fromStat(pid: number, st: StatFields): ProcessInfo {
    const { hz, pageSize, bootTime } = this.sys;
    return {
      pid,
      tid: st.pid,
      ppid: st.ppid,
      pgid: st.pgrp,
      sid: st.session,
      ttyNr: st.ttyNr,
      tpgid: st.tpgid,
      state: st.state,
      flags: st.flags,
      nice: st.nice,
      priority: st.priority,
      rtPriority: st.rtPriority,
      policy: st.policy,
      processor: st.processor,
      nlwp: st.numThreads,
      vsz: Math.floor(st.vsize / 1024),
      rss: (st.rss * pageSize) / 1024,
      minflt: st.minflt,
      majflt: st.majflt,
      cminflt: st.cminflt,
      cmajflt: st.cmajflt,
      utime: st.utime,
      stime: st.stime,
      cutime: st.cutime,
      cstime: st.cstime,
      startTicks: st.starttime,
      startTime: bootTime + st.starttime / hz,
      rssLimit: st.rsslim,
      startCode: st.startcode,
      endCode: st.endcode,
      startStack: st.startstack,
      kstkEsp: st.kstkesp,
      kstkEip: st.kstkeip,
      comm: st.comm,
      kernelThread: (st.flags & PF_KTHREAD) !== 0,
    };
  }

  private applyStatus(p: ProcessInfo, s: StatusFields): void {
    if (s.uid) {
      p.uid = s.uid.real;
      p.euid = s.uid.effective;
      p.suid = s.uid.saved;
      p.fsuid = s.uid.fs;
      p.user = this.names.user(p.euid);
      p.realUser = this.names.user(p.uid);
      p.savedUser = this.names.user(p.suid);
      p.fsUser = this.names.user(p.fsuid);
    }
    if (s.gid) {
      p.gid = s.gid.real;
      p.egid = s.gid.effective;
      p.sgid = s.gid.saved;
      p.fsgid = s.gid.fs;
      p.group = this.names.group(p.egid);
      p.realGroup = this.names.group(p.gid);
      p.savedGroup = this.names.group(p.sgid);
      p.fsGroup = this.names.group(p.fsgid);
    }
    if (s.groups) {
      p.groups = s.groups;
      if (this.groupNames) p.groupNames = s.groups.map((g) => this.names.group(g) ?? String(g));
    }
    p.locked = s.vmLck ?? 0;
    if (s.vmSize !== undefined) p.vsz = s.vmSize;
    if (s.vmRss !== undefined) p.rss = s.vmRss;
    if (s.vmData !== undefined) p.vmData = s.vmData;
    if (s.vmStk !== undefined) p.vmStk = s.vmStk;
    if (s.signals) p.signals = s.signals;
    if (s.caps) p.caps = s.caps;
  }

  tasksOf(pid: number): ProcessInfo[] {
    const base = `${this.procRoot}/${pid}`;
    const out: ProcessInfo[] = [];
    for (const tid of listPids(`${base}/task`, true)) {
      // procps shows the group leader's line with the whole process's counters
      const t = this.read(pid, tid === pid ? base : `${base}/task/${tid}`, base);
      if (t) out.push(t);
    }
    return out;
  }
}

/** Every process (or, with threads: true, every thread) in one pass over /proc. */
export function processes(opts: SnapshotOptions = {}): ProcessInfo[] {
  return snapshot(opts).procs;
}

/** Like processes(), but also returns the system facts read in the same pass. */
export function snapshot(opts: SnapshotOptions = {}): { sys: SystemInfo; procs: ProcessInfo[] } {
  const r = new Reader(opts);
  const pids = opts.pids ? [...opts.pids] : listPids(r.procRoot);
  const out: ProcessInfo[] = [];
  // indexed: a for-of step in code not yet optimised allocates its iterator result
  for (let i = 0; i < pids.length; i++) {
    const pid = pids[i];
    const dir = `${r.procRoot}/${pid}`;
    if (opts.threads) {
      const tasks = r.tasksOf(pid);
      // A zombie group leader may have no task dir left; show the process itself.
      if (tasks.length === 0) {
        const p = r.read(pid, dir, dir);
        if (p) out.push(p);
      } else out.push(...tasks);
    } else {
      const p = r.read(pid, dir, dir);
      if (p) out.push(p);
    }
  }
  return { sys: r.sys, procs: out };
}

/** One process by id, or undefined when it does not exist (or just exited). */
export function process(pid: number, opts: Omit<SnapshotOptions, 'pids' | 'threads'> = {}): ProcessInfo | undefined {
  return processes({ ...opts, pids: [pid] })[0];
}

/** The threads (tasks) of one process; empty when it does not exist. */
export function threads(pid: number, opts: Omit<SnapshotOptions, 'pids' | 'threads'> = {}): ProcessInfo[] {
  return processes({ ...opts, pids: [pid], threads: true });
}
