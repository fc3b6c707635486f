/**
 * One top session: the previous samples, the options that keys can change,
 * and the frame built from a new sample, for batch output, JSON and the
 * interactive screen alike.
 */
import { snapshot } from '../proc/snapshot.js';
import type { FieldName, ProcessInfo } from '../proc/types.js';
import { countStates, cpuLine, memLines, taskHeader, taskRow, tasksLine, topLine, type TaskCounts, type TaskView } from './format.js';
import { pagingRates, sampleSystem, thrashing as isThrashing, type SystemSample } from '../proc/system.js';

export interface SessionOptions {
  pids?: number[];
  /** uid filter and whether any of the four uids may match (-U) */
  uid?: number;
  anyUid: boolean;
  threads: boolean;
  sort: { field: string; ascending: boolean };
  cmdline: boolean;
  idle: boolean;
  /** -S: TIME+ adds the time of dead children */
  cumulative?: boolean;
  perCpu: boolean;
  summaryUnit: string;
  taskUnit: string;
  thrash: boolean;
  forest: boolean;
  /** "COMMAND=node" style filters (o key); ! negates, = substring, case-insensitive */
  filters: string[];
}

export interface Frame {
  sys: SystemSample;
  prev: SystemSample;
  all: ProcessInfo[];
  counts: TaskCounts;
  shown: TaskView[];
  /** forest depth per shown task (V) */
  depth: number[];
  hz: number;
  pidWidth: number;
  paging: { swapIn: number; swapOut: number; majflt: number; kswapdCpu: number; thrashing: boolean };
}

export const SORT_FIELDS = ['PID', 'USER', 'PR', 'NI', 'VIRT', 'RES', 'SHR', 'S', '%CPU', '%MEM', 'TIME+', 'COMMAND'];

export function sortValue(t: TaskView, field: string, cumulative = false): number | string {
  const p = t.p;
  switch (field) {
    case 'PID':
      return p.tid;
    case 'USER':
      return p.user ?? '';
    case 'PR':
      return p.priority;
    case 'NI':
      return p.nice;
    case 'VIRT':
      return p.vsz;
    case 'RES':
      return p.rss;
    case 'SHR':
      return p.shared ?? 0;
    case 'S':
      return p.state;
    case '%MEM':
      return t.mem;
    case 'TIME+':
    case 'TIME':
      return p.utime + p.stime + (cumulative ? p.cutime + p.cstime : 0);
    case 'COMMAND':
      return t.command;
    default:
      return t.cpu;
  }
}

/** -c: the command line, or "[comm]" (and " <defunct>") where there is none, as ps shows it */
export function commandLine(p: ProcessInfo): string {
  if (p.cmdline?.length) return p.cmdline.join(' ');
  return `[${p.comm}]${p.state === 'Z' ? ' <defunct>' : ''}`;
}

function abreast(panels: string[], width: number): string {
  let line = panels[0];
  for (const p of panels.slice(1)) {
    if (line.length + 2 + p.length > width) break;
    line += `  ${p}`;
  }
  return line;
}

function matchesFilter(t: TaskView, f: string): boolean {
  const neg = f.startsWith('!');
  const body = neg ? f.slice(1) : f;
  const m = /^([^=<>]+)([=<>])(.*)$/.exec(body);
  if (!m) return true;
  const v = sortValue(t, m[1].toUpperCase());
  let ok: boolean;
  if (m[2] === '=')
    ok = String(typeof v === 'number' && m[1].toUpperCase() === '%CPU' ? v.toFixed(1) : v)
      .toLowerCase()
      .includes(m[3].toLowerCase());
  else {
    const n = Number(m[3]);
    ok = typeof v === 'number' ? (m[2] === '<' ? v < n : v > n) : m[2] === '<' ? v < m[3] : v > m[3];
  }
  return neg ? !ok : ok;
}

export class Session {
  private prevSys: SystemSample;
  private prevTicks: Map<number, number>;
  private prevAt: bigint;

  constructor(readonly o: SessionOptions) {
    this.prevSys = sampleSystem();
    this.prevTicks = new Map(this.read().procs.map((p) => [p.tid, p.utime + p.stime]));
    this.prevAt = process.hrtime.bigint();
  }

  private read() {
    const fields: FieldName[] = ['user', 'shared', 'uid', 'euid', 'suid', 'fsuid'];
    if (this.o.cmdline) fields.push('cmdline');
    return snapshot({ fields, threads: this.o.threads, pids: this.o.pids });
  }

