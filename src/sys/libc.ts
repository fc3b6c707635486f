/**
 * The few libc calls Node does not offer, through koffi (loaded on first
 * use, so commands that never need them do not pay for it).
 */
import { createRequire } from 'node:module';

type Fn<A extends unknown[], R> = ((...args: A) => R) & { async(...a: [...A, (err: unknown, r: R) => void]): void };
declare const require: NodeJS.Require | undefined;

export interface Libc {
  socket: Fn<[number, number, number], number>;
  bind: Fn<[number, Buffer, number], number>;
  listen: Fn<[number, number], number>;
  setsockopt: Fn<[number, number, number, Buffer, number], number>;
  getsockname: Fn<[number, Buffer, Buffer], number>;
  getsockopt: Fn<[number, number, number, Buffer, Buffer], number>;
  recvfrom: Fn<[number, Buffer, number, number, Buffer, Buffer], number>;
  inet_pton: Fn<[number, string, Buffer], number>;
  send: Fn<[number, Buffer, number, number], number>;
  recv: Fn<[number, Buffer, number, number], number>;
  read: Fn<[number, Buffer, number], number>;
  openat: Fn<[number, string, number], number>;
  readlinkat: Fn<[number, string, Buffer, number], number>;
  /** readlinkat with the path as bytes (NUL-terminated, in a buffer we already hold) */
  readlinkatBytes: Fn<[number, Buffer, Buffer, number], number>;
  openatBytes: Fn<[number, Buffer, number], number>;
  write: Fn<[number, Buffer, number], number>;
  poll: Fn<[Buffer, number, number], number>;
  eventfd: Fn<[number, number], number>;
  prlimit: Fn<[number, number, Buffer | null, Buffer | null], number>;
  sched_getaffinity: Fn<[number, number, Buffer], number>;
  getloadavg: Fn<[Buffer, number], number>;
  sched_setaffinity: Fn<[number, number, Buffer], number>;
  fcntl: Fn<[number, number, string, number | Buffer], number>;
  close: Fn<[number], number>;
  connect: Fn<[number, Buffer, number], number>;
  accept4: Fn<[number, null, null, number], number>;
  /** errno as the last call through koffi left it */
  errno: () => number;
  kill: Fn<[number, number], number>;
  initgroups: Fn<[string, number], number>;
  setgid: Fn<[number], number>;
  setuid: Fn<[number], number>;
  sync: Fn<[], void>;
  syncfs: Fn<[number], number>;
  reboot: Fn<[number], number>;
  umount2: Fn<[string, number], number>;
  mount: Fn<[string | null, string, string | null, number, null], number>;
  signal: Fn<[number, null], unknown>;
  sigprocmask: Fn<[number, Buffer, null], number>;
  sigfillset: Fn<[Buffer], number>;
  sigemptyset: Fn<[Buffer], number>;
  execve: Fn<[string, (string | null)[], (string | null)[]], number>;
  prctl: Fn<[number, number, number, number, number], number>;
  /** prctl with a string argument (PR_SET_NAME) */
  prctlName: Fn<[number, string, number, number, number], number>;
  waitpid: Fn<[number, number[], number], number>;
  pidfd_open: Fn<[number, number], number>;
  getxattr: Fn<[string, string, Buffer, number], number>;
  /** syscall(2), variadic: each argument after the number is given with its type ('int', 'unsigned long') */
  syscall: Fn<[number, ...(string | number | Buffer)[]], number>;
  posix_spawn: Fn<[number[], string, Buffer, Buffer, (string | null)[], (string | null)[]], number>;
  posix_spawn_file_actions_init: Fn<[Buffer], number>;
  posix_spawn_file_actions_adddup2: Fn<[Buffer, number, number], number>;
  posix_spawn_file_actions_destroy: Fn<[Buffer], number>;
  posix_spawnattr_init: Fn<[Buffer], number>;
  posix_spawnattr_setflags: Fn<[Buffer, number], number>;
  posix_spawnattr_setsigdefault: Fn<[Buffer, Buffer], number>;
  posix_spawnattr_setsigmask: Fn<[Buffer, Buffer], number>;
  socketpair: Fn<[number, number, number, number[]], number>;
  /** msghdr in native memory (nativeMemory): its pointers must stay put during the call */
  sendmsg: Fn<[number, unknown, number], number>;
  recvmsg: Fn<[number, unknown, number], number>;
}

/** Native memory that stays put (for structures that hold pointers): the pointer, its address, views of it. */
export interface NativeMemory {
  ptr: unknown;
  address: bigint;
  view: DataView;
  bytes: Uint8Array;
}

export function nativeMemory(size: number): NativeMemory {
  loadLibc();
  const ptr = koffiModule!.alloc('uint8_t', size);
  const view = new DataView(koffiModule!.view(ptr, size));
  return { ptr, address: koffiModule!.address(ptr), view, bytes: new Uint8Array(view.buffer) };
}

let koffiModule: { alloc(type: string, n: number): unknown; address(p: unknown): bigint; view(p: unknown, len: number): ArrayBuffer } | undefined;

let libc: Libc | undefined;

