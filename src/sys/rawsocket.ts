/**
 * Listening sockets created with socket(2)/bind(2) directly, so that the
 * descriptor belongs to us and not to libuv: a wait-mode inetd service
 * hands its listening socket to the server and must neither accept on it
 * nor read from it meanwhile, which Node's net and dgram always do.
 */
import { ipv6Text } from './inet.js';
import { errnoText } from './errno.js';
import { loadLibc } from './libc.js';

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const SOCK_NONBLOCK = 0o4000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const MSG_DONTWAIT = 0x40;
const MSG_PEEK = 0x2;
const MSG_TRUNC = 0x20;

export interface RawListenOptions {
  type: 'stream' | 'dgram';
  /** an IPv4 or IPv6 address, or a unix socket path when unix is set */
  host: string;
  port?: number;
  unix?: boolean;
  v6only?: boolean;
  backlog?: number;
}

export interface RawSocket {
  fd: number;
  /** "addr:port" or the path */
  address: string;
  port?: number;
}

const int = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
};

/** sockaddr for an IP address and port, or undefined when host is not an address. */
export function sockaddr(host: string, port: number): Buffer | undefined {
  const c = loadLibc();
  if (host.includes(':')) {
    const a = Buffer.alloc(28);
    a.writeUInt16LE(AF_INET6, 0);
    a.writeUInt16BE(port, 2);
    const bytes = Buffer.alloc(16);
    if (c.inet_pton(AF_INET6, host.replace(/%.*$/, ''), bytes) !== 1) return undefined;
    bytes.copy(a, 8);
    return a;
  }
  const a = Buffer.alloc(16);
  a.writeUInt16LE(AF_INET, 0);
  a.writeUInt16BE(port, 2);
  const bytes = Buffer.alloc(4);
  if (c.inet_pton(AF_INET, host, bytes) !== 1) return undefined;
  bytes.copy(a, 4);
  return a;
}

/** "addr" and port of a sockaddr_in/in6 (undefined for other families). */
export function parseSockaddr(a: Buffer): { address: string; port: number } | undefined {
  const family = a.readUInt16LE(0);
  if (family === AF_INET) return { address: [...a.subarray(4, 8)].join('.'), port: a.readUInt16BE(2) };
  if (family === AF_INET6) {
    const text = ipv6Text(a.subarray(8, 24));
    // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket
    return { address: text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text, port: a.readUInt16BE(2) };
  }
  return undefined;
}

/** socket + SO_REUSEADDR + bind (+ listen for streams); throws with the reason. */
export function rawListen(o: RawListenOptions): RawSocket {
  const c = loadLibc();
  const type = (o.type === 'stream' ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC;
  let addr: Buffer;
  let family: number;
  if (o.unix) {
    const p = Buffer.from(o.host);
    if (p.length > 107) throw new Error(`socket path too long: ${o.host}`);
    addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    p.copy(addr, 2);
    addr = addr.subarray(0, 2 + p.length + 1);
    family = AF_UNIX;
  } else {
    const a = sockaddr(o.host, o.port ?? 0);
    if (!a) throw new Error(`not an IP address: ${o.host}`);
    addr = a;
    family = a.length === 28 ? AF_INET6 : AF_INET;
  }
  const fd = c.socket(family, type, 0);
  if (fd < 0) throw new Error(`socket() failed: ${errnoText(c.errno())}`);
  try {
    if (family !== AF_UNIX) c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, int(1), 4);
    if (family === AF_INET6) c.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, int(o.v6only ? 1 : 0), 4);
    // the errno's name in the message: callers tell a host without IPv6 (EAFNOSUPPORT, EADDRNOTAVAIL) from a port in use
    if (c.bind(fd, addr, addr.length) < 0) throw new Error(`cannot bind ${o.unix ? o.host : `${o.host}:${o.port ?? 0}`}: ${errnoText(c.errno())}`);
    if (o.type === 'stream' && c.listen(fd, o.backlog ?? 128) < 0) throw new Error('listen() failed');
  } catch (e) {
    c.close(fd);
    throw e;
  }
  if (o.unix) return { fd, address: o.host };
  const got = Buffer.alloc(28);
  const len = int(28);
  c.getsockname(fd, got, len);
  const p = parseSockaddr(got);
  return { fd, address: `${p?.address}:${p?.port}`, port: p?.port };
}

/** The sender of the next queued datagram, left in the queue; undefined when none waits. */
export function peekSender(fd: number): { address: string; port: number } | undefined {
  const c = loadLibc();
  const from = Buffer.alloc(28);
  const len = int(28);
  const n = c.recvfrom(fd, Buffer.alloc(1), 1, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC, from, len);
  return n < 0 ? undefined : parseSockaddr(from);
}

/** Drops the next queued datagram (one refused by access control). */
export function dropDatagram(fd: number): void {
  loadLibc().recv(fd, Buffer.alloc(1), 1, MSG_DONTWAIT);
}

export function closeFd(fd: number): void {
  loadLibc().close(fd);
}

const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;

/**
 * Asks for a receive buffer of bytes: SO_RCVBUFFORCE first, which a root
 * daemon may use past net.core.rmem_max (212992 bytes on a stock kernel, a
 * queue that a burst of syslog datagrams overruns; rsyslog's imudp does the
 * same), then SO_RCVBUF, which the kernel caps at rmem_max. Returns what
 * the kernel granted (it doubles the request for its own bookkeeping).
 */
export function setReceiveBuffer(fd: number, bytes: number): number {
  const c = loadLibc();
  if (c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, int(bytes), 4) !== 0) c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int(bytes), 4);
  const got = Buffer.alloc(4);
  c.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, got, int(4));
  return got.readInt32LE(0);
}
