/**
 * Reaping as init or as a subreaper without stealing Node's children
 * (DESIGN.md): never waitpid(-1). On SIGCHLD, and every second in case
 * signals were merged, the children listed in /proc/self/task/TID/children
 * that are zombies and that Node did not start are waited for one by one.
 * Whoever watches such a pid (a forking service's main process, re-parented
 * to us) hears its exit status.
 */
import { childPids, stateOf } from '../proc/tasks.js';
import { reapNow } from '../sys/process.js';

export type ExitStatus = { code: number | null; signal: number | null };

export function decodeStatus(st: number): ExitStatus {
  return (st & 0x7f) === 0 ? { code: (st >> 8) & 0xff, signal: null } : { code: null, signal: st & 0x7f };
}

export class Reaper {
  /** pids Node spawned: libuv waits for those */
  private readonly node = new Set<number>();
  private readonly watchers = new Map<number, (s: ExitStatus) => void>();
  private readonly timer: NodeJS.Timeout;
  reaped = 0;

  constructor() {
    process.on('SIGCHLD', this.sweep);
    this.timer = setInterval(this.sweep, 1000);
    this.timer.unref();
  }

  ownedByNode(pid: number): void {
    this.node.add(pid);
  }

  nodeDone(pid: number): void {
    this.node.delete(pid);
  }

  /** Whether Node started pid (and so waits for it itself). */
  isNodes(pid: number): boolean {
    return this.node.has(pid);
  }

  /** Calls back once when pid (a child of ours that Node did not start) is reaped. */
  watch(pid: number, cb: (s: ExitStatus) => void): void {
    this.watchers.set(pid, cb);
    this.sweep();
  }

  readonly sweep = (): void => {
    const kids = childPids();
    if (!kids) return;
    for (const pid of kids) {
      if (this.node.has(pid)) continue;
      const zombie = stateOf(pid)?.state === 'Z';
      if (!zombie) continue;
      const st = reapNow(pid);
      if (st === undefined) continue;
      this.reaped++;
      const w = this.watchers.get(pid);
      this.watchers.delete(pid);
      w?.(decodeStatus(st));
    }
  };

  close(): void {
    clearInterval(this.timer);
    process.off('SIGCHLD', this.sweep);
  }
}
