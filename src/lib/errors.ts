/**
 * The errors the library throws, as psutil's: a process that is gone, a
 * zombie that cannot answer, a file the kernel will not show us, a wait
 * that ran out of time. Each carries the pid and, when known, the name, so
 * a caller can report it without another read. Nothing else is thrown for
 * a race with an exiting process.
 */

/** The base of every error about one process. */
export class ProcessError extends Error {
  /** the process id the call was about */
  readonly pid: number | undefined;
  /** its name (comm) when it was known before the failure */
  readonly processName: string | undefined;
  constructor(message: string, pid?: number, name?: string) {
    super(message);
    this.name = new.target.name;
    this.pid = pid;
    this.processName = name;
  }
}

const who = (pid: number | undefined, name: string | undefined): string =>
  [pid === undefined ? '' : `pid=${pid}`, name ? `name='${name}'` : ''].filter(Boolean).join(', ');

/** The process does not exist any more, or its PID now belongs to another process. */
export class NoSuchProcess extends ProcessError {
  constructor(pid: number, name?: string, why = 'process no longer exists') {
    super(`${why} (${who(pid, name)})`, pid, name);
  }
}

/** The process has exited but its parent has not collected it: most of /proc is empty for it. */
export class ZombieProcess extends NoSuchProcess {
  /** the parent that has not called wait() yet */
  readonly ppid: number | undefined;
  constructor(pid: number, name?: string, ppid?: number) {
    super(pid, name, `process still exists but it's a zombie${ppid === undefined ? '' : ` (ppid=${ppid})`}`);
    this.ppid = ppid;
  }
}

/** The kernel refused: the process belongs to another user, or the call needs a privilege. */
export class AccessDenied extends ProcessError {
  constructor(pid?: number, name?: string, why = 'permission denied') {
    super(`${why}${pid === undefined ? '' : ` (${who(pid, name)})`}`, pid, name);
  }
}

/** wait(timeout) ran out of time while the process was still running. */
export class TimeoutExpired extends ProcessError {
  /** the timeout that expired, seconds */
  readonly seconds: number;
  constructor(seconds: number, pid?: number, name?: string) {
    super(`timeout after ${seconds} seconds${pid === undefined ? '' : ` (${who(pid, name)})`}`, pid, name);
    this.seconds = seconds;
  }
}