export function loadLibc(): Libc {
  if (libc) return libc;
  // koffi is CommonJS with a native addon, loaded only here. In the CommonJS
  // bundle require exists; in the ES modules (library, tests) make one.
  // (import.meta.url first: a script run with node -e has a global require that resolves from the cwd)
  const here = import.meta.url as string | undefined;
  const req = here ? createRequire(here) : (require as NodeJS.Require);
  const koffi = req('koffi') as { load(name: string): { func(sig: string): unknown }; errno(): number } & NonNullable<typeof koffiModule>;
  koffiModule = koffi;
  const lib = koffi.load('libc.so.6');
  const f = <T>(sig: string) => lib.func(sig) as T;
  libc = {
    socket: f('int socket(int domain, int type, int protocol)'),
    bind: f('int bind(int fd, void *addr, uint32_t len)'),
    listen: f('int listen(int fd, int backlog)'),
    setsockopt: f('int setsockopt(int fd, int level, int name, void *val, uint32_t len)'),
    getsockname: f('int getsockname(int fd, _Out_ void *addr, _Inout_ void *len)'),
    getsockopt: f('int getsockopt(int fd, int level, int name, _Out_ void *val, _Inout_ void *len)'),
    recvfrom: f('long recvfrom(int fd, _Out_ void *buf, size_t len, int flags, _Out_ void *addr, _Inout_ void *alen)'),
    inet_pton: f('int inet_pton(int af, const char *src, _Out_ void *dst)'),
    send: f('long send(int fd, void *buf, size_t len, int flags)'),
    recv: f('long recv(int fd, _Out_ void *buf, size_t len, int flags)'),
    read: f('long read(int fd, _Out_ void *buf, size_t len)'),
    openat: f('int openat(int dirfd, const char *path, int flags)'),
    readlinkat: f('long readlinkat(int dirfd, const char *path, _Out_ void *buf, size_t len)'),
    readlinkatBytes: f('long readlinkat(int dirfd, const void *path, _Out_ void *buf, size_t len)'),
    openatBytes: f('int openat(int dirfd, const void *path, int flags)'),
    write: f('long write(int fd, void *buf, size_t len)'),
    poll: f('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)'),
    eventfd: f('int eventfd(unsigned int initval, int flags)'),
    prlimit: f('int prlimit(int pid, int resource, void *newlim, _Out_ void *oldlim)'),
    getloadavg: f('int getloadavg(_Out_ void *loadavg, int nelem)'),
    sched_getaffinity: f('int sched_getaffinity(int pid, size_t size, _Out_ void *mask)'),
    sched_setaffinity: f('int sched_setaffinity(int pid, size_t size, void *mask)'),
    // variadic: the third argument's type is given with it ('int')
    fcntl: f('int fcntl(int fd, int cmd, ...)'),
    close: f('int close(int fd)'),
    connect: f('int connect(int fd, void *addr, uint32_t len)'),
    accept4: f('int accept4(int fd, void *addr, void *alen, int flags)'),
    errno: () => koffi.errno(),
    kill: f('int kill(int pid, int sig)'),
    initgroups: f('int initgroups(const char *user, unsigned int gid)'),
    setgid: f('int setgid(unsigned int gid)'),
    setuid: f('int setuid(unsigned int uid)'),
    sync: f('void sync(void)'),
    syncfs: f('int syncfs(int fd)'),
    reboot: f('int reboot(int cmd)'),
    umount2: f('int umount2(const char *target, int flags)'),
    mount: f('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)'),
    signal: f('void *signal(int sig, void *handler)'),
    sigprocmask: f('int sigprocmask(int how, void *set, void *old)'),
    sigfillset: f('int sigfillset(void *set)'),
    sigemptyset: f('int sigemptyset(void *set)'),
    execve: f('int execve(const char *path, const char **argv, const char **envp)'),
    prctl: f('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
    prctlName: f('int prctl(int option, const char *name, unsigned long a3, unsigned long a4, unsigned long a5)'),
    waitpid: f('int waitpid(int pid, _Out_ int *status, int options)'),
    pidfd_open: f('int pidfd_open(int pid, unsigned int flags)'),
    getxattr: f('long getxattr(const char *path, const char *name, _Out_ void *value, size_t size)'),
    syscall: f('long syscall(long nr, ...)'),
    posix_spawn: f('int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)'),
    posix_spawn_file_actions_init: f('int posix_spawn_file_actions_init(void *fa)'),
    posix_spawn_file_actions_adddup2: f('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)'),
    posix_spawn_file_actions_destroy: f('int posix_spawn_file_actions_destroy(void *fa)'),
    posix_spawnattr_init: f('int posix_spawnattr_init(void *attr)'),
    posix_spawnattr_setflags: f('int posix_spawnattr_setflags(void *attr, short flags)'),
    posix_spawnattr_setsigdefault: f('int posix_spawnattr_setsigdefault(void *attr, void *set)'),
    posix_spawnattr_setsigmask: f('int posix_spawnattr_setsigmask(void *attr, void *set)'),
    socketpair: f('int socketpair(int domain, int type, int protocol, _Out_ int *sv)'),
    sendmsg: f('long sendmsg(int fd, void *msg, int flags)'),
    recvmsg: f('long recvmsg(int fd, void *msg, int flags)'),
  };
  return libc;
}
