/**
 * The column table: one entry per ps format specifier with procps-ng's
 * header, default width, justification and value. Every output format (-f,
 * -l, u, -o ...) is a list of these, so one table drives all of them.
 */
import type { FieldName, IoCounters, Namespace, ProcessInfo, SystemdPlacement, SystemInfo } from '../proc/types.js';
import { bsdStart as bsdStartRaw, bsdTime, cpuTime, ctime as ctimeRaw, elapsed, memoByStart, started as startedRaw, stime as stimeRaw } from './times.js';
import { cellsOf, escapeText, type Charset } from './text.js';
import { numaNode } from '../proc/numa.js';
import { kernelRole } from './kernel.js';

/** L left, R right, U user name (left unless numeric), W wchan, X unlimited text, S signal mask */
export type Just = 'L' | 'R' | 'U' | 'W' | 'X' | 'S';

export interface RenderContext {
  sys: SystemInfo;
  /** seconds since the epoch when the listing started */
  now: number;
  charset: Charset;
  /** cells this value may take (procps max_rightward) */
  maxRight: number;
  /** forest art to put in front of command columns */
  forestPrefix: string;
  /** characters per level of that art (4, or 2 for -H): procps draws whole levels only */
  forestUnit?: number;
  /** BSD c: args shows the command name only */
  bsdC: boolean;
  /** BSD e: show the environment after the command */
  bsdE: boolean;
  /** BSD S: add the times of dead children */
  cumulative: boolean;
  /** BSD n: users and wchan as numbers */
  numeric: boolean;
  wideSignals: boolean;
  /**
   * procps's lines_to_next_header as the row is printed: 1 before the
   * first row, reset to the header gap (-1 without repeated headers) when a
   * header is printed, one less for every row. The _left.._unlimited2 test
   * columns print a value picked by it.
   */
  headerCountdown?: number;
}

export interface Column {
  name: string;
  head: string;
  width: number;
  just: Just;
  /** width grows to the digits of pid_max */
  pidmax?: boolean;
  /** ProcessInfo fields the value needs beyond /proc/PID/stat */
  needs: FieldName[];
  print(p: ProcessInfo, c: RenderContext): string;
  /** sort key; columns without one sort by their printed text */
  key?(p: ProcessInfo, c: RenderContext): number | string;
  /** cells the value claims when that differs from what it prints (procps's fname) */
  claims?(text: string, c: RenderContext): number;
}

const stime = memoByStart(stimeRaw);
const started = memoByStart(startedRaw);
const bsdStart = memoByStart(bsdStartRaw);
const ctime = memoByStart((start) => ctimeRaw(start));

const num = (n: number | undefined): string => (n === undefined ? '-' : String(n));
const dash = (): string => '-';

/** procps's test columns: what each prints, picked by the row's header countdown as an unsigned int */
const TEST_VALUES: Record<string, readonly string[]> = {
  _left: ['tty7', 'pts/9999', 'iseries/vtty42', 'ttySMX0', '3270/tty4'],
  _left2: ['tty7', 'pts/9999', 'ttySMX0', '3270/tty4'],
  _right: ['999-23:59:59', '99-23:59:59', '9-23:59:59', '59:59'],
  _right2: ['999-23:59:59', '99-23:59:59', '9-23:59:59'],
  _unlimited: ['[123456789-12345] <defunct>', 'ps', '123456789-123456'],
  _unlimited2: ['unlimited', '[123456789-12345] <defunct>', 'ps', '123456789-123456'],
};
const testColumn =
  (name: string) =>
  (_p: ProcessInfo, c: RenderContext): string => {
    const vals = TEST_VALUES[name];
    const v = vals[((c.headerCountdown ?? -1) >>> 0) % vals.length];
    // the unlimited ones are cut to the room left, like any command-like column
    return name.startsWith('_unlimited') ? v.slice(0, c.maxRight) : v;
  };

/** TIME and its kin count the process's own CPU time, even under S (procps 4's TIME_ALL) */
const ownTicks = (p: ProcessInfo): number => p.utime + p.stime;

function ticks(p: ProcessInfo, c: RenderContext): number {
  return c.cumulative ? p.utime + p.stime + p.cutime + p.cstime : p.utime + p.stime;
}
/**
 * Ticks since the process started as procps counts them: the uptime in
 * whole ticks (procps truncates uptime * Hertz) less the start.
 */
export function elapsedTicks(p: ProcessInfo, sys: SystemInfo): number {
  return Math.max(0, Math.floor(sys.uptime * sys.hz) - p.startTicks);
}
/** seconds since the process started, truncated like procps's TIME_ELAPSED */
export function elapsedSeconds(p: ProcessInfo, sys: SystemInfo): number {
  return Math.floor(elapsedTicks(p, sys) / sys.hz);
}
const startEpoch = (p: ProcessInfo, sys: SystemInfo): number => sys.bootTime + Math.floor(p.startTicks / sys.hz);

/** the code segment (stat's startcode..endcode), KiB, rounded down */
const textKiB = (p: ProcessInfo): number => Math.floor(Math.max(0, p.endCode - p.startCode) / 1024);
/** the address space less the code, KiB */
const dataKiB = (p: ProcessInfo): number => Math.floor(Math.max(0, p.vsz * 1024 - Math.max(0, p.endCode - p.startCode)) / 1024);
/** SIZE: what swap would need if every writable page were dirtied, VmData + VmStk */
const swapSize = (p: ProcessInfo): number => (p.vmData ?? 0) + (p.vmStk ?? 0);

/** %CPU: permille shown with one decimal below 100%, whole percents above (procps). */
function cpuPercent(p: ProcessInfo, c: RenderContext): string {
  const v = pcpuPermille(p, c);
  return v > 999 ? String(Math.floor(v / 10)) : `${Math.floor(v / 10)}.${v % 10}`;
}

/** %MEM: resident set over MemTotal, in tenths, capped at 99.9 as procps does. */
function memPercent(p: ProcessInfo, c: RenderContext): string {
  const v = Math.min(999, c.sys.memTotal ? Math.floor((p.rss * 1000) / c.sys.memTotal) : 0);
  return `${String(Math.floor(v / 10)).padStart(2)}.${v % 10}`;
}

