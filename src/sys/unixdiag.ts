/**
 * Unix socket peers from the kernel's sock_diag netlink interface (what
 * ss -x and lsof +E use): socket inode -> inode of the socket it is connected to.
 */
import { loadLibc } from './libc.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_REQUEST = 1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const AF_UNIX = 1;
const UDIAG_SHOW_PEER = 0x4;
const UNIX_DIAG_PEER = 2;

/** The dump request: nlmsghdr + unix_diag_req asking for every state and the peer. */
export function unixDiagRequest(seq: number): Buffer {
  const b = Buffer.alloc(40);
  b.writeUInt32LE(40, 0);
  b.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  b.writeUInt32LE(seq, 8);
  b[16] = AF_UNIX;
  b.writeUInt32LE(0xffffffff, 20); // all states
  b.writeUInt32LE(UDIAG_SHOW_PEER, 28);
  return b;
}

/** Parses one recv() worth of replies into peers; true when the dump is complete. */
export function parseUnixDiag(buf: Buffer, peers: Map<number, number>): boolean {
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    const type = buf.readUInt16LE(off + 4);
    if (len < 16 || off + len > buf.length) break;
    if (type === NLMSG_DONE || type === NLMSG_ERROR) return true;
    const msg = off + 16;
    if (msg + 16 <= off + len) {
      const ino = buf.readUInt32LE(msg + 4);
      for (let a = msg + 16; a + 4 <= off + len; ) {
        const alen = buf.readUInt16LE(a);
        const atype = buf.readUInt16LE(a + 2);
        if (alen < 4) break;
        if (atype === UNIX_DIAG_PEER && alen >= 8) peers.set(ino, buf.readUInt32LE(a + 4));
        a += (alen + 3) & ~3;
      }
    }
    off += (len + 3) & ~3;
  }
  return false;
}

/** inode -> peer inode for every connected unix socket; empty if the kernel says no. */
export function unixPeers(): Map<number, number> {
  const peers = new Map<number, number>();
  const c = loadLibc();
  const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return peers;
  try {
    const req = unixDiagRequest(1);
    if (c.send(fd, req, req.length, 0) < 0) return peers;
    const buf = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 100000; i++) {
      const n = c.recv(fd, buf, buf.length, 0);
      if (n <= 0) break;
      if (parseUnixDiag(buf.subarray(0, n), peers)) break;
    }
  } finally {
    c.close(fd);
  }
  return peers;
}
