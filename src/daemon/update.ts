/**
 * The update daemon of the lecture: every 30 seconds, dirty pages go to
 * disk (sync(2), or syncfs(2) for the file systems of the paths given), so
 * a crash loses at most that much. -v shows what was waiting (Dirty,
 * Writeback from /proc/meminfo) before and after each flush; its status
 * says when it last flushed and what waits now.
 */
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { memInfo } from '../proc/system.js';
import { sync, syncfs } from '../sys/process.js';
import { runDaemon, type DaemonCore } from './runtime.js';

export interface UpdateIO {
  write(s: string): void;
  error(s: string): void;
}

export const UPDATE_HELP = `Usage: dk update [-i SECONDS] [-v] [-n COUNT] [--detach] [--pidfile F] [--control SOCK]
                 [--state-dir DIR] [PATH...]

  Flushes dirty pages to disk every SECONDS (default 30, as the classic
  update daemon): sync(2), or syncfs(2) on the file systems of the given
  PATHs. -v reports Dirty and Writeback from /proc/meminfo before and after
  each flush. -n stops after COUNT flushes. TERM flushes once more and stops.
  It stays in the foreground (for a supervisor) unless --detach.
`;

export interface UpdateStatus {
  intervalSeconds: number;
  /** file systems flushed with syncfs; empty: all, with sync */
  paths: string[];
  flushes: number;
  lastFlush?: { at: string; durationMs: number; dirtyBeforeKb: number; dirtyAfterKb: number; writebackBeforeKb: number; writebackAfterKb: number };
  /** ISO 8601 */
  nextFlush?: string;
  /** what waits for the next flush now */
  dirtyKb: number;
  writebackKb: number;
}

export const summarizeUpdate = (s: UpdateStatus): string => `${s.flushes} flushes every ${s.intervalSeconds} s, ${s.dirtyKb} kB dirty`;

export function renderUpdateStatus(s: UpdateStatus): string {
  const l = s.lastFlush;
  return [
    `dk update status: ${summarizeUpdate(s)}`,
    `  ${s.paths.length ? `syncfs ${s.paths.join(' ')}` : 'sync'} every ${s.intervalSeconds} s; next ${s.nextFlush ?? '-'}`,
    l
      ? `  last ${l.at} in ${l.durationMs.toFixed(1)} ms: Dirty ${l.dirtyBeforeKb} -> ${l.dirtyAfterKb} kB, Writeback ${l.writebackBeforeKb} -> ${l.writebackAfterKb} kB`
      : '  no flush yet',
    `  now: Dirty ${s.dirtyKb} kB, Writeback ${s.writebackKb} kB`,
  ].join('\n');
}

export async function runUpdate(argv: string[], io: UpdateIO): Promise<number> {
  let interval = 30;
  let verbose = false;
  let count = Infinity;
  let detach = false;
  let pidfile: string | undefined;
  let control: string | undefined;
  let stateDir: string | undefined;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-i' || a === '-n') {
      const v = Number(argv[++i]);
      if (!(v > 0) || (a === '-n' && !Number.isInteger(v))) {
        io.error(`dk update: ${a} takes a positive ${a === '-i' ? 'number of seconds' : 'count'}, not '${argv[i] ?? ''}'\n`);
        return 1;
      }
      if (a === '-i') interval = v;
      else count = v;
    } else if (a === '-v') verbose = true;
    else if (a === '--detach') detach = true;
    else if (a === '--pidfile' || a === '--control' || a === '--state-dir') {
      const v = argv[++i];
      if (v === undefined) {
        io.error(`dk update: ${a} needs a value\n`);
        return 1;
      }
      if (a === '--pidfile') pidfile = resolve(v);
      else if (a === '--control') control = v;
      else stateDir = v;
    } else if (a === '-h' || a === '--help') {
      io.write(UPDATE_HELP);
      return 0;
    } else if (a.startsWith('-')) {
      io.error(`dk update: unknown option '${a}'\n`);
      return 1;
    } else paths.push(resolve(a));
  }
  const fds: number[] = [];
  for (const p of paths) {
    try {
      fds.push(fs.openSync(p, 'r'));
    } catch (e) {
      io.error(`dk update: ${p}: ${(e as NodeJS.ErrnoException).code}\n`);
      return 1;
    }
  }
  let flushes = 0;
  let lastFlush: UpdateStatus['lastFlush'];
  let next: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const flush = () => {
    const before = memInfo();
    const t0 = performance.now();
    if (fds.length) for (const fd of fds) syncfs(fd);
    else sync();
    const after = memInfo();
    const ms = performance.now() - t0;
    flushes++;
    lastFlush = {
      at: new Date().toISOString(),
      durationMs: ms,
      dirtyBeforeKb: before.dirty,
      dirtyAfterKb: after.dirty,
      writebackBeforeKb: before.writeback,
      writebackAfterKb: after.writeback,
    };
    if (verbose)
      io.error(
        `dk update: ${fds.length ? `syncfs ${paths.join(' ')}` : 'sync'} in ${ms.toFixed(1)} ms: Dirty ${before.dirty} -> ${after.dirty} kB, Writeback ${before.writeback} -> ${after.writeback} kB\n`,
      );
  };
  const tick = () => {
    flush();
    if (flushes >= count) {
      next = undefined;
      return finish();
    }
    next = Date.now() + interval * 1000;
    timer = setTimeout(tick, interval * 1000);
  };
  const core: DaemonCore<UpdateStatus> = {
    name: 'update',
    check: () => [],
    async start() {
      timer = setTimeout(tick, 0);
    },
    finished,
    reload: async () => ({ ok: true, problems: [] }),
    async stop() {
      clearTimeout(timer);
      // a stop request still flushes once more, as the seed's shutdown does (-n COUNT: done already)
      if (flushes < count) flush();
      for (const fd of fds) fs.closeSync(fd);
    },
    status() {
      const m = memInfo();
      return {
        intervalSeconds: interval,
        paths,
        flushes,
        lastFlush,
        nextFlush: next ? new Date(next).toISOString() : undefined,
        dirtyKb: m.dirty,
        writebackKb: m.writeback,
      };
    },
    summary: summarizeUpdate,
    render: renderUpdateStatus,
  };
  return runDaemon(core, {
    foreground: !detach,
    foregroundArgv: [
      'update',
      ...['-i', String(interval)],
      ...(verbose ? ['-v'] : []),
      ...(count < Infinity ? ['-n', String(count)] : []),
      ...(control ? ['--control', resolve(control)] : []),
      ...(stateDir ? ['--state-dir', resolve(stateDir)] : []),
      ...paths,
    ],
    pidfile,
    control,
    stateDir,
    log: (line) => io.error(`${line}\n`),
    error: io.error,
  });
}