/** CPU time over lifetime in permille, in procps's integer arithmetic (the lifetime goes through seconds and back). */
function pcpuPermille(p: ProcessInfo, c: RenderContext): number {
  const jiffies = Math.trunc((elapsedTicks(p, c.sys) / c.sys.hz) * c.sys.hz);
  return jiffies ? Math.floor((ticks(p, c) * 1000) / jiffies) : 0;
}

/**
 * procps's UTILIZATION (c, util, %CUU, %CUC): the ticks scaled in single
 * precision (its 100.0f) over the lifetime in ticks.
 */
export function utilization(p: ProcessInfo, sys: SystemInfo, withChildren: boolean): number {
  const t = elapsedTicks(p, sys);
  const used = p.utime + p.stime + (withChildren ? p.cutime + p.cstime : 0);
  return t > 0 ? Math.fround(Math.fround(used) * 100) / t : 0;
}
/** %CUU / %CUC: three decimals, capped just under 100 */
function utilizationText(p: ProcessInfo, sys: SystemInfo, withChildren: boolean): string {
  const u = utilization(p, sys, withChildren);
  return (u > 99 ? 99.999 : u).toFixed(3);
}

function name(n: string | undefined, id: number | undefined, c: RenderContext): string {
  if (id === undefined) return '-';
  if (c.numeric) return String(id);
  // an id without a name is shown, and cut, as its number in text
  const e = escapeText(n ?? String(id), 1 << 17, c.charset);
  if (e.cells <= c.maxRight) return e.text;
  // procps cuts at a byte and marks the cut with '+', unless that byte is part of a multi-byte character
  const b = Buffer.from(e.text);
  if (c.maxRight >= 1 && b[c.maxRight - 1] < 127) return `${b.subarray(0, c.maxRight - 1).toString()}+`;
  return String(id);
}

/** the command line as the library keeps it: argv joined, or "[comm]" (and " <defunct>") without one */
export function commandLine(p: ProcessInfo): string {
  return p.cmdline?.length ? p.cmdline.join(' ') : bracketed(p);
}

/** the kernel-thread / zombie form: "[comm]" and " <defunct>" */
function bracketed(p: ProcessInfo): string {
  return `[${p.comm}]${p.state === 'Z' ? ' <defunct>' : ''}`;
}

function commandText(p: ProcessInfo, c: RenderContext, full: boolean): string {
  let room = c.maxRight;
  let out = '';
  if (c.forestPrefix) {
    const f = wholeLevels(c.forestPrefix, room, c.forestUnit);
    out += f;
    room -= f.length;
  }
  let src: string;
  if (full) src = p.cmdline?.length ? p.cmdline.join(' ').replace(/\n/g, ' ') : bracketed(p);
  else src = p.comm;
  const e = escapeText(src, room, c.charset);
  out += e.text;
  room -= e.cells;
  if (c.bsdE && room > 1 && p.environ?.length) {
    out += ` ${escapeText(p.environ.join(' '), room - 1, c.charset).text}`;
  }
  return out;
}

const args = (p: ProcessInfo, c: RenderContext): string => commandText(p, c, !c.bsdC);

/** FNAME: the forest art, then at most 8 cells of the command name */
/** as many whole levels of forest art as fit in room */
function wholeLevels(art: string, room: number, unit = 4): string {
  return art.slice(0, Math.max(0, Math.floor(Math.min(room, art.length) / unit) * unit));
}

function fname(p: ProcessInfo, c: RenderContext): string {
  const art = wholeLevels(c.forestPrefix, c.maxRight, c.forestUnit);
  return art + escapeText(p.comm, Math.min(8, c.maxRight - art.length), c.charset).text;
}
/** procps caps the room at 8 before printing and reports the room it had as used: the column claims more than it prints */
function fnameClaims(text: string, c: RenderContext): number {
  const art = wholeLevels(c.forestPrefix, c.maxRight, c.forestUnit).length;
  const room = c.maxRight - art;
  const printed = cellsOf(text) - art;
  return room > 8 ? c.maxRight - (8 - printed) : art + printed;
}
const comm = (p: ProcessInfo, c: RenderContext): string => commandText(p, c, false);

function tty(p: ProcessInfo): string {
  return p.tty ?? '?';
}

function stat(p: ProcessInfo): string {
  let s = p.state;
  if (p.nice < 0) s += '<';
  if (p.nice > 0) s += 'N';
  if (p.locked) s += 'L';
  if (p.sid === p.pid) s += 's';
  if (p.nlwp > 1) s += 'l';
  if (p.pgid === p.tpgid) s += '+';
  return s;
}

const CLASSES = ['TS', 'FF', 'RR', 'B', 'ISO', 'IDL', 'DLN', '#7', '#8', '#9'];

function sig(mask: string | undefined, c: RenderContext): string {
  if (mask === undefined) return '-';
  const hex = mask.padStart(16, '0').slice(-16);
  if (c.wideSignals) return hex;
  return /[^0]/.test(hex.slice(0, 8)) ? `<${hex.slice(8)}` : hex.slice(8);
}

function wchan(p: ProcessInfo, c: RenderContext): string {
  const w = p.wchan ?? '-';
  return w.length > c.maxRight ? w.slice(0, Math.max(0, c.maxRight)) : w;
}

const hex = (n: number): string => n.toString(16).padStart(16, '0');

/** C: whole percent of CPU over the lifetime, at most 99 */
const schedC = (p: ProcessInfo, c: RenderContext): string => String(Math.min(99, Math.floor(utilization(p, c.sys, c.cumulative)))).padStart(2);

/** a namespace's inode, '-' where the link could not be read */
const ns = (n: Namespace) => (p: ProcessInfo) => num(p.namespaces?.[n]);

/** procps's TTY_NUMBER: the terminal name less "tty" and "pts/" */
function ttyNumber(p: ProcessInfo): string {
  let t = p.tty ?? '?';
  if (t.startsWith('tty') && t.length > 3) t = t.slice(3);
  if (t.startsWith('pts/') && t.length > 4) t = t.slice(4);
  return t;
}

