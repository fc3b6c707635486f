/**
 * The local log socket (/dev/log style, AF_UNIX datagrams). libuv cannot
 * receive on AF_UNIX datagram sockets, so, as measured in DESIGN.md, a worker
 * thread does blocking-with-timeout receives through koffi and hands batches
 * to the main thread. With SO_PASSCRED each datagram carries the sender's
 * pid, uid and gid, which we keep.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

declare const require: NodeJS.Require | undefined;

export interface Datagram {
  data: Buffer;
  pid?: number;
  uid?: number;
  gid?: number;
}

// The worker is plain JavaScript so it runs the same from the bundle and from
// the compiled modules. Batches are flattened into one ArrayBuffer:
// [len u32][pid i32][uid u32][gid u32][bytes]... transferred, not copied.
const WORKER = `
const { parentPort, workerData } = require('worker_threads');
const koffi = require(workerData.koffi);
const lib = koffi.load('libc.so.6');
const pollfd = koffi.struct('pollfd', { fd: 'int', events: 'short', revents: 'short' });
const poll = lib.func('int poll(_Inout_ pollfd *fds, unsigned long nfds, int timeout)');
const iovec = koffi.struct('iovec', { base: 'void *', len: 'size_t' });
const msghdr = koffi.struct('msghdr', { name: 'void *', namelen: 'uint32_t', iov: 'iovec *', iovlen: 'size_t', control: 'void *', controllen: 'size_t', flags: 'int' });
const recvmsg = lib.func('long recvmsg(int fd, _Inout_ msghdr *msg, int flags)');
const fd = workerData.fd;
const stop = new Int32Array(workerData.stop);
const paused = new Int32Array(workerData.paused);
const MAX = workerData.max;
const data = Buffer.alloc(MAX + 1);
const control = Buffer.alloc(64);
const MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20;
let batch = [];
let bytes = 0;
const flush = () => {
  if (!batch.length) return;
  const out = new ArrayBuffer(bytes + batch.length * 16);
  const view = new DataView(out);
  const u8 = new Uint8Array(out);
  let o = 0;
  for (const m of batch) {
    view.setUint32(o, m.data.length, true); view.setInt32(o + 4, m.pid, true); view.setUint32(o + 8, m.uid, true); view.setUint32(o + 12, m.gid, true);
    u8.set(m.data, o + 16);
    o += 16 + m.data.length;
  }
  parentPort.postMessage({ batch: out, count: batch.length }, [out]);
  batch = []; bytes = 0;
};
while (!Atomics.load(stop, 0)) {
  // paused by the daemon: the kernel queue fills and blocking senders wait
  if (Atomics.load(paused, 0)) { flush(); Atomics.wait(paused, 0, 1, 200); continue; }
  const p = { fd, events: 1, revents: 0 };
  const r = poll(p, 1, 200);
  if (r <= 0) { flush(); continue; }
  for (let i = 0; i < 4096; i++) {
    const iov = { base: data, len: MAX + 1 };
    const mh = { name: null, namelen: 0, iov: [iov], iovlen: 1, control, controllen: control.length, flags: 0 };
    const n = recvmsg(fd, mh, MSG_DONTWAIT);
    if (n < 0) break;
    let pid = -1, uid = 0xffffffff, gid = 0xffffffff;
    // SCM_CREDENTIALS: cmsg_len (8) level (4) type (4) then pid uid gid
    if (mh.controllen >= 28 && control.readInt32LE(8) === 1 && control.readInt32LE(12) === 2) {
      pid = control.readInt32LE(16); uid = control.readUInt32LE(20); gid = control.readUInt32LE(24);
    }
    const len = Math.min(n, MAX);
    const copy = Buffer.from(data.subarray(0, len));
    batch.push({ data: copy, pid, uid, gid, truncated: n > MAX });
    bytes += len;
    if (batch.length >= 512) flush();
  }
  flush();
}
flush();
parentPort.postMessage({ done: true });
`;

function koffiPath(): string {
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  return req.resolve('koffi');
}

interface SockLib {
  socket(d: number, t: number, p: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  setsockopt(fd: number, level: number, name: number, val: Buffer, len: number): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
}

let lib: SockLib | undefined;
function sockLib(): SockLib {
  if (lib) return lib;
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const koffi = req('koffi') as { load(n: string): { func(s: string): (...a: unknown[]) => number } };
  const c = koffi.load('libc.so.6');
  lib = {
    socket: c.func('int socket(int, int, int)') as SockLib['socket'],
    bind: c.func('int bind(int, void *, uint32_t)') as SockLib['bind'],
    setsockopt: c.func('int setsockopt(int, int, int, void *, uint32_t)') as SockLib['setsockopt'],
    shutdown: c.func('int shutdown(int, int)') as SockLib['shutdown'],
    close: c.func('int close(int)') as SockLib['close'],
  };
  return lib;
}

export class UnixLogSocket {
  private readonly worker: Worker;
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  private readonly paused = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;
  received = 0;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    max: number,
    onBatch: (msgs: Datagram[]) => void,
  ) {
    this.worker = new Worker(WORKER, { eval: true, workerData: { fd, stop: this.stop.buffer, paused: this.paused.buffer, max, koffi: koffiPath() } });
    this.worker.on('message', (m: { batch?: ArrayBuffer; count?: number; done?: boolean }) => {
      if (!m.batch) return;
      const view = new DataView(m.batch);
      const out: Datagram[] = [];
      let o = 0;
      for (let i = 0; i < (m.count ?? 0); i++) {
        const len = view.getUint32(o, true);
        const pid = view.getInt32(o + 4, true);
        const uid = view.getUint32(o + 8, true);
        const gid = view.getUint32(o + 12, true);
        out.push({ data: Buffer.from(m.batch, o + 16, len), pid: pid < 0 ? undefined : pid, uid: uid === 0xffffffff ? undefined : uid, gid: gid === 0xffffffff ? undefined : gid });
        o += 16 + len;
      }
      this.received += out.length;
      onBatch(out);
    });
  }

  /** Binds path (replacing a stale socket file, never anything else) and starts receiving. */
  static open(path: string, max: number, onBatch: (msgs: Datagram[]) => void): UnixLogSocket {
    const s = sockLib();
    try {
      if (fs.lstatSync(path).isSocket()) fs.unlinkSync(path);
    } catch {
      // nothing there
    }
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
    return new UnixLogSocket(path, fd, max, onBatch);
  }

  /** Stops or resumes receiving (the daemon's outputs are behind). */
  pause(on: boolean): void {
    Atomics.store(this.paused, 0, on ? 1 : 0);
    if (!on) Atomics.notify(this.paused, 0);
  }

  /** Stops the worker after it drained what was queued, then closes and removes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.stop, 0, 1);
    this.pause(false);
    await new Promise<void>((resolve) => {
      this.worker.on('message', (m: { done?: boolean }) => m.done && resolve());
      this.worker.once('exit', () => resolve());
    });
    await this.worker.terminate();
    sockLib().close(this.fd);
    try {
      fs.unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
