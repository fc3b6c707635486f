/**
 * Socket tables from /proc/net: TCP/UDP/raw over IPv4 and IPv6, unix and
 * netlink, keyed by socket inode so an fd's "socket:[INODE]" can be named.
 */
import { readAscii, readText } from './read.js';

export interface InetSocket {
  kind: 'inet';
  family: 4 | 6;
  protocol: 'TCP' | 'UDP' | 'RAW' | 'UDPLITE';
  local: { addr: Buffer; port: number };
  remote: { addr: Buffer; port: number };
  /** kernel state number (TCP_ESTABLISHED = 1 ...) */
  state: number;
  inode: number;
  /** datagrams the kernel dropped for want of buffer space (UDP tables only) */
  drops?: number;
}

export interface UnixSocket {
  kind: 'unix';
  /** kernel address as /proc/net/unix prints it (hashed for non-root) */
  address: string;
  type: number;
  state: number;
  flags: number;
  inode: number;
  path?: string;
}

export interface NetlinkSocket {
  kind: 'netlink';
  protocol: number;
  inode: number;
}

export type SocketInfo = InetSocket | UnixSocket | NetlinkSocket;

export const TCP_STATES: Record<number, string> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  12: 'NEW_SYN_RECV',
};

/** "0100007F:A2FD": the address is in host (little-endian) 32-bit words. */
export function parseHexEndpoint(s: string): { addr: Buffer; port: number } | undefined {
  const [a, p] = s.split(':');
  if (!a || !p || (a.length !== 8 && a.length !== 32)) return undefined;
  const addr = Buffer.alloc(a.length / 2);
  for (let w = 0; w < a.length / 8; w++) {
    const word = parseInt(a.slice(w * 8, w * 8 + 8), 16);
    if (Number.isNaN(word)) return undefined;
    addr.writeUInt32LE(word >>> 0, w * 4);
  }
  const port = parseInt(p, 16);
  return Number.isNaN(port) ? undefined : { addr, port };
}

export function parseInetTable(text: string, protocol: InetSocket['protocol'], family: 4 | 6): InetSocket[] {
  const out: InetSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = parseHexEndpoint(f[1]);
    const remote = parseHexEndpoint(f[2]);
    const inode = Number(f[9]);
    if (!local || !remote || !Number.isInteger(inode)) continue;
    const drops = protocol === 'UDP' && f.length >= 13 ? Number(f[12]) : undefined;
    out.push({
      kind: 'inet',
      family,
      protocol,
      local,
      remote,
      state: parseInt(f[3], 16),
      inode,
      ...(drops !== undefined && Number.isInteger(drops) ? { drops } : {}),
    });
  }
  return out;
}

/** Kernel drop counters of this host's UDP sockets, summed by local port (IPv4 and IPv6). */
export function udpDropsByPort(procRoot = '/proc'): Map<number, number> {
  const out = new Map<number, number>();
  for (const [file, family] of [
    ['udp', 4],
    ['udp6', 6],
  ] as const) {
    const text = readText(`${procRoot}/net/${file}`);
    if (text === undefined) continue;
    for (const s of parseInetTable(text, 'UDP', family)) out.set(s.local.port, (out.get(s.local.port) ?? 0) + (s.drops ?? 0));
  }
  return out;
}

export function parseUnixTable(text: string): UnixSocket[] {
  const out: UnixSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const m = /^([0-9a-f]+): [0-9A-F]+ [0-9A-F]+ ([0-9A-F]+) ([0-9A-F]+) ([0-9A-F]+) +(\d+)(?: (.*))?$/.exec(line);
    if (!m) continue;
    out.push({ kind: 'unix', address: m[1], flags: parseInt(m[2], 16), type: parseInt(m[3], 16), state: parseInt(m[4], 16), inode: Number(m[5]), path: m[6] });
  }
  return out;
}

export function parseNetlinkTable(text: string): NetlinkSocket[] {
  const out: NetlinkSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    out.push({ kind: 'netlink', protocol: Number(f[1]), inode: Number(f[f.length - 1]) });
  }
  return out;
}

/** All sockets of the network namespace procRoot/PID sees (default: ours). */
export function socketTable(procRoot = '/proc', pid: number | 'self' = 'self'): Map<number, SocketInfo> {
  const base = `${procRoot}/${pid}/net`;
  const map = new Map<number, SocketInfo>();
  const add = (list: SocketInfo[]) => {
    for (const s of list) if (s.inode && !map.has(s.inode)) map.set(s.inode, s);
  };
  const inet: [string, InetSocket['protocol'], 4 | 6][] = [
    ['tcp', 'TCP', 4],
    ['tcp6', 'TCP', 6],
    ['udp', 'UDP', 4],
    ['udp6', 'UDP', 6],
    ['udplite', 'UDPLITE', 4],
    ['udplite6', 'UDPLITE', 6],
    ['raw', 'RAW', 4],
    ['raw6', 'RAW', 6],
  ];
  for (const [file, proto, fam] of inet) add(parseInetTable(readAscii(`${base}/${file}`) ?? '', proto, fam));
  add(parseUnixTable(readText(`${base}/unix`) ?? ''));
  add(parseNetlinkTable(readAscii(`${base}/netlink`) ?? ''));
  return map;
}

/** Send and receive queue bytes of TCP and UDP sockets (IPv4 and IPv6), by inode. */
export function socketQueues(procRoot = '/proc'): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const file of ['tcp', 'tcp6', 'udp', 'udp6']) {
    for (const line of (readAscii(`${procRoot}/net/${file}`) ?? '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [tx, rx] = f[4].split(':').map((x) => parseInt(x, 16));
      out.set(Number(f[9]), [tx, rx]);
    }
  }
  return out;
}

/** Inodes of netlink and packet sockets, which /proc/PID/fd shows only as socket:[N]. */
export function otherSocketInodes(procRoot = '/proc'): { netlink: Set<number>; packet: Set<number> } {
  return {
    netlink: new Set(parseNetlinkTable(readAscii(`${procRoot}/net/netlink`) ?? '').map((n) => n.inode)),
    packet: new Set(
      (readAscii(`${procRoot}/net/packet`) ?? '')
        .split('\n')
        .slice(1)
        .map((l) => Number(l.trim().split(/\s+/)[8]))
        .filter(Boolean),
    ),
  };
}
