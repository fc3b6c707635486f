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
  write: Fn<[number, Buffer, number], number>;
  poll: Fn<[Buffer, number, number], number>;
  eventfd: Fn<[number, number], number>;
  prlimit: Fn<[number, number, Buffer, null], number>;
  fcntl: Fn<[number, number, string, number], number>;
  close: Fn<[number], number>;
}

let libc: Libc | undefined;

export function loadLibc(): Libc {
  if (libc) return libc;
  // koffi is CommonJS with a native addon, loaded only here. In the CommonJS
  // bundle require exists; in the ES modules (library, tests) make one.
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const koffi = req('koffi') as { load(name: string): { func(sig: string): unknown } };
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
    write: f('long write(int fd, void *buf, size_t len)'),
    poll: f('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)'),
    eventfd: f('int eventfd(unsigned int initval, int flags)'),
    prlimit: f('int prlimit(int pid, int resource, void *newlim, void *oldlim)'),
    // variadic: the third argument's type is given with it ('int')
    fcntl: f('int fcntl(int fd, int cmd, ...)'),
    close: f('int close(int fd)'),
  };
  return libc;
}
