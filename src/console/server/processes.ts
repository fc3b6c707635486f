/**
 * The Processes page's data: every process as a row, %CPU from the
 * difference of two samples (top's way), and what changed since the last
 * sample, so the page gets deltas and not the whole table every second.
 * A process's own page: threads, open files and sockets (dk lsof's rows),
 * the executable's ELF facts (dk exec-info), limits, cgroup, environment.
 */
import { userInfo } from 'node:os';
import { inspect, type Report } from '../../execinfo/run.js';
import { collect } from '../../lsof/collect.js';
import { makeNames } from '../../lsof/names.js';
import { parseLsofArgs } from '../../lsof/options.js';
import { procOwner } from '../../proc/fds.js';
import { processLimits, type Limit } from '../../proc/limits.js';
import { rawCmdline } from '../../proc/tasks.js';
import { listPids } from '../../proc/read.js';
import { snapshot, systemInfo, threads } from '../../proc/snapshot.js';
import { readStatLite, type StatLite } from '../../proc/statlite.js';
import type { ProcessInfo } from '../../proc/types.js';
import { nameCache } from '../../proc/users.js';
import { daemonTraits, traitLetters, type DaemonFacts } from '../../ps/daemons.js';
import type { ProcessRow } from '../shared/types.js';

export type { ProcessRow };

/** how many ticks pass before a process's command line and owner are read again (sooner when its name changes) */
const REFRESH_TICKS = 30;

const PF_KTHREAD = 0x00200000;

interface Known {
  start: number;
  comm: string;
  uid?: number;
  command: string;
}

/**
 * Rows at 1 Hz for a thousand processes cost what reading them costs, so a
 * tick reads only /proc/PID/stat, parsed from its bytes for the dozen fields
 * a row needs (proc/statlite.ts). The owner (a stat(2) of /proc/PID, as lsof
 * takes it) and the command line are read when a process first appears or
 * its name (comm) changes, and otherwise again every REFRESH_TICKS ticks, a
 * thirtieth of the processes per tick: a process that rewrites its argv
 * without renaming itself, or changes user, shows so within thirty seconds.
 */
export class ProcessTable {
  private prevTicks = new Map<number, number>();
  private prevAt = 0;
  private tick = 0;
  /** per process (pid and start time): its owner and command line */
  private known = new Map<number, Known>();
  private readonly names = nameCache();

  constructor(private readonly procRoot = '/proc') {}

  /** All rows now. */
  sample(): ProcessRow[] {
    const sys = systemInfo(this.procRoot);
    const now = Date.now();
    const secs = this.prevAt ? (now - this.prevAt) / 1000 : 0;
    const stats: StatLite[] = [];
    for (const pid of listPids(this.procRoot)) {
      const st = readStatLite(pid, this.procRoot);
      if (st) stats.push(st);
    }
    const facts = new Map<number, DaemonFacts>(stats.map((st) => [st.pid, { pid: st.pid, ppid: st.ppid, sid: st.session, ttyNr: st.ttyNr, tpgid: st.tpgid }]));
    const ticks = new Map<number, number>();
    const known = new Map<number, Known>();
    const slot = this.tick++ % REFRESH_TICKS;
    const rows = stats.map((st) => {
      const t = st.utime + st.stime;
      ticks.set(st.pid, t);
      const before = this.prevTicks.get(st.pid);
      const cpu = secs > 0 && before !== undefined ? ((t - before) / sys.hz / secs) * 100 : 0;
      const kernel = (st.flags & PF_KTHREAD) !== 0;
      let k = this.known.get(st.pid);
      if (!k || k.start !== st.starttime || k.comm !== st.comm || st.pid % REFRESH_TICKS === slot) {
        const raw = kernel ? '' : rawCmdline(st.pid, this.procRoot);
        k = {
          start: st.starttime,
          comm: st.comm,
          uid: procOwner(st.pid, this.procRoot),
          command: raw ? raw.replace(/\0+$/, '').replaceAll('\0', ' ') : `[${st.comm}]`,
        };
      }
      known.set(st.pid, k);
      return {
        pid: st.pid,
        ppid: st.ppid,
        user: k.uid === undefined ? '?' : (this.names.user(k.uid) ?? String(k.uid)),
        state: st.state,
        cpu: Math.round(Math.max(0, cpu) * 10) / 10,
        rss: (st.rss * sys.pageSize) / 1024,
        threads: st.numThreads,
        start: sys.bootTime + st.starttime / sys.hz,
        command: k.command,
        daemon: kernel ? 'kernel' : traitLetters(daemonTraits(facts.get(st.pid)!, facts)),
      } satisfies ProcessRow;
    });
    this.known = known;
    this.prevTicks = ticks;
    this.prevAt = now;
    return rows;
  }
}

