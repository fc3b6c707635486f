/**
 * Descriptors a daemon inherited from whoever started it (a shell's,
 * a terminal multiplexer's, a test runner's pipes) must not reach the
 * programs it starts: marks every descriptor above 2 close-on-exec.
 */
import * as fs from 'node:fs';
import { loadLibc } from './libc.js';

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/** Returns the descriptors that were marked (those that would have leaked). */
export function closeOnExecInherited(): number[] {
  const c = loadLibc();
  const marked: number[] = [];
  for (const name of fs.readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd <= 2) continue;
    const flags = c.fcntl(fd, F_GETFD, 'int', 0);
    // the directory handle of readdirSync is already gone or close-on-exec
    if (flags < 0 || flags & FD_CLOEXEC) continue;
    if (c.fcntl(fd, F_SETFD, 'int', flags | FD_CLOEXEC) === 0) marked.push(fd);
  }
  return marked;
}
