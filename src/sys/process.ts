/**
 * Process credentials and file locks Node does not offer: initgroups,
 * setgid, setuid, and open-file-description locks (F_OFD_SETLK), through
 * koffi. An OFD lock belongs to the open file, so it survives execve as
 * long as the descriptor stays open, which is what a pidfile needs.
 */
import { loadLibc } from './libc.js';

const F_GETFD = 1;
const F_SETFD = 2;
const F_OFD_SETLK = 37;
const F_WRLCK = 1;

/** Becomes user (with its groups) and group; throws naming the call that failed. */
export function becomeUser(user: string, uid: number, gid: number): void {
  const l = loadLibc();
  if (l.initgroups(user, gid) !== 0) throw new Error(`initgroups(${user}) failed`);
  if (l.setgid(gid) !== 0) throw new Error(`setgid(${gid}) failed`);
  if (l.setuid(uid) !== 0) throw new Error(`setuid(${uid}) failed`);
}

/** A write lock on the whole file; false when another open file holds one. */
export function lockFile(fd: number): boolean {
  // struct flock on LP64: short l_type, short l_whence, (pad), off_t l_start, off_t l_len, pid_t l_pid (0 for OFD)
  const fl = Buffer.alloc(32);
  fl.writeInt16LE(F_WRLCK, 0);
  return loadLibc().fcntl(fd, F_OFD_SETLK, 'void *', fl) === 0;
}

/** Keeps fd open across execve (clears FD_CLOEXEC). */
export function keepOnExec(fd: number): void {
  const l = loadLibc();
  const flags = l.fcntl(fd, F_GETFD, 'int', 0);
  if (flags >= 0) l.fcntl(fd, F_SETFD, 'int', flags & ~1);
}

export function sync(): void {
  loadLibc().sync();
}

export function syncfs(fd: number): boolean {
  return loadLibc().syncfs(fd) === 0;
}

/**
 * Replaces this process with path (same PID, same open files that are not
 * close-on-exec), as a freshly forked C program would: fds 0-2 kept (libuv
 * marks them close-on-exec), every signal at its default (Node ignores
 * SIGPIPE, and ignored signals survive exec) and none blocked. Returns only
 * if execve failed.
 */
export function execInPlace(path: string, argv: string[], env: NodeJS.ProcessEnv): void {
  const l = loadLibc();
  for (const fd of [0, 1, 2]) l.fcntl(fd, F_SETFD, 'int', 0);
  for (let sig = 1; sig < 32; sig++) if (sig !== 9 && sig !== 19) l.signal(sig, null);
  l.sigprocmask(2, Buffer.alloc(128), null); // SIG_SETMASK to the empty set
  l.execve(path, [...argv, null], [...Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}`), null]);
}

/** This process gets sig when its parent dies (prctl PR_SET_PDEATHSIG): a part that must not outlive the other. */
export function dieWithParent(sig = 15): boolean {
  return loadLibc().prctl(1, sig, 0, 0, 0) === 0;
}

/** Orphans of our descendants become our children (prctl PR_SET_CHILD_SUBREAPER). */
export function becomeSubreaper(): boolean {
  return loadLibc().prctl(36, 1, 0, 0, 0) === 0;
}

/** waitpid(pid, WNOHANG): the raw status when pid was reaped now, else undefined. */
export function reapNow(pid: number): number | undefined {
  const st = [0];
  return loadLibc().waitpid(pid, st, 1) === pid ? st[0] : undefined;
}
