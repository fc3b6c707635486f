/**
 * dk top in batch mode: procps-ng top -b compatible frames, %CPU from two
 * samples over the delay (the first frame against the priming read, as
 * procps does), optional paging line, --json per iteration.
 */
import { snapshot } from '../proc/snapshot.js';
import { nameCache } from '../proc/users.js';
import type { FieldName, ProcessInfo } from '../proc/types.js';
import { countStates, cpuLine, memLines, taskHeader, taskRow, tasksLine, topLine, UNITS, type TaskView } from './format.js';
import { sampleSystem, type SystemSample } from './system.js';

export interface TopIO {
  write(s: string): void;
  error(s: string): void;
  env: NodeJS.ProcessEnv;
  tty?: { columns: number; rows: number };
}

export const TOP_HELP = `Usage:
 dk top -b [-n N] [-d SECS] [-p PID,...] [-u|-U USER] [-H] [-o [+-]FIELD]
           [-w [COLS]] [-c] [-i] [-1] [-E k|m|g|t|p|e] [-e k|m|g|t|p|e] [--thrash] [--json]

  -b         batch mode (the only mode so far)
  -n N       number of frames            -d SECS   delay between frames
  -p PIDS    only these processes        -u USER   effective user (-U: any uid)
  -H         threads                     -o FIELD  sort field (PID, %CPU, %MEM, RES, TIME+ ...)
  -c         command lines               -i        hide idle tasks
  -1         one %Cpu line per CPU       -E/-e     summary / task memory unit
  -w [COLS]  output width                --thrash  paging line: swap in/out, major faults, kswapd
  --json     one JSON document per frame
`;

class TopError extends Error {}

interface TopOptions {
  batch: boolean;
  iterations: number;
  delay: number;
  pids?: number[];
  user?: string;
  anyUid: boolean;
  threads: boolean;
  sort: { field: string; ascending: boolean };
  width?: number;
  cmdline: boolean;
  idle: boolean;
  perCpu: boolean;
  summaryUnit: string;
  taskUnit: string;
  thrash: boolean;
  json: boolean;
}

const SORTABLE = new Set(['PID', 'USER', 'PR', 'NI', 'VIRT', 'RES', 'SHR', 'S', '%CPU', '%MEM', 'TIME+', 'TIME', 'COMMAND']);

function parse(argv: string[]): TopOptions {
  const o: TopOptions = { batch: false, iterations: Infinity, delay: 3, anyUid: false, threads: false, sort: { field: '%CPU', ascending: false }, cmdline: false, idle: true, perCpu: false, summaryUnit: 'm', taskUnit: 'k', thrash: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') { o.json = true; continue; }
    if (a === '--thrash') { o.thrash = true; continue; }
    if (!a.startsWith('-') || a.length < 2) throw new TopError(`unknown argument '${a}'`);
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      const rest = a.slice(j + 1);
      const value = (): string => {
        if (rest) return rest;
        const v = argv[++i];
        if (v === undefined) throw new TopError(`option requires an argument -- '${c}'`);
        return v;
      };
      switch (c) {
        case 'b': o.batch = true; continue;
        case 'c': o.cmdline = true; continue;
        case 'H': o.threads = true; continue;
        case 'i': o.idle = false; continue;
        case '1': o.perCpu = true; continue;
        case 'n': {
          const v = value();
          if (!/^\d+$/.test(v) || Number(v) < 1) throw new TopError(`bad iterations argument '${v}'`);
          o.iterations = Number(v);
          break;
        }
        case 'd': {
          const v = value();
          const n = Number(v.replace(',', '.'));
          if (!Number.isFinite(n) || n < 0) throw new TopError(`bad delay interval '${v}'`);
          o.delay = n;
          break;
        }
        case 'p': {
          if (o.user !== undefined) throw new TopError('conflicting process selections (U/p/u)');
          const v = value();
          const pids = v.split(',').map(Number);
          if (pids.some((p) => !Number.isInteger(p) || p < 0)) throw new TopError(`bad pid '${v}'`);
          o.pids = [...(o.pids ?? []), ...pids];
          break;
        }
        case 'u': case 'U':
          if (o.pids || o.user !== undefined) throw new TopError('conflicting process selections (U/p/u)');
          o.user = value();
          o.anyUid = c === 'U';
          break;
        case 'o': {
          const v = value();
          const ascending = v.startsWith('-');
          const field = v.replace(/^[+-]/, '').toUpperCase();
          if (!SORTABLE.has(field)) throw new TopError(`unrecognized field name '${v}'`);
          o.sort = { field, ascending };
          break;
        }
        case 'w': {
          const v = rest || (argv[i + 1] && /^\d+$/.test(argv[i + 1]) ? argv[++i] : '');
          o.width = v ? Number(v) : 512;
          if (!Number.isInteger(o.width) || o.width < 1) throw new TopError(`bad width arg '${v}'`);
          break;
        }
        case 'E': case 'e': {
          const v = value().toLowerCase();
          if (!UNITS.includes(v)) throw new TopError(`bad memory scaling arg '${v}'`);
          if (c === 'E') o.summaryUnit = v;
          else o.taskUnit = v;
          break;
        }
        default:
          throw new TopError(`invalid option -- '${c}'`);
      }
      break;
    }
  }
  return o;
}

