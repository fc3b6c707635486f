/**
 * Process credentials and file locks Node does not offer: initgroups,
 * setgid, setuid, and open-file-description locks (F_OFD_SETLK), through
 * koffi. An OFD lock belongs to the open file, so it survives execve as
 * long as the descriptor stays open, which is what a pidfile needs.
 */
import { createRequire } from 'node:module';

declare const require: NodeJS.Require | undefined;
type KFn = (...a: unknown[]) => number;
interface Lib {
  initgroups: KFn;
  setgid: KFn;
  setuid: KFn;
  fcntl: KFn;
  sync: KFn;
  syncfs: KFn;
  signal: KFn;
  sigprocmask: KFn;
  execve: KFn;
  prctl: KFn;
  waitpid: KFn;
}
let lib: Lib | undefined;

function load(): Lib {
  if (lib) return lib;
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const koffi = req('koffi') as { load(n: string): { func(s: string): KFn } };
  const c = koffi.load('libc.so.6');
  lib = {
    initgroups: c.func('int initgroups(const char *user, unsigned int gid)'),
    setgid: c.func('int setgid(unsigned int gid)'),
    setuid: c.func('int setuid(unsigned int uid)'),
    fcntl: c.func('int fcntl(int fd, int cmd, ...)'),
    sync: c.func('void sync(void)'),
    syncfs: c.func('int syncfs(int fd)'),
    signal: c.func('void *signal(int sig, void *handler)'),
    sigprocmask: c.func('int sigprocmask(int how, void *set, void *old)'),
    execve: c.func('int execve(const char *path, const char **argv, const char **envp)'),
    prctl: c.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
    waitpid: c.func('int waitpid(int pid, _Out_ int *status, int options)'),
  };
  return lib;
}

const F_GETFD = 1;
const F_SETFD = 2;
const F_OFD_SETLK = 37;
const F_WRLCK = 1;

/** Becomes user (with its groups) and group; throws naming the call that failed. */
export function becomeUser(user: string, uid: number, gid: number): void {
  const l = load();
  if (l.initgroups(user, gid) !== 0) throw new Error(`initgroups(${user}) failed`);
  if (l.setgid(gid) !== 0) throw new Error(`setgid(${gid}) failed`);
  if (l.setuid(uid) !== 0) throw new Error(`setuid(${uid}) failed`);
}

/** A write lock on the whole file; false when another open file holds one. */
export function lockFile(fd: number): boolean {
  // struct flock on LP64: short l_type, short l_whence, (pad), off_t l_start, off_t l_len, pid_t l_pid (0 for OFD)
  const fl = Buffer.alloc(32);
  fl.writeInt16LE(F_WRLCK, 0);
  return load().fcntl(fd, F_OFD_SETLK, 'void *', fl) === 0;
}

/** Keeps fd open across execve (clears FD_CLOEXEC). */
export function keepOnExec(fd: number): void {
  const l = load();
  const flags = l.fcntl(fd, F_GETFD, 'int', 0);
  if (flags >= 0) l.fcntl(fd, F_SETFD, 'int', flags & ~1);
}

export function sync(): void {
  load().sync();
}

export function syncfs(fd: number): boolean {
  return load().syncfs(fd) === 0;
}

/**
 * Replaces this process with path (same PID, same open files that are not
 * close-on-exec), as a freshly forked C program would: fds 0-2 kept (libuv
 * marks them close-on-exec), every signal at its default (Node ignores
 * SIGPIPE, and ignored signals survive exec) and none blocked. Returns only
 * if execve failed.
 */
export function execInPlace(path: string, argv: string[], env: NodeJS.ProcessEnv): void {
  const l = load();
  for (const fd of [0, 1, 2]) l.fcntl(fd, F_SETFD, 'int', 0);
  for (let sig = 1; sig < 32; sig++) if (sig !== 9 && sig !== 19) l.signal(sig, null);
  l.sigprocmask(2, Buffer.alloc(128), null); // SIG_SETMASK to the empty set
  l.execve(path, [...argv, null], [...Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}`), null]);
}

/** Orphans of our descendants become our children (prctl PR_SET_CHILD_SUBREAPER). */
export function becomeSubreaper(): boolean {
  return load().prctl(36, 1, 0, 0, 0) === 0;
}

/** waitpid(pid, WNOHANG): the raw status when pid was reaped now, else undefined. */
export function reapNow(pid: number): number | undefined {
  const st = [0];
  return load().waitpid(pid, st, 1) === pid ? st[0] : undefined;
}