/** What one watcher has: the next message carries only rows new or different, and the PIDs gone. */
export class RowDelta {
  private sent = new Map<number, ProcessRow>();

  delta(rows: readonly ProcessRow[]): { rows: ProcessRow[]; gone: number[]; full: boolean } {
    const full = this.sent.size === 0;
    const next = new Map<number, ProcessRow>();
    const changed: ProcessRow[] = [];
    for (const r of rows) {
      next.set(r.pid, r);
      const old = this.sent.get(r.pid);
      if (!old || !sameRow(old, r)) changed.push(r);
    }
    const gone: number[] = [];
    for (const pid of this.sent.keys()) if (!next.has(pid)) gone.push(pid);
    this.sent = next;
    return { rows: changed, gone, full };
  }
}

/** field by field: no string is made for rows that did not change (most of them, most seconds) */
function sameRow(a: ProcessRow, b: ProcessRow): boolean {
  return (
    a.cpu === b.cpu &&
    a.rss === b.rss &&
    a.state === b.state &&
    a.threads === b.threads &&
    a.ppid === b.ppid &&
    a.user === b.user &&
    a.start === b.start &&
    a.command === b.command &&
    a.daemon === b.daemon
  );
}

export interface ProcessDetail {
  info: Omit<ProcessInfo, 'environ'>;
  threads: { tid: number; comm: string; state: string; utime: number; stime: number; processor: number }[];
  /** dk lsof's rows for the process: fd, type, device, size/off, node, name */
  files: { fd: string; type: string; device: string; size: string; node: string; name: string }[];
  exe?: Report['elf'];
  limits?: Limit[];
  /** only for processes of the console's own user */
  environ?: string[];
}

/** Everything the process page shows; undefined when the process is gone. */
export function processDetail(pid: number, procRoot = '/proc'): ProcessDetail | undefined {
  const p = snapshot({ procRoot, pids: [pid], fields: undefined }).procs[0];
  if (!p) return undefined;
  const { environ: _hidden, ...info } = p;
  const own = p.euid === process.getuid?.() || p.user === userInfo().username;
  const files = collect(parseLsofArgs(['-n', '-P', '-p', String(pid)]), procRoot, nameCache(), makeNames(false, false), () => {}).results.flatMap((r) =>
    r.rows.map((row) => ({
      fd: `${row.fd}${row.access.trim()}${row.lock.trim()}`,
      type: row.type,
      device: row.device,
      size: String(row.size ?? row.offset ?? ''),
      node: row.node,
      name: row.name.trimEnd(),
    })),
  );
  let exe: Report['elf'];
  if (p.exe) {
    try {
      exe = inspect(p.exe, process.env).elf;
    } catch {
      exe = undefined;
    }
  }
  return {
    info,
    threads: threads(pid, { procRoot, fields: ['comm', 'state', 'utime', 'stime', 'processor'] }).map((t) => ({
      tid: t.tid,
      comm: t.comm,
      state: t.state,
      utime: t.utime,
      stime: t.stime,
      processor: t.processor,
    })),
    files,
    exe,
    limits: processLimits(pid, procRoot),
    environ: own ? snapshot({ procRoot, pids: [pid], fields: ['environ'] }).procs[0]?.environ : undefined,
  };
}