  /** A new sample, compared with the previous one (the priming read for the first frame). */
  next(): Frame {
    const o = this.o;
    const snap = this.read();
    const sys = sampleSystem();
    const now = process.hrtime.bigint();
    const elapsed = Number(now - this.prevAt) / 1e9;
    const hz = snap.sys.hz;
    const all = snap.procs;
    const prevTicks = this.prevTicks;
    const views: TaskView[] = all.map((p) => {
      const before = prevTicks.get(p.tid);
      const delta = before === undefined ? 0 : Math.max(0, p.utime + p.stime - before);
      return {
        p,
        cpu: elapsed > 0 ? (delta * 100) / hz / elapsed : 0,
        mem: sys.mem.total ? (p.rss * 100) / sys.mem.total : 0,
        command: o.cmdline ? commandLine(p) : p.comm,
      };
    });
    let shown = views.filter((t) => {
      if (o.uid !== undefined) {
        const ids = o.anyUid ? [t.p.uid, t.p.euid, t.p.suid, t.p.fsuid] : [t.p.euid];
        if (!ids.includes(o.uid)) return false;
      }
      if (!o.idle && !(prevTicks.has(t.p.tid) && t.p.utime + t.p.stime > (prevTicks.get(t.p.tid) ?? 0))) return false;
      return o.filters.every((f) => matchesFilter(t, f));
    });
    const { field, ascending } = o.sort;
    shown = [...shown].sort((a, b) => {
      const x = sortValue(a, field, o.cumulative);
      const y = sortValue(b, field, o.cumulative);
      const c = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? c : -c;
    });
    let depth = shown.map(() => 0);
    if (o.forest) ({ shown, depth } = forestOrder(shown));

    const rates = pagingRates(this.prevSys.vm, sys.vm, Math.max(elapsed, 1e-9));
    const { swapIn, swapOut, majflt } = rates;
    const kswapdCpu = views.filter((t) => t.p.comm.startsWith('kswapd')).reduce((s, t) => s + t.cpu, 0);
    const thrashing = isThrashing(rates);

    const frame: Frame = {
      sys,
      prev: this.prevSys,
      all,
      counts: countStates(all),
      shown,
      depth,
      hz,
      pidWidth: Math.max(5, String(snap.sys.pidMax).length),
      paging: { swapIn, swapOut, majflt, kswapdCpu, thrashing },
    };
    this.prevSys = sys;
    this.prevTicks = new Map(all.map((p) => [p.tid, p.utime + p.stime]));
    this.prevAt = now;
    return frame;
  }

  summary(f: Frame, width: number): string[] {
    const o = this.o;
    const out: string[] = [topLine(new Date(f.sys.at), f.sys.uptime, f.sys.users, f.sys.load), tasksLine(f.counts, o.threads)];
    if (o.perCpu) {
      // procps shows per-CPU panels two abreast, and then Mem and Swap
      // abreast too; a panel that does not fit the width is left out
      const panels = f.sys.cpu.cpus.map((c, i) => cpuLine(`%Cpu${i}`, f.prev.cpu.cpus[i] ?? c, c));
      for (let i = 0; i < panels.length; i += 2) out.push(abreast(panels.slice(i, i + 2), width));
      out.push(abreast(memLines(f.sys.mem, o.summaryUnit), width));
    } else {
      out.push(cpuLine('%Cpu(s)', f.prev.cpu.total, f.sys.cpu.total));
      out.push(...memLines(f.sys.mem, o.summaryUnit));
    }
    if (o.thrash) {
      const p = f.paging;
      out.push(
        `Paging : ${p.swapIn.toFixed(1)} swap-in/s, ${p.swapOut.toFixed(1)} swap-out/s, ${p.majflt.toFixed(1)} majflt/s, kswapd ${p.kswapdCpu.toFixed(1)}% cpu${p.thrashing ? '  ** THRASHING **' : ''}`,
      );
    }
    // summary lines are cut at the width
    return out.map((l) => l.slice(0, width));
  }

  header(f: Frame, width: number): string {
    return taskHeader(f.pidWidth, width);
  }

  rows(f: Frame, width: number): string[] {
    return f.shown.map((t, i) => {
      const view = f.depth[i] ? { ...t, command: `${' '.repeat(f.depth[i] * 4 - 3)}\`- ${t.command}` } : t;
      return taskRow(view, { pidWidth: f.pidWidth, width, unit: this.o.taskUnit, hz: f.hz, cumulative: this.o.cumulative });
    });
  }

  json(f: Frame): string {
    const d = f.sys.cpu.total.map((x, i) => Math.max(0, x - (f.prev.cpu.total[i] ?? 0)));
    const sum = d.reduce((s, x) => s + x, 0);
    const [us, ni, sy, id, wa, hi, si, st] = sum ? d.map((x) => Math.round(((x * 100) / sum) * 10) / 10) : [0, 0, 0, 100, 0, 0, 0, 0];
    return JSON.stringify({
      time: new Date(f.sys.at).toISOString(),
      uptime: f.sys.uptime,
      users: f.sys.users,
      load: f.sys.load,
      tasks: f.counts,
      cpu: { us, sy, ni, id, wa, hi, si, st },
      memKiB: f.sys.mem,
      paging: f.paging,
      processes: f.shown.map((t) => ({
        pid: t.p.tid,
        tgid: t.p.pid,
        user: t.p.user,
        pr: t.p.priority,
        ni: t.p.nice,
        virt: t.p.vsz,
        res: t.p.rss,
        shr: t.p.shared ?? 0,
        s: t.p.state,
        cpu: Math.round(t.cpu * 10) / 10,
        mem: Math.round(t.mem * 10) / 10,
        ticks: t.p.utime + t.p.stime,
        command: t.command,
      })),
    });
  }
}

/** V: parents before their children, in the current sort order among siblings. */
export function forestOrder(tasks: TaskView[]): { shown: TaskView[]; depth: number[] } {
  const ids = new Set(tasks.map((t) => t.p.tid));
  const kids = new Map<number, TaskView[]>();
  const roots: TaskView[] = [];
  for (const t of tasks) {
    const parent = t.p.tid !== t.p.pid ? t.p.pid : t.p.ppid;
    if (ids.has(parent) && parent !== t.p.tid) {
      let l = kids.get(parent);
      if (!l) kids.set(parent, (l = []));
      l.push(t);
    } else roots.push(t);
  }
  const shown: TaskView[] = [];
  const depth: number[] = [];
  const walk = (t: TaskView, d: number) => {
    shown.push(t);
    depth.push(d);
    for (const c of kids.get(t.p.tid) ?? []) walk(c, d + 1);
  };
  for (const r of roots) walk(r, 0);
  return { shown, depth };
}