/** CGNAME: the cgroup list from its name= hierarchy on */
/** CGNAME's text: the cgroup list from its name= hierarchy on */
export function cgnameOf(p: ProcessInfo): string {
  const g = p.cgroup ?? '-';
  const at = g.indexOf(':name=');
  return at >= 0 && at + 6 < g.length ? g.slice(at + 6) : g;
}

function cgname(p: ProcessInfo, c: RenderContext): string {
  return escapeText(cgnameOf(p), c.maxRight, c.charset).text;
}

const io = (k: keyof IoCounters) => (p: ProcessInfo) => String(p.io?.[k] ?? 0);
const ioKey = (k: keyof IoCounters) => (p: ProcessInfo) => p.io?.[k] ?? 0;
const sd = (f: (s: SystemdPlacement) => string | number | undefined) => (p: ProcessInfo) => {
  const v = p.systemd ? f(p.systemd) : undefined;
  return v === undefined ? '-' : String(v);
};

type Def = [string, string, number, Just, FieldName[], Column['print'], Column['key']?, boolean?];

const pidKey = (f: (p: ProcessInfo) => number) => (p: ProcessInfo) => f(p);

const DEFS: Def[] = [
  // procps 4.0.2's test columns and the specifiers Linux has no value for: accepted, printed as '-'
  ['_left', 'LLLLLLLL', 8, 'L', [], testColumn('_left')],
  ['_left2', 'L2L2L2L2', 8, 'L', [], testColumn('_left2')],
  ['_right', 'RRRRRRRRRRR', 11, 'R', [], testColumn('_right')],
  ['_right2', 'R2R2R2R2R2R', 11, 'R', [], testColumn('_right2')],
  ['_unlimited', 'U', 16, 'X', [], testColumn('_unlimited')],
  ['_unlimited2', 'U2', 16, 'X', [], testColumn('_unlimited2')],
  ['acflag', 'ACFLG', 5, 'R', [], dash],
  ['acflg', 'ACFLG', 5, 'R', [], dash],
  ['argc', 'ARGC', 4, 'R', [], dash],
  ['bnd', 'BND', 1, 'R', [], dash],
  ['cmaj_flt', '-', 1, 'R', [], dash],
  ['cmin_flt', '-', 1, 'R', [], dash],
  ['cnswap', '-', 1, 'R', [], dash],
  ['cpu', 'CPU', 3, 'R', [], dash],
  ['ctid', 'CTID', 5, 'R', [], dash],
  ['cursig', 'CURSIG', 6, 'R', [], dash],
  ['cutime', '-', 1, 'R', [], dash],
  ['cwd', 'CWD', 3, 'L', [], dash],
  ['emul', 'EMUL', 13, 'L', [], dash],
  ['end_code', 'E_CODE', 16, 'R', [], dash],
  ['environ', 'ENVIRONMENT', 11, 'X', [], dash],
  ['inblk', 'INBLK', 5, 'R', [], dash],
  ['inblock', 'INBLK', 5, 'R', [], dash],
  ['jid', 'JID', 1, 'R', [], dash],
  ['jobc', 'JOBC', 4, 'R', [], dash],
  ['ktrace', 'KTRACE', 8, 'R', [], dash],
  ['ktracep', 'KTRACEP', 8, 'R', [], dash],
  ['login', 'LOGNAME', 8, 'L', [], dash],
  ['logname', 'LOGNAME', 8, 'L', [], dash],
  ['luser', 'LUSER', 8, 'U', [], dash],
  ['m_lrs', 'LRS', 5, 'R', [], dash],
  ['m_resident', 'RES', 5, 'R', [], dash],
  ['msgrcv', 'MSGRCV', 6, 'R', [], dash],
  ['msgsnd', 'MSGSND', 6, 'R', [], dash],
  ['mwchan', 'MWCHAN', 6, 'W', [], dash],
  ['nivcsw', 'IVCSW', 5, 'R', [], dash],
  ['nsignals', 'NSIGS', 5, 'R', [], dash],
  ['nsigs', 'NSIGS', 5, 'R', [], dash],
  ['nswap', 'NSWAP', 5, 'R', [], dash],
  ['nvcsw', 'VCSW', 5, 'R', [], dash],
  ['osz', 'SZ', 2, 'R', [], dash],
  ['oublk', 'OUBLK', 5, 'R', [], dash],
  ['oublock', 'OUBLK', 5, 'R', [], dash],
  ['p_ru', 'P_RU', 6, 'R', [], dash],
  ['paddr', 'PADDR', 6, 'R', [], dash],
  ['poip', '-', 1, 'R', [], dash],
  ['prmgrp', 'PRMGRP', 12, 'R', [], dash],
  ['prmid', 'PRMID', 12, 'R', [], dash],
  ['project', 'PROJECT', 12, 'L', [], dash],
  ['projid', 'PROJID', 5, 'R', [], dash],
  ['pset', 'PSET', 4, 'R', [], dash],
  ['psxpri', 'PPR', 3, 'R', [], dash],
  ['re', 'RE', 3, 'R', [], dash],
  ['resident', 'RES', 5, 'R', [], dash],
  ['rlink', 'RLINK', 8, 'R', [], dash],
  ['scnt', 'SCNT', 4, 'R', [], dash],
  ['scount', 'SC', 4, 'R', [], dash],
  ['share', '-', 1, 'R', [], dash],
  ['sl', 'SL', 3, 'R', [], dash],
  ['start_code', 'S_CODE', 16, 'R', [], dash],
  ['status', 'STATUS', 6, 'R', [], dash],
  ['systime', 'SYSTEM', 6, 'R', [], dash],
  ['taskid', 'TASKID', 5, 'R', [], dash, undefined, true],
  ['tdev', 'TDEV', 4, 'R', [], dash],
  ['tsess', 'TSESS', 5, 'R', [], dash, undefined, true],
  ['tsession', 'TSESS', 5, 'R', [], dash, undefined, true],
  ['tsid', 'TSID', 5, 'R', [], dash, undefined, true],
  ['u_procp', 'UPROCP', 6, 'R', [], dash],
  ['umask', 'UMASK', 5, 'R', [], dash],
  ['upr', 'UPR', 3, 'R', [], dash],
  ['uprocp', 'UPROCP', 8, 'R', [], dash],
  ['usertime', 'USER', 4, 'R', [], dash],
  ['usrpri', 'UPR', 3, 'R', [], dash],
  ['utime', 'UTIME', 6, 'R', [], dash],
  ['vm_data', 'DATA', 5, 'R', [], dash],
  ['vm_exe', 'EXE', 5, 'R', [], dash],
  ['vm_lock', 'LCK', 3, 'R', [], dash],
  ['vm_stack', 'STACK', 5, 'R', [], dash],
  ['xstat', 'XSTAT', 5, 'R', [], dash],
  ['zoneid', 'ZONEID', 31, 'R', [], dash],
  ['~', '-', 1, 'R', [], dash],
  ['%cpu', '%CPU', 4, 'R', [], cpuPercent, pcpuPermille],
  ['%mem', '%MEM', 4, 'R', ['rss'], memPercent, (p) => p.rss],
  ['addr', 'ADDR', 4, 'R', [], dash],
  ['addr_1', 'ADDR', 1, 'L', [], dash],
  ['args', 'COMMAND', 27, 'X', ['cmdline'], args, (p) => p.cmdline?.join(' ') ?? p.comm],
  ['blocked', 'BLOCKED', 9, 'S', ['signals'], (p, c) => sig(p.signals?.blocked, c)],
  ['bsdstart', 'START', 6, 'R', [], (p, c) => bsdStart(startEpoch(p, c.sys), c.now), (p) => p.startTicks],
  ['bsdtime', 'TIME', 6, 'R', [], (p, c) => bsdTime(Math.floor(ticks(p, c) / c.sys.hz)), ticks],
  ['c', 'C', 2, 'R', [], (p, c) => schedC(p, c), pcpuPermille],
  ['caught', 'CAUGHT', 9, 'S', ['signals'], (p, c) => sig(p.signals?.caught, c)],
  ['cgroup', 'CGROUP', 27, 'X', ['cgroup'], (p, c) => escapeText(p.cgroup ?? '-', c.maxRight, c.charset).text],
  ['class', 'CLS', 3, 'L', [], (p) => CLASSES[p.policy] ?? '?', (p) => p.policy],
  ['cls', 'CLS', 3, 'R', [], (p) => CLASSES[p.policy] ?? '?', (p) => p.policy],
  ['cmd', 'CMD', 27, 'X', ['cmdline'], args, (p) => p.cmdline?.join(' ') ?? p.comm],
  ['comm', 'COMMAND', 15, 'X', [], comm, (p) => p.comm],
  ['command', 'COMMAND', 27, 'X', ['cmdline'], args, (p) => p.cmdline?.join(' ') ?? p.comm],
  ['cp', 'CP', 3, 'R', [], (p, c) => String(Math.min(999, pcpuPermille(p, c))).padStart(3), pcpuPermille],
  ['cputime', 'TIME', 8, 'R', [], (p, c) => cpuTime(Math.floor(ownTicks(p) / c.sys.hz)), ownTicks],
  ['cputimes', 'TIME', 8, 'R', [], (p, c) => String(Math.floor(ownTicks(p) / c.sys.hz)), ownTicks],
  ['egid', 'EGID', 5, 'R', ['egid'], (p) => num(p.egid), (p) => p.egid ?? -1],
  ['egroup', 'EGROUP', 8, 'U', ['group'], (p, c) => name(p.group, p.egid, c)],
  ['eip', 'EIP', 16, 'R', [], (p) => hex(p.kstkEip)],
  ['esp', 'ESP', 16, 'R', [], (p) => hex(p.kstkEsp)],
  ['etime', 'ELAPSED', 11, 'R', [], (p, c) => elapsed(elapsedSeconds(p, c.sys)), (p) => -p.startTicks],
  ['etimes', 'ELAPSED', 7, 'R', [], (p, c) => String(elapsedSeconds(p, c.sys)), (p) => -p.startTicks],
  ['euid', 'EUID', 5, 'R', ['euid'], (p) => num(p.euid), (p) => p.euid ?? -1],
  ['euser', 'EUSER', 8, 'U', ['user'], (p, c) => name(p.user, p.euid, c)],
  ['exe', 'EXE', 27, 'X', ['exe'], (p, c) => escapeText(p.exe ?? '-', c.maxRight, c.charset).text],
  ['f', 'F', 1, 'R', [], (p) => ((p.flags >>> 6) & 7).toString(8), (p) => p.flags],
  ['fgid', 'FGID', 5, 'R', ['fsgid'], (p) => num(p.fsgid)],
  ['fgroup', 'FGROUP', 8, 'U', ['fsGroup'], (p, c) => name(p.fsGroup, p.fsgid, c)],
  ['flag', 'F', 1, 'R', [], (p) => ((p.flags >>> 6) & 7).toString(8), (p) => p.flags],
  ['flags', 'F', 1, 'R', [], (p) => ((p.flags >>> 6) & 7).toString(8), (p) => p.flags],
  ['fname', 'COMMAND', 8, 'L', [], fname, (p) => p.comm],
  ['fsgid', 'FSGID', 5, 'R', ['fsgid'], (p) => num(p.fsgid)],
  ['fsgroup', 'FSGROUP', 8, 'U', ['fsGroup'], (p, c) => name(p.fsGroup, p.fsgid, c)],
  ['fsuid', 'FSUID', 5, 'R', ['fsuid'], (p) => num(p.fsuid)],
  ['fsuser', 'FSUSER', 8, 'U', ['fsUser'], (p, c) => name(p.fsUser, p.fsuid, c)],
  ['fuid', 'FUID', 5, 'R', ['fsuid'], (p) => num(p.fsuid)],
  ['fuser', 'FUSER', 8, 'U', ['fsUser'], (p, c) => name(p.fsUser, p.fsuid, c)],
  ['gid', 'GID', 5, 'R', ['egid'], (p) => num(p.egid), (p) => p.egid ?? -1],
  ['group', 'GROUP', 8, 'U', ['group'], (p, c) => name(p.group, p.egid, c)],
  ['ignored', 'IGNORED', 9, 'S', ['signals'], (p, c) => sig(p.signals?.ignored, c)],
  ['intpri', 'PRI', 3, 'R', [], (p) => String(60 + p.priority), (p) => p.priority],
  ['label', 'LABEL', 31, 'L', ['label'], (p) => p.label ?? '-'],
  ['lstart', 'STARTED', 24, 'R', [], (p, c) => ctime(startEpoch(p, c.sys), c.now), (p) => p.startTicks],
  ['lwp', 'LWP', 5, 'R', [], (p) => String(p.tid), (p) => p.tid, true],
  ['maj_flt', 'MAJFL', 6, 'R', [], (p, c) => String(p.majflt + (c.cumulative ? p.cmajflt : 0)), (p) => p.majflt],
  ['majflt', 'MAJFLT', 6, 'R', [], (p, c) => String(p.majflt + (c.cumulative ? p.cmajflt : 0)), (p) => p.majflt],
  ['min_flt', 'MINFL', 6, 'R', [], (p, c) => String(p.minflt + (c.cumulative ? p.cminflt : 0)), (p) => p.minflt],
  ['minflt', 'MINFLT', 6, 'R', [], (p, c) => String(p.minflt + (c.cumulative ? p.cminflt : 0)), (p) => p.minflt],
  ['m_drs', 'DRS', 5, 'R', [], (p) => String(p.vsz ? Math.floor(p.vsz - (p.endCode - p.startCode) / 1024) : 0)],
  ['m_trs', 'TRS', 5, 'R', [], (p) => String(p.vsz ? Math.floor((p.endCode - p.startCode) / 1024) : 0)],
  ['ni', 'NI', 3, 'R', [], (p) => (p.policy === 0 || p.policy === 3 ? String(p.nice) : '-'), (p) => p.nice],
  ['nice', 'NI', 3, 'R', [], (p) => (p.policy === 0 || p.policy === 3 ? String(p.nice) : '-'), (p) => p.nice],
  ['nlwp', 'NLWP', 4, 'R', [], (p) => String(p.nlwp), (p) => p.nlwp],
  ['nwchan', 'WCHAN', 6, 'R', [], dash],
  ['opri', 'PRI', 3, 'R', [], (p) => String(60 + p.priority), (p) => p.priority],
  ['pcpu', '%CPU', 4, 'R', [], cpuPercent, pcpuPermille],
  ['pending', 'PENDING', 9, 'S', ['signals'], (p, c) => sig(p.signals?.shared, c)],
  ['pgid', 'PGID', 5, 'R', [], (p) => String(p.pgid), pidKey((p) => p.pgid), true],
  ['pgrp', 'PGRP', 5, 'R', [], (p) => String(p.pgid), pidKey((p) => p.pgid), true],
  ['pid', 'PID', 5, 'R', [], (p) => String(p.pid), pidKey((p) => p.pid), true],
  ['pmem', '%MEM', 4, 'R', ['rss'], memPercent, (p) => p.rss],
  ['policy', 'POL', 3, 'L', [], (p) => CLASSES[p.policy] ?? '?', (p) => p.policy],
  ['ppid', 'PPID', 5, 'R', [], (p) => String(p.ppid), pidKey((p) => p.ppid), true],
  ['pri', 'PRI', 3, 'R', [], (p) => String(39 - p.priority), (p) => -p.priority],
  ['priority', 'PRI', 3, 'R', [], (p) => String(p.priority), (p) => p.priority],
  ['psr', 'PSR', 3, 'R', [], (p) => String(p.processor), (p) => p.processor],
  ['rgid', 'RGID', 5, 'R', ['gid'], (p) => num(p.gid)],
  ['rgroup', 'RGROUP', 8, 'U', ['realGroup'], (p, c) => name(p.realGroup, p.gid, c)],
  ['rss', 'RSS', 5, 'R', ['rss'], (p) => String(p.rss), (p) => p.rss],
  ['rssize', 'RSS', 5, 'R', ['rss'], (p) => String(p.rss), (p) => p.rss],
  ['rsz', 'RSZ', 5, 'R', ['rss'], (p) => String(p.rss), (p) => p.rss],
  ['rtprio', 'RTPRIO', 6, 'R', [], (p) => (p.policy === 0 ? '-' : String(p.rtPriority)), (p) => p.rtPriority],
  ['ruid', 'RUID', 5, 'R', ['uid'], (p) => num(p.uid), (p) => p.uid ?? -1],
  ['ruser', 'RUSER', 8, 'U', ['realUser'], (p, c) => name(p.realUser, p.uid, c)],
  ['s', 'S', 1, 'L', [], (p) => p.state, (p) => p.state],
  ['sched', 'SCH', 3, 'R', [], (p) => String(p.policy), (p) => p.policy],
  ['sess', 'SESS', 5, 'R', [], (p) => String(p.sid), pidKey((p) => p.sid), true],
  ['session', 'SESS', 5, 'R', [], (p) => String(p.sid), pidKey((p) => p.sid), true],
  ['sgid', 'SGID', 5, 'R', ['sgid'], (p) => num(p.sgid)],
  ['sgroup', 'SGROUP', 8, 'U', ['savedGroup'], (p, c) => name(p.savedGroup, p.sgid, c)],
  ['sid', 'SID', 5, 'R', [], (p) => String(p.sid), pidKey((p) => p.sid), true],
  ['sig', 'PENDING', 9, 'S', ['signals'], (p, c) => sig(p.signals?.shared, c)],
  ['sig_block', 'BLOCKED', 9, 'S', ['signals'], (p, c) => sig(p.signals?.blocked, c)],
  ['sig_catch', 'CATCHED', 9, 'S', ['signals'], (p, c) => sig(p.signals?.caught, c)],
  ['sig_ignore', 'IGNORED', 9, 'S', ['signals'], (p, c) => sig(p.signals?.ignored, c)],
  ['sig_pend', 'SIGNAL', 9, 'S', ['signals'], (p, c) => sig(p.signals?.shared, c)],
  ['sigcatch', 'CAUGHT', 9, 'S', ['signals'], (p, c) => sig(p.signals?.caught, c)],
  ['sigignore', 'IGNORED', 9, 'S', ['signals'], (p, c) => sig(p.signals?.ignored, c)],
  ['sigmask', 'BLOCKED', 9, 'S', ['signals'], (p, c) => sig(p.signals?.blocked, c)],
  ['spid', 'SPID', 5, 'R', [], (p) => String(p.tid), (p) => p.tid, true],
  ['stackp', 'STACKP', 16, 'R', [], (p) => hex(p.startStack)],
  ['start', 'STARTED', 8, 'R', [], (p, c) => started(startEpoch(p, c.sys), c.now), (p) => p.startTicks],
  ['start_stack', 'STACKP', 16, 'R', [], (p) => hex(p.startStack)],
  ['start_time', 'START', 5, 'R', [], (p, c) => stime(startEpoch(p, c.sys), c.now), (p) => p.startTicks],
  ['stat', 'STAT', 4, 'L', ['locked'], stat, (p) => p.state],
  ['state', 'S', 1, 'L', [], (p) => p.state, (p) => p.state],
  ['stime', 'STIME', 5, 'R', [], (p, c) => stime(startEpoch(p, c.sys), c.now), (p) => p.startTicks],
  ['suid', 'SUID', 5, 'R', ['suid'], (p) => num(p.suid)],
  ['supgid', 'SUPGID', 20, 'X', ['groups'], (p, c) => escapeText(p.groups?.length ? p.groups.join(',') : '-', c.maxRight, c.charset).text],
  ['suser', 'SUSER', 8, 'U', ['savedUser'], (p, c) => name(p.savedUser, p.suid, c)],
  ['svgid', 'SVGID', 5, 'R', ['sgid'], (p) => num(p.sgid)],
  ['svuid', 'SVUID', 5, 'R', ['suid'], (p) => num(p.suid)],
  ['sz', 'SZ', 5, 'R', [], (p, c) => String(Math.floor(p.vsz / (c.sys.pageSize / 1024))), (p) => p.vsz],
  ['tgid', 'TGID', 5, 'R', [], (p) => String(p.pid), pidKey((p) => p.pid), true],
  ['thcount', 'THCNT', 5, 'R', [], (p) => String(p.nlwp), (p) => p.nlwp],
  ['tid', 'TID', 5, 'R', [], (p) => String(p.tid), (p) => p.tid, true],
  ['time', 'TIME', 8, 'R', [], (p, c) => cpuTime(Math.floor(ownTicks(p) / c.sys.hz)), ownTicks],
  ['times', 'TIME', 8, 'R', [], (p, c) => String(Math.floor(ownTicks(p) / c.sys.hz)), ownTicks],
  ['timeout', 'TMOUT', 5, 'R', [], dash],
  ['tmout', 'TMOUT', 5, 'R', [], dash],
  ['alarm', 'ALARM', 5, 'R', [], dash],
  ['tname', 'TTY', 8, 'L', ['tty'], tty, (p) => p.ttyNr],
  ['tpgid', 'TPGID', 5, 'R', [], (p) => String(p.tpgid), (p) => p.tpgid, true],
  ['tsig', 'PENDING', 9, 'S', ['signals'], (p, c) => sig(p.signals?.pending, c)],
  ['tt', 'TT', 8, 'L', ['tty'], tty, (p) => p.ttyNr],
  ['tty', 'TT', 8, 'L', ['tty'], tty, (p) => p.ttyNr],
  ['tty8', 'TTY', 8, 'L', ['tty'], tty, (p) => p.ttyNr],
  ['ucmd', 'CMD', 15, 'X', [], comm, (p) => p.comm],
  ['ucomm', 'COMMAND', 15, 'X', [], comm, (p) => p.comm],
  ['uid', 'UID', 5, 'R', ['euid'], (p) => num(p.euid), (p) => p.euid ?? -1],
  ['uid_hack', 'UID', 8, 'U', ['user'], (p, c) => name(p.user, p.euid, c)],
  ['uname', 'USER', 8, 'U', ['user'], (p, c) => name(p.user, p.euid, c)],
  ['user', 'USER', 8, 'U', ['user'], (p, c) => name(p.user, p.euid, c)],
  ['vm_lib', 'LIB', 5, 'R', [], dash],
  ['vsize', 'VSZ', 6, 'R', [], (p) => String(p.vsz), (p) => p.vsz],
  ['vsz', 'VSZ', 6, 'R', [], (p) => String(p.vsz), (p) => p.vsz],
  // text and data as procps 4 sizes them: the code segment of stat, and the rest of the address space
  ['trs', 'TRS', 4, 'R', [], (p) => String(textKiB(p)), textKiB],
  ['tsiz', 'TSIZ', 4, 'R', [], (p) => String(textKiB(p)), textKiB],
  ['trss', 'TRSS', 4, 'R', [], (p) => String(textKiB(p)), textKiB],
  ['drs', 'DRS', 5, 'R', [], (p) => String(dataKiB(p)), dataKiB],
  ['dsiz', 'DSIZ', 4, 'R', [], (p) => String(dataKiB(p)), dataKiB],
  ['size', 'SIZE', 5, 'R', ['vmData', 'vmStk'], (p) => String(swapSize(p)), swapSize],
  ['wchan', 'WCHAN', 6, 'W', ['wchan'], wchan],
  ['wname', 'WCHAN', 6, 'W', ['wchan'], wchan],
  ['m_size', 'SIZE', 5, 'R', [], (p) => String(p.vsz * 1024), (p) => p.vsz],
  ['m_swap', 'SWAP', 5, 'R', [], dash],
  // procps 4 prints no value here any more
  ['m_share', 'SHRD', 5, 'R', [], dash],
  ['m_dt', 'DT', 4, 'R', [], dash],
  // the rest of procps 4's specifiers: other systems' names for columns above, and Linux's accounting files
  ['atime', 'TIME', 8, 'R', [], (p, c) => cpuTime(Math.floor(ownTicks(p) / c.sys.hz)), ownTicks],
  ['cpuid', 'CPUID', 5, 'R', [], (p) => String(p.processor), (p) => p.processor],
  ['lastcpu', 'C', 3, 'R', [], (p) => String(p.processor), (p) => p.processor],
  ['pagein', 'PAGEIN', 6, 'R', [], (p, c) => String(p.majflt + (c.cumulative ? p.cmajflt : 0)), (p) => p.majflt],
  ['util', 'C', 2, 'R', [], (p, c) => schedC(p, c), pcpuPermille],
  ['cuu', '%CUU', 6, 'R', [], (p, c) => utilizationText(p, c.sys, false), (p, c) => utilization(p, c.sys, false)],
  ['cuc', '%CUC', 7, 'R', [], (p, c) => utilizationText(p, c.sys, true), (p, c) => utilization(p, c.sys, true)],
  ['lim', 'LIM', 5, 'R', [], (p) => (p.rssLimit === Infinity ? 'xx' : String(Math.floor(p.rssLimit / 1024)).padStart(5)), (p) => p.rssLimit],
  ['sgi_p', 'P', 1, 'R', [], (p) => (p.state === 'R' ? String(p.processor) : '*')],
  ['sgi_rss', 'RSS', 4, 'L', ['rss'], (p) => String(p.rss), (p) => p.rss],
  ['numa', 'NUMA', 4, 'R', [], (p) => String(numaNode(p.processor)), (p) => numaNode(p.processor)],
  ['pri_api', 'API', 3, 'R', [], (p) => String(-1 - p.priority), (p) => -p.priority],
  ['pri_bar', 'BAR', 3, 'R', [], (p) => String(p.priority + 1), (p) => p.priority],
  ['pri_baz', 'BAZ', 3, 'R', [], (p) => String(p.priority + 100), (p) => p.priority],
  ['pri_foo', 'FOO', 3, 'R', [], (p) => String(p.priority - 20), (p) => p.priority],
  ['longtname', 'TTY', 8, 'L', ['tty'], tty, (p) => p.ttyNr],
  ['tty4', 'TTY', 4, 'L', ['tty'], ttyNumber, (p) => p.ttyNr],
  ['context', 'CONTEXT', 31, 'L', ['label'], (p) => p.label ?? '-'],
  ['zone', 'ZONE', 31, 'L', ['label'], (p) => p.label ?? '-'],
  ['svuser', 'SVUSER', 8, 'U', ['savedUser'], (p, c) => name(p.savedUser, p.suid, c)],
  ['svgroup', 'SVGROUP', 8, 'U', ['savedGroup'], (p, c) => name(p.savedGroup, p.sgid, c)],
  ['supgrp', 'SUPGRP', 40, 'X', ['groupNames'], (p, c) => escapeText(p.groupNames?.length ? p.groupNames.join(',') : '-', c.maxRight, c.charset).text],
  ['cgname', 'CGNAME', 27, 'X', ['cgroup'], cgname],
  ['lxc', 'LXC', 8, 'L', ['lxc'], (p) => p.lxc ?? '-'],
  ['oom', 'OOM', 4, 'R', ['oomScore'], (p) => String(p.oomScore ?? 0), (p) => p.oomScore ?? 0],
  ['oomadj', 'OOMADJ', 5, 'R', ['oomScoreAdj'], (p) => String(p.oomScoreAdj ?? 0), (p) => p.oomScoreAdj ?? 0],
  ['pss', 'PSS', 5, 'R', ['pss'], (p) => String(p.pss ?? 0), (p) => p.pss ?? 0],
  ['uss', 'USS', 5, 'R', ['uss'], (p) => String(p.uss ?? 0), (p) => p.uss ?? 0],
  ['rchars', 'RCHARS', 5, 'R', ['io'], io('rchar'), ioKey('rchar')],
  ['wchars', 'WCHARS', 5, 'R', ['io'], io('wchar'), ioKey('wchar')],
  ['rops', 'ROPS', 5, 'R', ['io'], io('syscr'), ioKey('syscr')],
  ['wops', 'WOPS', 5, 'R', ['io'], io('syscw'), ioKey('syscw')],
  ['rbytes', 'RBYTES', 5, 'R', ['io'], io('readBytes'), ioKey('readBytes')],
  ['wbytes', 'WBYTES', 5, 'R', ['io'], io('writeBytes'), ioKey('writeBytes')],
  ['wcbytes', 'WCBYTES', 5, 'R', ['io'], io('cancelledWriteBytes'), ioKey('cancelledWriteBytes')],
  ['ag_id', 'AGID', 5, 'R', ['autogroup'], (p) => String(p.autogroup?.id ?? -1), (p) => p.autogroup?.id ?? -1],
  ['ag_nice', 'AGNI', 4, 'R', ['autogroup'], (p) => String(p.autogroup?.nice ?? 0), (p) => p.autogroup?.nice ?? 0],
  ['luid', 'LUID', 5, 'R', ['loginUid'], (p) => num(p.loginUid), (p) => p.loginUid ?? -1],
  ['cgroupns', 'CGROUPNS', 10, 'R', ['namespaces'], ns('cgroup')],
  ['ipcns', 'IPCNS', 10, 'R', ['namespaces'], ns('ipc')],
  ['mntns', 'MNTNS', 10, 'R', ['namespaces'], ns('mnt')],
  ['netns', 'NETNS', 10, 'R', ['namespaces'], ns('net')],
  ['pidns', 'PIDNS', 10, 'R', ['namespaces'], ns('pid')],
  ['timens', 'TIMENS', 10, 'R', ['namespaces'], ns('time')],
  ['userns', 'USERNS', 10, 'R', ['namespaces'], ns('user')],
  ['utsns', 'UTSNS', 10, 'R', ['namespaces'], ns('uts')],
  ['slice', 'SLICE', 31, 'L', ['systemd'], sd((s) => s.slice)],
  ['unit', 'UNIT', 31, 'L', ['systemd'], sd((s) => s.unit)],
  ['uunit', 'UUNIT', 31, 'L', ['systemd'], sd((s) => s.userUnit)],
  ['lsession', 'SESSION', 11, 'L', ['systemd'], sd((s) => s.session)],
  ['seat', 'SEAT', 11, 'L', ['systemd'], sd((s) => s.seat)],
  ['machine', 'MACHINE', 31, 'L', ['systemd'], sd((s) => s.machine)],
  ['ouid', 'OWNER', 5, 'L', ['systemd'], sd((s) => s.ownerUid)],
  // daemonkit's own: what a task shares with others (kcmp), as the lowest TID sharing it
  ['vmgrp', 'VMGRP', 5, 'R', ['sharing'], (p) => num(p.sharing?.vm), (p) => p.sharing?.vm ?? -1, true],
  ['filesgrp', 'FILESGRP', 8, 'R', ['sharing'], (p) => num(p.sharing?.files), (p) => p.sharing?.files ?? -1, true],
  ['fsgrp', 'FSGRP', 5, 'R', ['sharing'], (p) => num(p.sharing?.fs), (p) => p.sharing?.fs ?? -1, true],
  ['sighgrp', 'SIGHGRP', 7, 'R', ['sharing'], (p) => num(p.sharing?.sighand), (p) => p.sharing?.sighand ?? -1, true],
  ['iogrp', 'IOGRP', 5, 'R', ['sharing'], (p) => num(p.sharing?.io), (p) => p.sharing?.io ?? -1, true],
  ['krole', 'ROLE', 40, 'X', [], (p, c) => (p.kernelThread ? escapeText(kernelRole(p.comm), c.maxRight, c.charset).text : '-')],
  ['semgrp', 'SEMGRP', 6, 'R', ['sharing'], (p) => num(p.sharing?.sysvsem), (p) => p.sharing?.sysvsem ?? -1, true],
];

