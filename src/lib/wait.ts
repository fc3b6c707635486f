/**
 * Waiting for a process that need not be our child. A pidfd (pidfd_open,
 * Linux 5.3) names the process itself, not its number, so a PID reused
 * while we wait is never taken for it; the pidfd turns readable when the
 * process exits. It is polled with a zero timeout on a timer whose period
 * grows from 1 ms to 40 ms (psutil's own wait sleeps up to 40 ms): no pool
 * thread is held in a blocking poll, so a wait never keeps Node's pool
 * busy and a process exits while a wait is pending if it wants to.
 */
import { loadLibc } from '../sys/libc.js';

const POLLIN = 1;

/** true once the process has exited, false when timeoutMs ran out first */
export function waitForExit(pid: number, timeoutMs: number | undefined, alive: () => boolean): Promise<boolean> {
  let fd = -1;
  let libc: ReturnType<typeof loadLibc> | undefined;
  try {
    libc = loadLibc();
    fd = libc.pidfd_open(pid, 0);
  } catch {
    libc = undefined;
  }
  // no pidfd (an old kernel, or the process is already gone): ask /proc on each tick
  const exited = (): boolean => {
    if (fd < 0 || !libc) return !alive();
    const pfd = Buffer.alloc(8);
    pfd.writeInt32LE(fd, 0);
    pfd.writeInt16LE(POLLIN, 4);
    return libc.poll(pfd, 1, 0) > 0;
  };
  const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
  return new Promise((resolve) => {
    let delay = 1;
    const finish = (done: boolean) => {
      if (fd >= 0) libc?.close(fd);
      resolve(done);
    };
    const tick = () => {
      if (exited()) return finish(true);
      const left = deadline - performance.now();
      if (left <= 0) return finish(false);
      delay = Math.min(delay * 2, 40);
      setTimeout(tick, Math.min(delay, left));
    };
    tick();
  });
}
