/** Sending datagrams to an AF_UNIX socket (Node's dgram module has no unix family). */
import { loadLibc } from './libc.js';

/** A connected AF_UNIX datagram socket (a path, or "@name" in the abstract namespace); send returns false when the message was not taken. */
export class UnixDatagramClient {
  private fd = -1;
  constructor(private readonly path: string) {}

  connect(): boolean {
    const c = loadLibc();
    if (this.fd >= 0) return true;
    const fd = c.socket(1, 2 | 0o2000000, 0);
    if (fd < 0) return false;
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(1, 0);
    // "@name" is the abstract namespace (unix(7)): a NUL first, the name after it, the length without a trailing NUL
    const abstract = this.path.startsWith('@');
    const name = Buffer.from(abstract ? this.path.slice(1) : this.path);
    if (2 + 1 + name.length > addr.length) {
      c.close(fd);
      return false;
    }
    name.copy(addr, abstract ? 3 : 2);
    if (c.connect(fd, addr, abstract ? 3 + name.length : 2 + name.length + 1) < 0) {
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
    if (loadLibc().send(this.fd, msg, msg.length, flags) >= 0) return true;
    // the daemon may have restarted: one reconnect
    this.close();
    return this.connect() && loadLibc().send(this.fd, msg, msg.length, flags) >= 0;
  }

  close(): void {
    if (this.fd >= 0) loadLibc().close(this.fd);
    this.fd = -1;
  }
}
