/** The typed records the /proc layer returns. Absent means "could not be read". */
import type { Capabilities, SignalMasks } from './parse/status.js';
import type { IoCounters, Namespace } from './parse/accounting.js';

export type { Capabilities, SignalMasks, IoCounters, Namespace };

/** Where systemd places the process, as libsystemd reads its cgroup path. */
export interface SystemdPlacement {
  /** innermost slice; "-.slice" is the root slice */
  slice: string;
  unit?: string;
  /** the unit inside a user's manager */
  userUnit?: string;
  /** login session id */
  session?: string;
  /** uid owning the user slice */
  ownerUid?: number;
  /** seat of the session, from /run/systemd/sessions */
  seat?: string;
  /** container name, from /run/systemd/machines */
  machine?: string;
}

export interface ProcessInfo {
  /** thread-group id: the process id */
  pid: number;
  /** task id: equals pid for the main thread and for process records */
  tid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** kernel device number of the controlling terminal; 0 for none */
  ttyNr: number;
  /** terminal name as ps shows it ("pts/0"); undefined when there is none */
  tty?: string;
  /** foreground process group of the terminal; -1 when there is no terminal */
  tpgid: number;
  /** one-letter state: R S D Z T t X I P */
  state: string;
  /** kernel PF_* flags */
  flags: number;
  uid?: number;
  euid?: number;
  suid?: number;
  fsuid?: number;
  gid?: number;
  egid?: number;
  sgid?: number;
  fsgid?: number;
  /** supplementary groups */
  groups?: number[];
  /** their names (the number where a group has none) */
  groupNames?: string[];
  /** effective user name, or undefined when the uid has no name */
  user?: string;
  realUser?: string;
  savedUser?: string;
  fsUser?: string;
  group?: string;
  realGroup?: string;
  savedGroup?: string;
  fsGroup?: string;
  nice: number;
  /** kernel priority as in stat (prio - 100) */
  priority: number;
  rtPriority: number;
  /** scheduling policy: 0 OTHER, 1 FIFO, 2 RR, 3 BATCH, 5 IDLE, 6 DEADLINE */
  policy: number;
  /** CPU last run on */
  processor: number;
  /** number of threads */
  nlwp: number;
  /** virtual size, KiB */
  vsz: number;
  /** resident set, KiB */
  rss: number;
  /** shared resident pages (file + shmem), KiB */
  shared?: number;
  /** locked memory, KiB */
  locked?: number;
  /** VmData and VmStk of status, KiB (ps's SIZE is their sum) */
  vmData?: number;
  vmStk?: number;
  minflt: number;
  majflt: number;
  cminflt: number;
  cmajflt: number;
  /** clock ticks (see SystemInfo.hz) */
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  /** start in clock ticks after boot */
  startTicks: number;
  /** start in seconds since the epoch */
  startTime: number;
  /** RSS soft limit, bytes (Infinity when unlimited) */
  rssLimit: number;
  startCode: number;
  endCode: number;
  startStack: number;
  kstkEsp: number;
  kstkEip: number;
  /** kernel function the task sleeps in; "-" when running */
  wchan?: string;
  /** accounting name from stat (at most 15 bytes) */
  comm: string;
  /** argument vector; empty for kernel threads and zombies */
  cmdline?: string[];
  exe?: string;
  cwd?: string;
  environ?: string[];
  /** the non-root lines of /proc/PID/cgroup joined by ',' (procps's CGROUP) */
  cgroup?: string;
  systemd?: SystemdPlacement;
  /** lxc container name */
  lxc?: string;
  io?: IoCounters;
  /** proportional and unique set sizes from smaps_rollup, KiB */
  pss?: number;
  uss?: number;
  /** namespace inode numbers (the ns/ links); absent where the link is not readable */
  namespaces?: Partial<Record<Namespace, number>>;
  /** scheduler autogroup (CONFIG_SCHED_AUTOGROUP) */
  autogroup?: { id: number; nice: number };
  /** audit login uid; absent when unset */
  loginUid?: number;
  /** per kind of kernel object (kcmp): the lowest TID of the tasks sharing it with this one; absent where kcmp may not look */
  sharing?: Partial<Record<'vm' | 'files' | 'fs' | 'sighand' | 'io' | 'sysvsem', number>>;
  oomScore?: number;
  oomScoreAdj?: number;
  caps?: Partial<Capabilities>;
  /** security label from /proc/PID/attr/current (SELinux/AppArmor) */
  label?: string;
  signals?: Partial<SignalMasks>;
  /** true for kernel threads (PF_KTHREAD) */
  kernelThread: boolean;
}

export type FieldName = keyof ProcessInfo;

export interface SystemInfo {
  /** clock ticks per second (USER_HZ) */
  hz: number;
  pageSize: number;
  /** seconds since the epoch */
  bootTime: number;
  /** seconds since boot, at the moment of the snapshot */
  uptime: number;
  /** KiB */
  memTotal: number;
  pidMax: number;
}
