/**
 * top's batch output: the five summary lines and the task table, in
 * procps-ng 4 top's widths and number scaling.
 */
import { localTime } from '../time/localtime.js';
import type { ProcessInfo } from '../proc/types.js';
import { cpuPercents, type CpuTicks, type MemInfo } from '../proc/system.js';

const pad2 = (n: number): string => String(n).padStart(2, '0');
const f1 = (n: number, w: number): string => n.toFixed(1).padStart(w);

export function uptimeText(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const mins = Math.floor(seconds / 60);
  const hours = Math.floor(mins / 60) % 24;
  let s = days ? `${days} ${days !== 1 ? 'days' : 'day'}, ` : '';
  s += hours ? `${String(hours).padStart(2)}:${pad2(mins % 60)}` : `${mins % 60} min`;
  return s;
}

export function topLine(now: Date, uptime: number, users: number, load: [number, number, number]): string {
  const t = localTime(Math.floor(now.getTime() / 1000));
  const clock = `${pad2(t.hours)}:${pad2(t.minutes)}:${pad2(t.seconds)}`;
  return `top - ${clock} up ${uptimeText(uptime)}, ${String(users).padStart(2)} ${users > 1 ? 'users' : 'user'},  load average: ${load.map((l) => l.toFixed(2)).join(', ')}`;
}

export interface TaskCounts {
  total: number;
  running: number;
  sleeping: number;
  stopped: number;
  zombie: number;
}

export function countStates(tasks: ProcessInfo[]): TaskCounts {
  const c = { total: tasks.length, running: 0, sleeping: 0, stopped: 0, zombie: 0 };
  for (const t of tasks) {
    if (t.state === 'R') c.running++;
    else if (t.state === 'T' || t.state === 't') c.stopped++;
    else if (t.state === 'Z') c.zombie++;
    else c.sleeping++;
  }
  return c;
}

export function tasksLine(c: TaskCounts, threads: boolean): string {
  const n = (x: number) => String(x).padStart(3);
  return `${threads ? 'Threads' : 'Tasks'}: ${n(c.total)} total, ${n(c.running)} running, ${n(c.sleeping)} sleeping, ${n(c.stopped)} stopped, ${n(c.zombie)} zombie`;
}

export function cpuLine(label: string, a: CpuTicks, b: CpuTicks): string {
  const [us, ni, sy, id, wa, hi, si, st] = cpuPercents(a, b);
  return `${label.padEnd(7)}:${f1(us, 5)} us,${f1(sy, 5)} sy,${f1(ni, 5)} ni,${f1(id, 5)} id,${f1(wa, 5)} wa,${f1(hi, 5)} hi,${f1(si, 5)} si,${f1(st, 5)} st `;
}

export const UNITS = ['k', 'm', 'g', 't', 'p', 'e'];

export function memLines(m: MemInfo, unit: string): string[] {
  const i = Math.max(0, UNITS.indexOf(unit));
  const name = `${['K', 'M', 'G', 'T', 'P', 'E'][i]}iB`;
  const v = (kib: number) => f1(kib / 1024 ** i, 9);
  const buffCache = m.buffers + m.cached;
  return [
    `${name} Mem :${v(m.total)} total,${v(m.free)} free,${v(m.total - m.available)} used,${v(buffCache)} buff/cache     `,
    `${name} Swap:${v(m.swapTotal)} total,${v(m.swapFree)} free,${v(m.swapTotal - m.swapFree)} used.${v(m.available)} avail Mem `,
  ];
}

/** A KiB amount in at most width characters, moving up units as top does. */
export function scaleMem(kib: number, width: number, unit: string): string {
  let i = Math.max(0, UNITS.indexOf(unit));
  if (i === 0) {
    const plain = String(Math.round(kib));
    if (plain.length <= width) return plain;
    i = 1;
  }
  for (; i < UNITS.length; i++) {
    // one decimal in every larger unit; if that does not fit, the next unit
    const s = `${(kib / 1024 ** i).toFixed(1)}${UNITS[i]}`;
    if (s.length <= width) return s;
  }
  return '+'.padStart(width);
}

export function timePlus(ticks: number, hz: number): string {
  const hundredths = Math.floor((ticks * 100) / hz);
  const mins = Math.floor(hundredths / 6000);
  const secs = Math.floor(hundredths / 100) % 60;
  return `${mins}:${pad2(secs)}.${pad2(hundredths % 100)}`;
}

export interface TaskView {
  p: ProcessInfo;
  cpu: number;
  mem: number;
  command: string;
}

interface Column {
  head: string;
  width: number;
  left?: boolean;
}

const COLUMNS = (pidWidth: number): Column[] => [
  { head: 'PID', width: pidWidth },
  { head: 'USER', width: 8, left: true },
  { head: 'PR', width: 3 },
  { head: 'NI', width: 3 },
  { head: 'VIRT', width: 7 },
  { head: 'RES', width: 6 },
  { head: 'SHR', width: 6 },
  { head: 'S', width: 1 },
  { head: '%CPU', width: 5 },
  { head: '%MEM', width: 5 },
  { head: 'TIME+', width: 9 },
  { head: 'COMMAND', width: 7, left: true },
];

/** How many columns fit: top keeps a column only if its header fits before the last screen column. */
export function visibleColumns(pidWidth: number, width: number): number {
  let len = -1;
  let n = 0;
  for (const c of COLUMNS(pidWidth)) {
    len += 1 + c.width;
    if (len > width - 1) break;
    n++;
  }
  return n;
}

export function taskHeader(pidWidth: number, width = 512): string {
  const cols = COLUMNS(pidWidth).slice(0, visibleColumns(pidWidth, width));
  return cols.map((c) => (c.left && c.head !== 'COMMAND' ? c.head.padEnd(c.width) : c.head.padStart(c.width))).join(' ');
}

export function taskRow(t: TaskView, o: { pidWidth: number; width: number; unit: string; hz: number; cumulative?: boolean }): string {
  const p = t.p;
  let user = p.user ?? String(p.euid ?? '');
  if (user.length > 8) user = `${user.slice(0, 7)}+`;
  const pr = p.priority < -99 ? 'rt' : String(p.priority);
  const cpu = t.cpu >= 999.95 ? t.cpu.toFixed(0).padStart(5) : f1(t.cpu, 5);
  const cells = [
    String(p.tid).padStart(o.pidWidth),
    user.padEnd(8),
    pr.padStart(3),
    String(p.nice).padStart(3),
    scaleMem(p.vsz, 7, o.unit).padStart(7),
    scaleMem(p.rss, 6, o.unit).padStart(6),
    scaleMem(p.shared ?? 0, 6, o.unit).padStart(6),
    p.state,
    cpu,
    f1(t.mem, 5),
    timePlus(p.utime + p.stime + (o.cumulative ? p.cutime + p.cstime : 0), o.hz).padStart(9),
  ];
  const n = visibleColumns(o.pidWidth, o.width);
  if (n < 12) return cells.slice(0, n).join(' ');
  const head = `${cells.join(' ')} `;
  // top never writes the last column of its width
  const room = o.width - 1 - head.length;
  let cmd = t.command;
  if (cmd.length > room) cmd = room > 1 ? `${cmd.slice(0, room - 1)}+` : cmd.slice(0, Math.max(0, room));
  return head + cmd;
}
