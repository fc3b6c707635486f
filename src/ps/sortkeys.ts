/**
 * What --sort compares: procps sorts by the library item behind a
 * specifier, not by the printed text (%cpu sorts by the utilization as a
 * real number, tname by strverscmp of the terminal name, sig* by the hex
 * masks), and a specifier whose item is a no-op leaves the order alone.
 * This table names the item of every specifier and how to compare it.
 */
import { numaNode } from '../proc/numa.js';
import { cgnameOf, commandLine, elapsedTicks, utilization } from './columns.js';
import type { FieldName, ProcessInfo, SystemInfo } from '../proc/types.js';

export type SortValue = number | string;
export interface SortItem {
  needs: FieldName[];
  value(p: ProcessInfo, sys: SystemInfo): SortValue;
  /** strverscmp instead of byte order (terminal names) */
  versions?: boolean;
}

const n = (f: (p: ProcessInfo, sys: SystemInfo) => number | undefined, needs: FieldName[] = []): SortItem => ({ needs, value: (p, s) => f(p, s) ?? 0 });
const s = (f: (p: ProcessInfo) => string | undefined, needs: FieldName[] = []): SortItem => ({ needs, value: (p) => f(p) ?? '' });

/** built on the first sort: a listing in read order (ps aux) does not pay for ~100 closures */
const buildItems = () =>
  ({
    UTILIZATION: n((p, sys) => utilization(p, sys, false)),
    UTILIZATION_C: n((p, sys) => utilization(p, sys, true)),
    VM_RSS: n((p) => p.rss, ['rss']),
    VM_SIZE: n((p) => p.vsz),
    VSIZE_BYTES: n((p) => p.vsz * 1024),
    VM_DATA: n((p) => p.vmData, ['vmData']),
    AUTOGRP_ID: n((p) => p.autogroup?.id ?? -1, ['autogroup']),
    AUTOGRP_NICE: n((p) => p.autogroup?.nice, ['autogroup']),
    CMDLINE: s(commandLine, ['cmdline']),
    CMD: s((p) => p.comm),
    TIME_ALL: n((p, sys) => (p.utime + p.stime) / sys.hz),
    TICS_ALL: n((p) => p.utime + p.stime),
    TICS_BEGAN: n((p) => p.startTicks),
    TIME_ELAPSED: n((p, sys) => elapsedTicks(p, sys) / sys.hz),
    SIGBLOCKED: s((p) => p.signals?.blocked, ['signals']),
    SIGCATCH: s((p) => p.signals?.caught, ['signals']),
    SIGIGNORE: s((p) => p.signals?.ignored, ['signals']),
    SIGNALS: s((p) => p.signals?.shared, ['signals']),
    SIGPENDING: s((p) => p.signals?.pending, ['signals']),
    CGNAME: s(cgnameOf, ['cgroup']),
    CGROUP: s((p) => p.cgroup ?? '-', ['cgroup']),
    NS_CGROUP: n((p) => p.namespaces?.cgroup, ['namespaces']),
    NS_IPC: n((p) => p.namespaces?.ipc, ['namespaces']),
    NS_MNT: n((p) => p.namespaces?.mnt, ['namespaces']),
    NS_NET: n((p) => p.namespaces?.net, ['namespaces']),
    NS_PID: n((p) => p.namespaces?.pid, ['namespaces']),
    NS_TIME: n((p) => p.namespaces?.time, ['namespaces']),
    NS_USER: n((p) => p.namespaces?.user, ['namespaces']),
    NS_UTS: n((p) => p.namespaces?.uts, ['namespaces']),
    SCHED_CLASS: n((p) => p.policy),
    PROCESSOR: n((p) => p.processor),
    PROCESSOR_NODE: n((p) => numaNode(p.processor)),
    ID_TGID: n((p) => p.pid),
    ID_PID: n((p) => p.tid),
    ID_PPID: n((p) => p.ppid),
    ID_PGRP: n((p) => p.pgid),
    ID_SESSION: n((p) => p.sid),
    ID_TPGID: n((p) => p.tpgid),
    ID_EUID: n((p) => p.euid, ['euid']),
    ID_RUID: n((p) => p.uid, ['uid']),
    ID_SUID: n((p) => p.suid, ['suid']),
    ID_FUID: n((p) => p.fsuid, ['fsuid']),
    ID_EGID: n((p) => p.egid, ['egid']),
    ID_RGID: n((p) => p.gid, ['gid']),
    ID_SGID: n((p) => p.sgid, ['sgid']),
    ID_FGID: n((p) => p.fsgid, ['fsgid']),
    ID_EUSER: s((p) => p.user ?? String(p.euid ?? ''), ['user']),
    ID_RUSER: s((p) => p.realUser ?? String(p.uid ?? ''), ['realUser']),
    ID_SUSER: s((p) => p.savedUser ?? String(p.suid ?? ''), ['savedUser']),
    ID_FUSER: s((p) => p.fsUser ?? String(p.fsuid ?? ''), ['fsUser']),
    ID_EGROUP: s((p) => p.group ?? String(p.egid ?? ''), ['group']),
    ID_RGROUP: s((p) => p.realGroup ?? String(p.gid ?? ''), ['realGroup']),
    ID_SGROUP: s((p) => p.savedGroup ?? String(p.sgid ?? ''), ['savedGroup']),
    ID_FGROUP: s((p) => p.fsGroup ?? String(p.fsgid ?? ''), ['fsGroup']),
    ID_LOGIN: n((p) => p.loginUid ?? -1, ['loginUid']),
    FLAGS: n((p) => p.flags),
    FLT_MAJ: n((p) => p.majflt),
    FLT_MIN: n((p) => p.minflt),
    NICE: n((p) => p.nice),
    NLWP: n((p) => p.nlwp),
    PRIORITY: n((p) => p.priority),
    PRIORITY_RT: n((p) => p.rtPriority),
    RSS_RLIM: n((p) => (p.rssLimit === Infinity ? 2 ** 64 : p.rssLimit)),
    OOM_SCORE: n((p) => p.oomScore, ['oomScore']),
    OOM_ADJ: n((p) => p.oomScoreAdj, ['oomScoreAdj']),
    STATE: s((p) => p.state),
    EXE: s((p) => p.exe ?? '-', ['exe']),
    LXCNAME: s((p) => p.lxc ?? '-', ['lxc']),
    TTY_NAME: { needs: ['tty'], value: (p) => p.tty ?? '?', versions: true },
    SUPGIDS: s((p) => (p.groups?.length ? p.groups.join(',') : '-'), ['groups']),
    SUPGROUPS: s((p) => (p.groupNames?.length ? p.groupNames.join(',') : '-'), ['groupNames']),
    WCHAN_NAME: s((p) => p.wchan ?? '-', ['wchan']),
    ADDR_CURR_EIP: n((p) => p.kstkEip),
    ADDR_CURR_ESP: n((p) => p.kstkEsp),
    ADDR_STACK_START: n((p) => p.startStack),
    SMAP_PSS: n((p) => p.pss, ['pss']),
    SMAP_PRV_TOTAL: n((p) => p.uss, ['uss']),
    IO_READ_BYTES: n((p) => p.io?.readBytes, ['io']),
    IO_READ_CHARS: n((p) => p.io?.rchar, ['io']),
    IO_READ_OPS: n((p) => p.io?.syscr, ['io']),
    IO_WRITE_BYTES: n((p) => p.io?.writeBytes, ['io']),
    IO_WRITE_CBYTES: n((p) => p.io?.cancelledWriteBytes, ['io']),
    IO_WRITE_CHARS: n((p) => p.io?.wchar, ['io']),
    IO_WRITE_OPS: n((p) => p.io?.syscw, ['io']),
    SD_MACH: s((p) => p.systemd?.machine ?? '-', ['systemd']),
    SD_OUID: s((p) => (p.systemd?.ownerUid === undefined ? '-' : String(p.systemd.ownerUid)), ['systemd']),
    SD_SEAT: s((p) => p.systemd?.seat ?? '-', ['systemd']),
    SD_SESS: s((p) => p.systemd?.session ?? '-', ['systemd']),
    SD_SLICE: s((p) => p.systemd?.slice ?? '-', ['systemd']),
    SD_UNIT: s((p) => p.systemd?.unit ?? '-', ['systemd']),
    SD_UUNIT: s((p) => p.systemd?.userUnit ?? '-', ['systemd']),
  }) satisfies Record<string, SortItem>;
