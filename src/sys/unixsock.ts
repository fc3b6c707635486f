/**
 * The local log socket (/dev/log style, AF_UNIX datagrams). libuv cannot
 * receive on AF_UNIX datagram sockets, so readiness is waited for with
 * poll(2) run asynchronously by koffi (off the main thread, but without a
 * second JavaScript heap as a worker thread would cost), and the datagrams
 * are then taken up to 64 at a time with one recvmmsg(2) on the main
 * thread into native memory laid out once. With SO_PASSCRED each datagram
 * carries the sender's pid, uid and gid, which we keep.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { removeStaleSocket } from './stalesocket.js';

declare const require: NodeJS.Require | undefined;

interface Koffi {
  load(n: string): { func(s: string): KFn };
  alloc(type: string, n: number): unknown;
  free(p: unknown): void;
  address(p: unknown): bigint;
  view(p: unknown, len: number): ArrayBuffer;
}
type KFn = ((...a: unknown[]) => number) & { async(...a: unknown[]): void };

interface SockLib {
  koffi: Koffi;
  socket: KFn;
  bind: KFn;
  setsockopt: KFn;
  shutdown: KFn;
  close: KFn;
  poll: KFn;
  recvmmsg: KFn;
}

let lib: SockLib | undefined;
function sockLib(): SockLib {
  if (lib) return lib;
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const koffi = req('koffi') as Koffi;
  const c = koffi.load('libc.so.6');
  lib = {
    koffi,
    socket: c.func('int socket(int, int, int)'),
    bind: c.func('int bind(int, void *, uint32_t)'),
    setsockopt: c.func('int setsockopt(int, int, int, void *, uint32_t)'),
    shutdown: c.func('int shutdown(int, int)'),
    close: c.func('int close(int)'),
    poll: c.func('int poll(void *fds, unsigned long nfds, int timeout)'),
    recvmmsg: c.func('int recvmmsg(int fd, void *msgvec, unsigned int vlen, int flags, void *timeout)'),
  };
  return lib;
}

// struct mmsghdr on LP64 Linux: msghdr (56 bytes) + msg_len (4) + padding
const HDR = 64;
const IOV = 16;
const CTL = 32; // CMSG_SPACE(sizeof(struct ucred))
// net.unix.max_dgram_qlen is 10 by default (512 under systemd): 64 per call is plenty
const SLOTS = 64;
const MSG_DONTWAIT = 0x40;

/**
 * Walks a batch laid out as [len u32][pid i32][uid u32][gid u32][bytes]...,
 * handing each datagram on as a range of the batch (no copy); pid/uid are
 * undefined when not sent.
 */
export function forEachDatagram(
  batch: Buffer,
  count: number,
  fn: (b: Buffer, start: number, end: number, pid: number | undefined, uid: number | undefined) => void,
): void {
  let o = 0;
  for (let i = 0; i < count; i++) {
    const len = batch.readUInt32LE(o);
    const pid = batch.readInt32LE(o + 4);
    const uid = batch.readUInt32LE(o + 8);
    fn(batch, o + 16, o + 16 + len, pid < 0 ? undefined : pid, uid === 0xffffffff ? undefined : uid);
    o += 16 + len;
  }
}

