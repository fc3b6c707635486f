/**
 * Descriptors passed between processes over an AF_UNIX SOCK_SEQPACKET pair
 * (SCM_RIGHTS), which Node cannot do for plain files: dk syslogd's
 * privileged part opens files by name and hands the descriptors to the
 * unprivileged part. Each message is one packet of at most 4 KiB with at
 * most one descriptor. Calls go through koffi; recvAsync waits on a
 * worker thread so the waiting process still handles its signals.
 */
import { loadLibc, nativeMemory, type NativeMemory } from './libc.js';

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MAX = 4096;
const MSG_CMSG_CLOEXEC = 0x40000000;
// struct msghdr (56) | struct iovec (16) | control: CMSG_SPACE(sizeof(int)) = 24 | data
const IOV = 56;
const CTL = IOV + 16;
const DATA = CTL + 24;

/** A connected pair; both ends close on exec (give one to a child through spawn's stdio). */
export function seqpacketPair(): [number, number] {
  const sv = [0, 0];
  if (loadLibc().socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) !== 0) throw new Error(`socketpair failed (errno ${loadLibc().errno()})`);
  return [sv[0], sv[1]];
}

/** One end's message buffer, laid out once in native memory. */
export class FdChannel {
  private readonly m: NativeMemory;
  private readonly dv: DataView;
  private readonly u8: Uint8Array;

  constructor(readonly fd: number) {
    this.m = nativeMemory(DATA + MAX);
    this.dv = this.m.view;
    this.u8 = this.m.bytes;
    this.dv.setBigUint64(16, this.m.address + BigInt(IOV), true); // msg_iov
    this.dv.setBigUint64(24, 1n, true); // msg_iovlen
    this.dv.setBigUint64(IOV, this.m.address + BigInt(DATA), true); // iov_base
  }

  private layout(len: number, withFd: boolean): void {
    this.dv.setBigUint64(IOV + 8, BigInt(len), true); // iov_len
    this.dv.setBigUint64(32, withFd ? this.m.address + BigInt(CTL) : 0n, true); // msg_control
    this.dv.setBigUint64(40, withFd ? 24n : 0n, true); // msg_controllen
    this.dv.setInt32(48, 0, true); // msg_flags
  }

  /** Sends data, with fd when given (it stays open here: the caller closes its copy). */
  send(data: Buffer, fd?: number): void {
    if (data.length > MAX) throw new Error('message too long');
    this.u8.set(data, DATA);
    this.layout(data.length, fd !== undefined);
    if (fd !== undefined) {
      this.dv.setBigUint64(CTL, 20n, true); // cmsg_len = CMSG_LEN(sizeof(int))
      this.dv.setInt32(CTL + 8, SOL_SOCKET, true);
      this.dv.setInt32(CTL + 12, SCM_RIGHTS, true);
      this.dv.setInt32(CTL + 16, fd, true);
    }
    if (loadLibc().sendmsg(this.fd, this.m.ptr, 0) < 0) throw new Error(`sendmsg failed (errno ${loadLibc().errno()})`);
  }

  /** Blocks until a message comes; undefined when the other end has gone. */
  recv(): { data: Buffer; fd?: number } | undefined {
    this.layout(MAX, true);
    return this.taken(loadLibc().recvmsg(this.fd, this.m.ptr, MSG_CMSG_CLOEXEC));
  }

  /** recv() waited for on a worker thread. */
  recvAsync(cb: (m: { data: Buffer; fd?: number } | undefined) => void): void {
    this.layout(MAX, true);
    loadLibc().recvmsg.async(this.fd, this.m.ptr, MSG_CMSG_CLOEXEC, (err: unknown, n: number) => cb(err ? undefined : this.taken(n)));
  }

  private taken(n: number): { data: Buffer; fd?: number } | undefined {
    if (n <= 0) return undefined;
    const data = Buffer.from(this.u8.subarray(DATA, DATA + n));
    const ctlLen = Number(this.dv.getBigUint64(40, true));
    const fd =
      ctlLen >= 20 && this.dv.getInt32(CTL + 8, true) === SOL_SOCKET && this.dv.getInt32(CTL + 12, true) === SCM_RIGHTS
        ? this.dv.getInt32(CTL + 16, true)
        : undefined;
    return { data, fd };
  }

  close(): void {
    loadLibc().close(this.fd);
  }
}