let items: ReturnType<typeof buildItems> | undefined;

type ItemName = keyof ReturnType<typeof buildItems> | 'noop';

/** procps 4.0.2's format table: each specifier's sort item */
const BY_SPECIFIER: Record<string, ItemName> = {
  '%cpu': 'UTILIZATION',
  '%mem': 'VM_RSS',
  ag_id: 'AUTOGRP_ID',
  ag_nice: 'AUTOGRP_NICE',
  args: 'CMDLINE',
  atime: 'TIME_ALL',
  blocked: 'SIGBLOCKED',
  bsdstart: 'TICS_BEGAN',
  bsdtime: 'TICS_ALL',
  c: 'UTILIZATION',
  caught: 'SIGCATCH',
  cgname: 'CGNAME',
  cgroup: 'CGROUP',
  cgroupns: 'NS_CGROUP',
  class: 'SCHED_CLASS',
  cls: 'SCHED_CLASS',
  cmd: 'CMDLINE',
  comm: 'CMD',
  command: 'CMDLINE',
  context: 'ID_TGID',
  cp: 'UTILIZATION',
  cpuid: 'PROCESSOR',
  cputime: 'TIME_ALL',
  cputimes: 'TIME_ALL',
  cuc: 'UTILIZATION_C',
  cuu: 'UTILIZATION',
  drs: 'VSIZE_BYTES',
  dsiz: 'VSIZE_BYTES',
  egid: 'ID_EGID',
  egroup: 'ID_EGROUP',
  eip: 'ADDR_CURR_EIP',
  esp: 'ADDR_CURR_ESP',
  etime: 'TIME_ELAPSED',
  etimes: 'TIME_ELAPSED',
  euid: 'ID_EUID',
  euser: 'ID_EUSER',
  exe: 'EXE',
  f: 'FLAGS',
  fgid: 'FLAGS',
  fgroup: 'ID_FGROUP',
  flag: 'FLAGS',
  flags: 'FLAGS',
  fname: 'CMD',
  fsgid: 'ID_FGID',
  fsgroup: 'ID_FGROUP',
  fsuid: 'ID_FUID',
  fsuser: 'ID_FUSER',
  fuid: 'ID_FUID',
  fuser: 'ID_FUSER',
  gid: 'ID_EGID',
  group: 'ID_EGROUP',
  ignored: 'SIGIGNORE',
  intpri: 'PRIORITY',
  ipcns: 'NS_IPC',
  label: 'ID_TGID',
  lastcpu: 'PROCESSOR',
  lim: 'RSS_RLIM',
  longtname: 'TTY_NAME',
  lsession: 'SD_SESS',
  lstart: 'TICS_BEGAN',
  luid: 'ID_LOGIN',
  lwp: 'ID_PID',
  lxc: 'LXCNAME',
  m_drs: 'VSIZE_BYTES',
  m_share: 'noop',
  m_size: 'VSIZE_BYTES',
  m_trs: 'VSIZE_BYTES',
  machine: 'SD_MACH',
  maj_flt: 'FLT_MAJ',
  majflt: 'FLT_MAJ',
  min_flt: 'FLT_MIN',
  minflt: 'FLT_MIN',
  mntns: 'NS_MNT',
  netns: 'NS_NET',
  ni: 'NICE',
  nice: 'NICE',
  nlwp: 'NLWP',
  numa: 'PROCESSOR_NODE',
  oom: 'OOM_SCORE',
  oomadj: 'OOM_ADJ',
  opri: 'PRIORITY',
  ouid: 'SD_OUID',
  pagein: 'FLT_MAJ',
  pcpu: 'UTILIZATION',
  pending: 'SIGNALS',
  pgid: 'ID_PGRP',
  pgrp: 'ID_PGRP',
  pid: 'ID_TGID',
  pidns: 'NS_PID',
  pmem: 'VM_RSS',
  policy: 'SCHED_CLASS',
  ppid: 'ID_PPID',
  pri: 'PRIORITY',
  pri_api: 'PRIORITY',
  pri_bar: 'PRIORITY',
  pri_baz: 'PRIORITY',
  pri_foo: 'PRIORITY',
  priority: 'PRIORITY',
  psr: 'PROCESSOR',
  pss: 'SMAP_PSS',
  rbytes: 'IO_READ_BYTES',
  rchars: 'IO_READ_CHARS',
  rgid: 'ID_RGID',
  rgroup: 'ID_RGROUP',
  rops: 'IO_READ_OPS',
  rss: 'VM_RSS',
  rssize: 'VM_RSS',
  rsz: 'VM_RSS',
  rtprio: 'PRIORITY_RT',
  ruid: 'ID_RUID',
  ruser: 'ID_RUSER',
  s: 'STATE',
  sched: 'SCHED_CLASS',
  seat: 'SD_SEAT',
  sess: 'ID_SESSION',
  session: 'ID_SESSION',
  sgi_p: 'STATE',
  sgi_rss: 'VM_RSS',
  sgid: 'ID_SGID',
  sgroup: 'ID_SGROUP',
  sid: 'ID_SESSION',
  sig: 'SIGNALS',
  sig_block: 'SIGBLOCKED',
  sig_catch: 'SIGCATCH',
  sig_ignore: 'SIGIGNORE',
  sig_pend: 'SIGNALS',
  sigcatch: 'SIGCATCH',
  sigignore: 'SIGIGNORE',
  sigmask: 'SIGBLOCKED',
  size: 'VSIZE_BYTES',
  slice: 'SD_SLICE',
  spid: 'ID_PID',
  stackp: 'ADDR_STACK_START',
  start: 'TICS_BEGAN',
  start_stack: 'ADDR_STACK_START',
  start_time: 'TICS_BEGAN',
  stat: 'STATE',
  state: 'STATE',
  stime: 'TICS_BEGAN',
  suid: 'ID_SUID',
  supgid: 'SUPGIDS',
  supgrp: 'SUPGROUPS',
  suser: 'ID_SUSER',
  svgid: 'ID_SGID',
  svgroup: 'ID_SGROUP',
  svuid: 'ID_SUID',
  svuser: 'ID_SUSER',
  sz: 'VM_SIZE',
  tgid: 'ID_TGID',
  thcount: 'NLWP',
  tid: 'ID_PID',
  time: 'TIME_ALL',
  timens: 'NS_TIME',
  times: 'TIME_ALL',
  tname: 'TTY_NAME',
  tpgid: 'ID_TPGID',
  trs: 'VSIZE_BYTES',
  trss: 'VSIZE_BYTES',
  tsig: 'SIGPENDING',
  tsiz: 'VSIZE_BYTES',
  tt: 'TTY_NAME',
  tty: 'TTY_NAME',
  tty4: 'TTY_NAME',
  tty8: 'TTY_NAME',
  ucmd: 'CMD',
  ucomm: 'CMD',
  uid: 'ID_EUID',
  uid_hack: 'ID_EUSER',
  uname: 'ID_EUSER',
  unit: 'SD_UNIT',
  user: 'ID_EUSER',
  userns: 'NS_USER',
  uss: 'SMAP_PRV_TOTAL',
  util: 'UTILIZATION',
  utsns: 'NS_UTS',
  uunit: 'SD_UUNIT',
  vsize: 'VSIZE_BYTES',
  vsz: 'VM_SIZE',
  wbytes: 'IO_WRITE_BYTES',
  wcbytes: 'IO_WRITE_CBYTES',
  wchan: 'WCHAN_NAME',
  wchars: 'IO_WRITE_CHARS',
  wname: 'WCHAN_NAME',
  wops: 'IO_WRITE_OPS',
  zone: 'ID_TGID',
  addr: 'noop',
  addr_1: 'noop',
  alarm: 'noop',
  nwchan: 'noop',
  timeout: 'noop',
  tmout: 'noop',
  m_swap: 'noop',
  m_dt: 'noop',
  vm_lib: 'noop',
};

