/**
 * Socket connections as psutil reports them: family, type, local and remote
 * address, TCP state, and the descriptor and process holding the socket.
 * The rows come from this network namespace's /proc/net tables (the ones
 * src/proc/net parses for lsof); the owners from every process's fd links.
 */
import { readdirSync } from 'node:fs';
import { type Owners, scanEvery, scanSockets } from './fdscan.js';
import { parseInetTable, parseUnixTable, TCP_STATES, type InetSocket } from '../proc/net.js';
import { readAscii, readText } from '../proc/read.js';
import { ipv6Text } from '../sys/inet.js';

/** socket.AF_* and socket.SOCK_* as on Linux (what psutil's family and type hold) */
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;

export type ConnectionKind = 'inet' | 'inet4' | 'inet6' | 'tcp' | 'tcp4' | 'tcp6' | 'udp' | 'udp4' | 'udp6' | 'unix' | 'all';

/** An address and port; an absent end (port 0) is undefined, as psutil's empty tuple. */
export interface Endpoint {
  ip: string;
  port: number;
}

export interface Connection {
  /** the descriptor in the owning process, -1 when no process of ours could be seen holding it */
  fd: number;
  /** AF_INET, AF_INET6 or AF_UNIX */
  family: number;
  /** SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET... */
  type: number;
  /** Endpoint for inet sockets (undefined when unbound); the socket's path for unix ('' when unnamed) */
  laddr: Endpoint | string | undefined;
  raddr: Endpoint | string | undefined;
  /** TCP state as psutil names it ('ESTABLISHED', 'LISTEN'...), 'NONE' for other sockets */
  status: string;
  /** the owning process, undefined when unknown */
  pid?: number;
}

type Table = ['tcp' | 'tcp6' | 'udp' | 'udp6' | 'unix', number, number];
const TCP4: Table = ['tcp', AF_INET, SOCK_STREAM];
const TCP6: Table = ['tcp6', AF_INET6, SOCK_STREAM];
const UDP4: Table = ['udp', AF_INET, SOCK_DGRAM];
const UDP6: Table = ['udp6', AF_INET6, SOCK_DGRAM];
const UNIX: Table = ['unix', AF_UNIX, 0];
export const KINDS: Record<ConnectionKind, Table[]> = {
  all: [TCP4, TCP6, UDP4, UDP6, UNIX],
  tcp: [TCP4, TCP6],
  tcp4: [TCP4],
  tcp6: [TCP6],
  udp: [UDP4, UDP6],
  udp4: [UDP4],
  udp6: [UDP6],
  unix: [UNIX],
  inet: [TCP4, TCP6, UDP4, UDP6],
  inet4: [TCP4, UDP4],
  inet6: [TCP6, UDP6],
};

export function checkKind(kind: string): asserts kind is ConnectionKind {
  if (!(kind in KINDS)) throw new TypeError(`invalid kind '${kind}'; choose between ${Object.keys(KINDS).join(', ')}`);
}

const endpoint = (e: InetSocket['local']): Endpoint | undefined => {
  if (e.port === 0) return undefined;
  const ip = e.addr.length === 4 ? `${e.addr[0]}.${e.addr[1]}.${e.addr[2]}.${e.addr[3]}` : ipv6Text(e.addr);
  return { ip, port: e.port };
};

export type { Owners };

/** The socket inodes one process holds; throws NoSuchProcess/AccessDenied material (the errno) when its fds cannot be listed. */
export function socketsOf(pid: number, into: Owners = new Map()): Owners {
  if (!scanSockets(pid, into)) readdirSync(`/proc/${pid}/fd`); // throws the reason
  return into;
}

/** The sockets of every process we may look at (one we may not see: its sockets are listed without an owner). */
export function allSockets(): Owners {
  return scanEvery();
}

/**
 * The rows of the tables kind names. only: keep just the sockets in owners
 * (a process's connections); otherwise every socket, its owner when known.
 */
export function connectionRows(kind: ConnectionKind, owners: Owners, only: boolean): Connection[] {
  const out: Connection[] = [];
  for (const [file, family, type] of KINDS[kind]) {
    if (file === 'unix') {
      for (const s of parseUnixTable(readText(`/proc/net/unix`) ?? '')) {
        const held = owners.get(s.inode);
        if (only && !held) continue;
        // every holder of a shared unix socket (psutil 5.9 keeps only the last process's)
        for (const [pid, fd] of held ?? [[undefined, -1]]) out.push({ fd, family, type: s.type, laddr: s.path ?? '', raddr: '', status: 'NONE', pid });
      }
      continue;
    }
    const proto = type === SOCK_STREAM ? 'TCP' : 'UDP';
    for (const s of parseInetTable(readAscii(`/proc/net/${file}`) ?? '', proto, family === AF_INET ? 4 : 6)) {
      // one row per socket: its holder as psutil names it, the first descriptor of the last (highest) PID holding it
      const all = owners.get(s.inode);
      const held = all?.find((h) => h[0] === all[all.length - 1][0]);
      if (only && !held) continue;
      out.push({
        fd: held?.[1] ?? -1,
        family,
        type,
        laddr: endpoint(s.local),
        raddr: endpoint(s.remote),
        status: type === SOCK_STREAM ? (TCP_STATES[s.state] ?? 'NONE') : 'NONE',
        pid: held?.[0],
      });
    }
  }
  return out;
}