function sortValue(t: TaskView, field: string): number | string {
  const p = t.p;
  switch (field) {
    case 'PID': return p.tid;
    case 'USER': return p.user ?? '';
    case 'PR': return p.priority;
    case 'NI': return p.nice;
    case 'VIRT': return p.vsz;
    case 'RES': return p.rss;
    case 'SHR': return p.shared ?? 0;
    case 'S': return p.state;
    case '%MEM': return t.mem;
    case 'TIME+': case 'TIME': return p.utime + p.stime;
    case 'COMMAND': return t.command;
    default: return t.cpu;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runTop(argv: string[], io: TopIO): Promise<number> {
  let o: TopOptions;
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.write(TOP_HELP);
      return 0;
    }
    o = parse(argv);
  } catch (e) {
    if (!(e instanceof TopError)) throw e;
    io.error(`dk top: ${e.message}\n`);
    return 1;
  }
  if (!o.batch && io.tty && !o.json) {
    io.error('dk top: the interactive screen is not built yet; use -b for batch mode\n');
    return 1;
  }
  const names = nameCache('/etc');
  let uid: number | undefined;
  if (o.user !== undefined) {
    uid = /^\d+$/.test(o.user) ? Number(o.user) : names.uidOf(o.user);
    if (uid === undefined) {
      io.error('dk top: Invalid user\n');
      return 1;
    }
  }
  const width = o.width ?? (io.env.COLUMNS && Number(io.env.COLUMNS) > 0 ? Number(io.env.COLUMNS) : io.tty?.columns ?? 80);
  const fields: FieldName[] = ['user', 'shared', 'uid', 'euid', 'suid', 'fsuid'];
  if (o.cmdline) fields.push('cmdline');
  const read = () => snapshot({ fields, threads: o.threads, pids: o.pids });

  let prevSys: SystemSample = sampleSystem();
  let prevTicks = new Map<number, number>(read().procs.map((p) => [p.tid, p.utime + p.stime]));
  let prevAt = process.hrtime.bigint();
  // Like procps, the first frame compares against the priming read just made,
  // so it shows (almost) no CPU use; later frames cover the delay.
  for (let frame = 0; frame < o.iterations; frame++) {
    if (frame > 0) await sleep(o.delay * 1000);
    const snap = read();
    const sys = sampleSystem();
    const now = process.hrtime.bigint();
    const elapsed = Number(now - prevAt) / 1e9;
    const hz = snap.sys.hz;
    const all = snap.procs;
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
      if (uid !== undefined) {
        const ids = o.anyUid ? [t.p.uid, t.p.euid, t.p.suid, t.p.fsuid] : [t.p.euid];
        if (!ids.includes(uid)) return false;
      }
      if (!o.idle && !(prevTicks.has(t.p.tid) && t.p.utime + t.p.stime > (prevTicks.get(t.p.tid) ?? 0))) return false;
      return true;
    });
    const { field, ascending } = o.sort;
    shown = [...shown].sort((a, b) => {
      const x = sortValue(a, field);
      const y = sortValue(b, field);
      const c = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? c : -c;
    });

    const dt = Math.max(elapsed, 1e-9);
    const vmRates = {
      swapIn: (sys.vm.pswpin - prevSys.vm.pswpin) / dt,
      swapOut: (sys.vm.pswpout - prevSys.vm.pswpout) / dt,
      majflt: (sys.vm.pgmajfault - prevSys.vm.pgmajfault) / dt,
    };
    const kswapd = views.filter((t) => t.p.comm.startsWith('kswapd')).reduce((s, t) => s + t.cpu, 0);
    // sustained paging both ways while processes keep faulting pages back in
    const thrashing = vmRates.swapIn + vmRates.swapOut > 100 && vmRates.majflt > 100;

    if (o.json) {
      const [us, ni, sy, id, wa, hi, si, st] = cpuLinePercents(prevSys, sys);
      io.write(
        `${JSON.stringify({
          time: new Date(sys.at).toISOString(),
          uptime: sys.uptime,
          users: sys.users,
          load: sys.load,
          tasks: countStates(all),
          cpu: { us, sy, ni, id, wa, hi, si, st },
          memKiB: sys.mem,
          paging: { ...vmRates, kswapdCpu: kswapd, thrashing },
          processes: shown.map((t) => ({ pid: t.p.tid, tgid: t.p.pid, user: t.p.user, pr: t.p.priority, ni: t.p.nice, virt: t.p.vsz, res: t.p.rss, shr: t.p.shared ?? 0, s: t.p.state, cpu: Math.round(t.cpu * 10) / 10, mem: Math.round(t.mem * 10) / 10, ticks: t.p.utime + t.p.stime, command: t.command })),
        })}\n`,
      );
    } else {
      const lines: string[] = [];
      const summary: string[] = [];
      if (frame > 0) lines.push('');
      summary.push(topLine(new Date(sys.at), sys.uptime, sys.users, sys.load));
      summary.push(tasksLine(countStates(all), o.threads));
      if (o.perCpu) {
        // procps shows per-CPU panels two abreast, and then Mem and Swap
        // abreast too; a panel that does not fit the width is left out
        const panels = sys.cpu.cpus.map((c, i) => cpuLine(`%Cpu${i}`, prevSys.cpu.cpus[i] ?? c, c));
        for (let i = 0; i < panels.length; i += 2) summary.push(abreast(panels.slice(i, i + 2), width));
        summary.push(abreast(memLines(sys.mem, o.summaryUnit), width));
      } else {
        summary.push(cpuLine('%Cpu(s)', prevSys.cpu.total, sys.cpu.total));
        summary.push(...memLines(sys.mem, o.summaryUnit));
      }
      if (o.thrash) {
        summary.push(`Paging : ${vmRates.swapIn.toFixed(1)} swap-in/s, ${vmRates.swapOut.toFixed(1)} swap-out/s, ${vmRates.majflt.toFixed(1)} majflt/s, kswapd ${kswapd.toFixed(1)}% cpu${thrashing ? '  ** THRASHING **' : ''}`);
      }
      // summary lines are cut at the width
      lines.push(...summary.map((l) => l.slice(0, width)));
      lines.push('');
      const pidWidth = Math.max(5, String(snap.sys.pidMax).length);
      lines.push(taskHeader(pidWidth, width));
      for (const t of shown) lines.push(taskRow(t, { pidWidth, width, unit: o.taskUnit, hz }));
      io.write(`${lines.join('\n')}\n`);
    }
    prevSys = sys;
    prevTicks = new Map(all.map((p) => [p.tid, p.utime + p.stime]));
    prevAt = now;
  }
  return 0;
}

/** -c: the command line, or "[comm]" (and " <defunct>") where there is none, as ps shows it */
function commandLine(p: ProcessInfo): string {
  if (p.cmdline && p.cmdline.length) return p.cmdline.join(' ');
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

function cpuLinePercents(a: SystemSample, b: SystemSample): number[] {
  const d = b.cpu.total.map((x, i) => Math.max(0, x - (a.cpu.total[i] ?? 0)));
  const sum = d.reduce((s, x) => s + x, 0);
  return sum ? d.map((x) => Math.round(((x * 100) / sum) * 10) / 10) : [0, 0, 0, 100, 0, 0, 0, 0];
}

export type { ProcessInfo };