const NOOP: SortItem = { needs: [], value: () => 0 };

/** The sort item of a specifier; undefined for one procps does not know. */
export function sortItem(spec: string): SortItem | undefined {
  const name = BY_SPECIFIER[spec];
  if (name === undefined) return undefined;
  return name === 'noop' ? NOOP : (items ??= buildItems())[name];
}

/** glibc's strverscmp for the strings ps meets (names with runs of digits): digit runs compare as numbers. */
export function strverscmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    const da = ca >= 48 && ca <= 57;
    const db = cb >= 48 && cb <= 57;
    if (da && db) {
      let ei = i;
      let ej = j;
      while (ei < a.length && a.charCodeAt(ei) >= 48 && a.charCodeAt(ei) <= 57) ei++;
      while (ej < b.length && b.charCodeAt(ej) >= 48 && b.charCodeAt(ej) <= 57) ej++;
      const ra = a.slice(i, ei);
      const rb = b.slice(j, ej);
      // leading zeros make a fractional part in strverscmp; plain numbers compare by length then digits
      if (ra.startsWith('0') || rb.startsWith('0')) {
        if (ra !== rb) return ra < rb ? -1 : 1;
      } else if (ra.length !== rb.length) return ra.length - rb.length;
      else if (ra !== rb) return ra < rb ? -1 : 1;
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  return a.length - i - (b.length - j);
}
