/** The process on the other end of a unix stream socket (SO_PEERCRED), which Node does not expose. */
import type * as net from 'node:net';
import { loadLibc } from './libc.js';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

/** The descriptor under a Node socket (libuv's handle keeps it; on Linux there always is one while it is open). */
export function socketFd(s: net.Socket): number | undefined {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

export function peerCred(s: net.Socket): { pid: number; uid: number; gid: number } | undefined {
  const fd = socketFd(s);
  if (fd === undefined) return undefined;
  const cred = Buffer.alloc(12);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(12);
  if (loadLibc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) !== 0) return undefined;
  return { pid: cred.readInt32LE(0), uid: cred.readUInt32LE(4), gid: cred.readUInt32LE(8) };
}
