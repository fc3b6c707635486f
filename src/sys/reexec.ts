/**
 * Re-executes this process (same PID) with extra Node/V8 options, for a
 * long-running daemon whose resident memory matters more than 40 ms of
 * start-up: options such as --v8-pool-size only take effect at start.
 * Returns if the options are already there, if DK_NO_REEXEC is set, or if
 * execve fails (the daemon then runs as it is).
 */
import { loadLibc } from './libc.js';

const F_SETFD = 2;

export function reexecWith(flags: string[]): void {
  if (process.env.DK_NO_REEXEC || flags.every((f) => process.execArgv.includes(f))) return;
  try {
    const { fcntl, execve } = loadLibc();
    const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`);
    // libuv marks stdin/stdout/stderr close-on-exec; the new image must keep them
    for (const fd of [0, 1, 2]) fcntl(fd, F_SETFD, 'int', 0);
    execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, ...process.argv.slice(1), null], [...env, null]);
  } catch {
    // koffi unavailable: run without the options
  }
}
