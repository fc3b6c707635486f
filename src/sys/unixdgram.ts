/** Sending datagrams to an AF_UNIX socket (Node's dgram module has no unix family). */
import { createRequire } from 'node:module';

declare const require: NodeJS.Require | undefined;

interface Lib {
  socket(d: number, t: number, p: number): number;
  connect(fd: number, addr: Buffer, len: number): number;
  send(fd: number, buf: Buffer, len: number, flags: number): number;
  close(fd: number): number;
}
let lib: Lib | undefined;

function load(): Lib {
  if (lib) return lib;
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const koffi = req('koffi') as { load(n: string): { func(s: string): (...a: unknown[]) => number } };
  const c = koffi.load('libc.so.6');
  lib = {
    socket: c.func('int socket(int, int, int)') as Lib['socket'],
    connect: c.func('int connect(int, void *, uint32_t)') as Lib['connect'],
    send: c.func('long send(int, void *, size_t, int)') as Lib['send'],
    close: c.func('int close(int)') as Lib['close'],
  };
  return lib;
}

/** A connected AF_UNIX datagram socket; send returns false when the message was not taken. */
export class UnixDatagramClient {
  private fd = -1;
  constructor(private readonly path: string) {}

  connect(): boolean {
    const c = load();
    if (this.fd >= 0) return true;
    const fd = c.socket(1, 2 | 0o2000000, 0);
    if (fd < 0) return false;
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(1, 0);
    Buffer.from(this.path).copy(addr, 2);
    if (c.connect(fd, addr, 2 + Buffer.byteLength(this.path) + 1) < 0) {
      c.close(fd);
      return false;
    }
    this.fd = fd;
    return true;
  }

  /**
   * block false (MSG_DONTWAIT): a full receiver queue refuses the message
   * instead of stopping the caller; a command-line logger may wait (block true).
   */
  send(msg: Buffer, block = false): boolean {
    if (!this.connect()) return false;
    const flags = 0x4000 | (block ? 0 : 0x40); // MSG_NOSIGNAL [| MSG_DONTWAIT]
    if (load().send(this.fd, msg, msg.length, flags) >= 0) return true;
    // the daemon may have restarted: one reconnect
    this.close();
    return this.connect() && load().send(this.fd, msg, msg.length, flags) >= 0;
  }

  close(): void {
    if (this.fd >= 0) load().close(this.fd);
    this.fd = -1;
  }
}
