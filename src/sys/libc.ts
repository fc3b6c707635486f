/**
 * The few libc calls Node does not offer, through koffi (loaded on first
 * use, so commands that never need them do not pay for it).
 */
import { createRequire } from 'node:module';

type Fn<A extends unknown[], R> = (...args: A) => R;
declare const require: NodeJS.Require | undefined;

export interface Libc {
  socket: Fn<[number, number, number], number>;
  send: Fn<[number, Buffer, number, number], number>;
  recv: Fn<[number, Buffer, number, number], number>;
  close: Fn<[number], number>;
}

let libc: Libc | undefined;

export function loadLibc(): Libc {
  if (libc) return libc;
  // koffi is CommonJS with a native addon, loaded only here. In the CommonJS
  // bundle require exists; in the ES modules (library, tests) make one.
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const koffi = req('koffi') as { load(name: string): { func(sig: string): (...a: unknown[]) => unknown } };
  const lib = koffi.load('libc.so.6');
  libc = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Libc['socket'],
    send: lib.func('long send(int fd, void *buf, size_t len, int flags)') as Libc['send'],
    recv: lib.func('long recv(int fd, _Out_ void *buf, size_t len, int flags)') as Libc['recv'],
    close: lib.func('int close(int fd)') as Libc['close'],
  };
  return libc;
}