/** the specifiers daemonkit adds to procps's (ps L lists them too) */
export const EXTENSIONS: ReadonlySet<string> = new Set(['krole', 'vmgrp', 'filesgrp', 'fsgrp', 'sighgrp', 'iogrp', 'semgrp']);
/** which kcmp kind each sharing column shows */
export const SHARING_KIND: Readonly<Record<string, 'vm' | 'files' | 'fs' | 'sighand' | 'io' | 'sysvsem'>> = {
  vmgrp: 'vm',
  filesgrp: 'files',
  fsgrp: 'fs',
  sighgrp: 'sighand',
  iogrp: 'io',
  semgrp: 'sysvsem',
};

export const COLUMNS: ReadonlyMap<string, Column> = new Map(
  DEFS.map(([n, head, width, just, needs, print, key, pidmax]) => [
    n,
    { name: n, head, width, just, needs, print, key, pidmax, claims: n === 'fname' ? fnameClaims : undefined },
  ]),
);

/** ps L: every specifier that prints something, with its header, in procps's layout */
export function specifierList(): string {
  const cut = (t: string, n: number): string => t.slice(0, n).padEnd(n);
  return [...COLUMNS.values()]
    .filter((c) => c.print !== dash)
    .map((c) => c.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => `${cut(n, 12)} ${cut(COLUMNS.get(n)!.head, 8)}\n`)
    .join('');
}