export class UnixLogSocket {
  private closed = false;
  private paused = false;
  private polling = false;
  private idle: (() => void) | undefined;
  private readonly pfd = Buffer.alloc(8);
  private readonly mem: unknown;
  private readonly dv: DataView;
  private readonly u8: Uint8Array;
  private readonly dataOff: number;
  private readonly slot: number;
  /** slots the last recvmmsg filled */
  private used = 0;
  received = 0;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly max: number,
    private readonly onBatch: (batch: Buffer, count: number) => void,
  ) {
    const { koffi } = sockLib();
    this.slot = max + 1; // one byte more than we keep tells a cut datagram
    const iovOff = SLOTS * HDR;
    const ctlOff = iovOff + SLOTS * IOV;
    this.dataOff = ctlOff + SLOTS * CTL;
    const total = this.dataOff + SLOTS * this.slot;
    this.mem = koffi.alloc('uint8_t', total);
    const base = koffi.address(this.mem);
    this.dv = new DataView(koffi.view(this.mem, total));
    this.u8 = new Uint8Array(this.dv.buffer);
    for (let i = 0; i < SLOTS; i++) {
      const h = i * HDR;
      this.dv.setBigUint64(h + 16, base + BigInt(iovOff + i * IOV), true); // msg_iov
      this.dv.setBigUint64(h + 24, 1n, true); // msg_iovlen
      this.dv.setBigUint64(h + 32, base + BigInt(ctlOff + i * CTL), true); // msg_control
      this.dv.setBigUint64(h + 40, BigInt(CTL), true); // msg_controllen
      this.dv.setBigUint64(iovOff + i * IOV, base + BigInt(this.dataOff + i * this.slot), true);
      this.dv.setBigUint64(iovOff + i * IOV + 8, BigInt(this.slot), true);
    }
    this.pfd.writeInt32LE(fd, 0);
    this.pfd.writeInt16LE(1, 4); // POLLIN
    this.wait();
  }

  /** Binds path (replacing a stale socket file, never anything else) and starts receiving. */
  static open(path: string, max: number, onBatch: (batch: Buffer, count: number) => void): UnixLogSocket {
    return new UnixLogSocket(path, bindLogSocket(path), max, onBatch);
  }

  /** Receives on a socket bound already (by dk syslogd's privileged part, see privsep/). */
  static adopt(path: string, fd: number, max: number, onBatch: (batch: Buffer, count: number) => void): UnixLogSocket {
    return new UnixLogSocket(path, fd, max, onBatch);
  }

  /** poll(2) off the main thread until datagrams wait, then take them here. */
  private wait(): void {
    if (this.polling || this.paused) return;
    if (this.closed) return this.idle?.();
    this.polling = true;
    sockLib().poll.async(this.pfd, 1, 250, (_err: unknown, r: number) => {
      this.polling = false;
      if (r > 0 && !this.paused) this.drain(64);
      this.wait();
    });
  }

  /** Up to rounds recvmmsg calls of SLOTS datagrams; each call's datagrams go out as one batch. */
  private drain(rounds: number): void {
    const { dv, u8 } = this;
    for (let round = 0; round < rounds && !this.paused; round++) {
      // the kernel overwrote msg_controllen and msg_flags of the slots it filled last time
      for (let i = 0; i < this.used; i++) {
        dv.setUint32(i * HDR + 40, CTL, true);
        dv.setInt32(i * HDR + 48, 0, true);
      }
      const n = sockLib().recvmmsg(this.fd, this.mem, SLOTS, MSG_DONTWAIT, null);
      this.used = Math.max(n, 0);
      if (n <= 0) return;
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += 16 + Math.min(dv.getUint32(i * HDR + 56, true), this.max);
      const batch = Buffer.allocUnsafe(bytes);
      let o = 0;
      for (let i = 0; i < n; i++) {
        const h = i * HDR;
        const len = Math.min(dv.getUint32(h + 56, true), this.max);
        let pid = -1;
        let uid = 0xffffffff;
        let gid = 0xffffffff;
        // SCM_CREDENTIALS: cmsg_len (8) level (4) type (4), then pid uid gid
        const ctl = SLOTS * HDR + SLOTS * IOV + i * CTL;
        if (dv.getUint32(h + 40, true) >= 28 && dv.getInt32(ctl + 8, true) === 1 && dv.getInt32(ctl + 12, true) === 2) {
          pid = dv.getInt32(ctl + 16, true);
          uid = dv.getUint32(ctl + 20, true);
          gid = dv.getUint32(ctl + 24, true);
        }
        batch.writeUInt32LE(len, o);
        batch.writeInt32LE(pid, o + 4);
        batch.writeUInt32LE(uid, o + 8);
        batch.writeUInt32LE(gid, o + 12);
        const from = this.dataOff + i * this.slot;
        batch.set(u8.subarray(from, from + len), o + 16);
        o += 16 + len;
      }
      this.received += n;
      this.onBatch(batch, n);
      // the socket queue is short (net.unix.max_dgram_qlen, often 10): senders refill
      // it while we work, so keep taking until it is empty before waiting again
    }
  }

  /** Stops or resumes receiving (the daemon's outputs are behind): blocking senders then wait. */
  pause(on: boolean): void {
    this.paused = on;
    if (!on) this.wait();
  }

  /** Takes what is already queued, then closes and removes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.paused = false;
    const s = sockLib();
    // wakes the poll at once instead of at its timeout
    s.shutdown(this.fd, 0);
    if (this.polling) await new Promise<void>((r) => (this.idle = r));
    this.drain(1 << 20);
    s.close(this.fd);
    s.koffi.free(this.mem);
    try {
      fs.unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

/**
 * The log socket at path: bound (a stale socket file replaced, never
 * anything else), open to every local sender, with the senders'
 * credentials and an 8 MiB receive buffer. Returns its descriptor.
 */
export function bindLogSocket(path: string): number {
  const s = sockLib();
  removeStaleSocket(path);
  const AF_UNIX = 1;
  const SOCK_DGRAM = 2;
  const SOCK_CLOEXEC = 0o2000000;
  const fd = s.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error(`socket(AF_UNIX) failed for ${path}`);
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  const p = Buffer.from(path);
  if (p.length > 107) throw new Error(`socket path too long: ${path}`);
  p.copy(addr, 2);
  if (s.bind(fd, addr, 2 + p.length + 1) < 0) {
    s.close(fd);
    throw new Error(`cannot bind ${path}`);
  }
  fs.chmodSync(path, 0o666);
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  s.setsockopt(fd, 1, 16, one, 4); // SOL_SOCKET, SO_PASSCRED
  const size = Buffer.alloc(4);
  size.writeInt32LE(8 << 20);
  s.setsockopt(fd, 1, 8, size, 4); // SO_RCVBUF: 8 MiB (doubled by the kernel, capped by rmem_max)
  return fd;
}
