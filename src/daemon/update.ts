/**
 * The update daemon of the lecture: every 30 seconds, dirty pages go to
 * disk (sync(2), or syncfs(2) for the file systems of the paths given), so
 * a crash loses at most that much. -v shows what was waiting (Dirty,
 * Writeback from /proc/meminfo) before and after each flush.
 */
import * as fs from 'node:fs';
import { sync, syncfs } from '../sys/process.js';

export interface UpdateIO {
  write(s: string): void;
  error(s: string): void;
}

/** Dirty and Writeback in kB, from /proc/meminfo's text. */
export function dirtyFigures(meminfo: string): { dirty: number; writeback: number } {
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? NaN);
  return { dirty: kb('Dirty'), writeback: kb('Writeback') };
}

export async function runUpdate(argv: string[], io: UpdateIO): Promise<number> {
  let interval = 30;
  let verbose = false;
  let count = Infinity;
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
    else if (a === '-h' || a === '--help') {
      io.write('Usage: dk update [-i SECONDS] [-v] [-n COUNT] [PATH...]\n');
      return 0;
    } else if (a.startsWith('-')) {
      io.error(`dk update: unknown option '${a}'\n`);
      return 1;
    } else paths.push(a);
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
  const meminfo = () => dirtyFigures(fs.readFileSync('/proc/meminfo', 'latin1'));
  const flush = () => {
    const before = verbose ? meminfo() : undefined;
    const t0 = performance.now();
    if (fds.length) for (const fd of fds) syncfs(fd);
    else sync();
    if (before) {
      const after = meminfo();
      io.error(`dk update: ${fds.length ? `syncfs ${paths.join(' ')}` : 'sync'} in ${(performance.now() - t0).toFixed(1)} ms: Dirty ${before.dirty} -> ${after.dirty} kB, Writeback ${before.writeback} -> ${after.writeback} kB\n`);
    }
  };
  return new Promise<number>((resolve) => {
    let done = 0;
    const tick = () => {
      flush();
      if (++done >= count) return finish();
      timer = setTimeout(tick, interval * 1000);
    };
    const finish = () => {
      clearTimeout(timer);
      for (const fd of fds) fs.closeSync(fd);
      resolve(0);
    };
    // a stop request still flushes once more, as the seed's shutdown does
    const stop = () => {
      flush();
      finish();
    };
    let timer = setTimeout(tick, 0);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