/**
 * What -m and m print on a process's own line and on its threads' lines:
 * procps marks each column per-process, per-thread or both, and the other
 * line gets '-'.
 */
export const PROCESS_ONLY: ReadonlySet<string> = new Set(
  '%mem args cgname cgroup cmd comm command drs dsiz exe fname longtname m_drs m_dt m_share m_size m_swap m_trs nlwp pgid pgrp pid pmem ppid pss rss rssize rsz sess session sgi_rss sid size stackp start_stack supgid supgrp sz tgid thcount tname tpgid trs trss tsiz tt tty tty4 tty8 ucmd ucomm uss vm_lib vsize vsz'.split(
    ' ',
  ),
);
export const THREAD_ONLY: ReadonlySet<string> = new Set(
  'blocked caught class cls cpuid eip esp ignored intpri lastcpu lwp ni nice nwchan oom oomadj opri policy pri pri_api pri_bar pri_baz pri_foo priority psr rbytes rchars rops rtprio s sched sgi_p sig_block sig_catch sig_ignore sigcatch sigignore sigmask spid stat state tid wbytes wcbytes wchan wchars wname wops'.split(
    ' ',
  ),
);

/** Named lists (procps macros) that -o and the BSD/SysV options expand to. */
export const MACROS: ReadonlyMap<string, string> = new Map([
  ['DefBSD', 'pid,tname,stat,bsdtime,args'],
  ['DefSysV', 'pid,tname,time,cmd'],
  ['END_BSD', 'state,tname,cputime,comm'],
  ['END_SYS5', 'state,tname,time,command'],
  ['OL_X', 'pid,start_stack,esp,eip,timeout,alarm,stat,tname,bsdtime,args'],
  ['OL_j', 'ppid,pid,pgid,sid,tname,tpgid,stat,uid,bsdtime,args'],
  ['OL_l', 'flags,uid,pid,ppid,priority,nice,vsz,rss,wchan,stat,tname,bsdtime,args'],
  ['OL_m', 'pid,tname,majflt,minflt,m_trs,m_drs,m_size,m_swap,rss,m_share,vm_lib,m_dt,args'],
  ['OL_s', 'uid,pid,pending,sig_block,sig_ignore,caught,stat,tname,bsdtime,args'],
  ['OL_u', 'user,pid,pcpu,pmem,vsz,rss,tname,stat,start_time,bsdtime,args'],
  ['OL_v', 'pid,tname,stat,bsdtime,maj_flt,m_trs,m_drs,rss,pmem,args'],
]);

/** AIX-style %x descriptors accepted inside -o lists. */
export const AIX: ReadonlyMap<string, [string, string]> = new Map([
  ['C', ['pcpu', '%CPU']],
  ['G', ['group', 'GROUP']],
  ['P', ['ppid', 'PPID']],
  ['U', ['user', 'USER']],
  ['a', ['args', 'COMMAND']],
  ['c', ['comm', 'COMMAND']],
  ['g', ['rgroup', 'RGROUP']],
  ['n', ['nice', 'NI']],
  ['p', ['pid', 'PID']],
  ['r', ['pgid', 'PGID']],
  ['t', ['etime', 'ELAPSED']],
  ['u', ['ruser', 'RUSER']],
  ['x', ['time', 'TIME']],
  ['y', ['tty', 'TTY']],
  ['z', ['vsz', 'VSZ']],
]);
