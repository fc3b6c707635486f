/**
 * lsof's view of one open file: the columns of the listing and the fields
 * of -F output, derived from /proc (see proc/fds.ts and proc/net.ts).
 */
import { devMajorMinor, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, type OpenFile } from '../proc/fds.js';
import { TCP_STATES, type InetSocket, type SocketInfo } from '../proc/net.js';
import { formatAddress, type Names } from './names.js';

export interface Row {
  fd: string;
  access: string;
  lock: string;
  type: string;
  /** DEVICE column text */
  device: string;
  /** -F: D (hex st_dev) or d (character device text) */
  devField?: ['D' | 'd', string];
  size?: number;
  offset?: number;
  node: string;
  inode?: number;
  nlink?: number;
  protocol?: string;
  name: string;
  /** -F T fields without the letter: ST=, QR=, QS= */
  tcpInfo: string[];
  flagsHex?: string;
  /** address families and ports, for -i selection */
  inet?: InetSocket;
  unix?: boolean;
  path?: string;
  /** stat of the file when known, for file arguments and +D */
  dev?: number;
  rdev?: number;
}

const UNIX_TYPES: Record<number, string> = { 1: 'STREAM', 2: 'DGRAM', 3: 'RAW', 4: 'RDM', 5: 'SEQPACKET' };
const UNIX_STATES: Record<number, string> = { 1: 'UNCONNECTED', 2: 'CONNECTING', 3: 'CONNECTED', 4: 'DISCONNECTING' };

function typeOf(mode: number): string {
  switch (mode & S_IFMT) {
    case S_IFREG: return 'REG';
    case S_IFDIR: return 'DIR';
    case S_IFCHR: return 'CHR';
    case S_IFBLK: return 'BLK';
    case S_IFIFO: return 'FIFO';
    case S_IFLNK: return 'LINK';
    case S_IFSOCK: return 'sock';
    default: return `0${(mode & S_IFMT).toString(8)}`;
  }
}

const devText = (dev: number): string => devMajorMinor(dev).join(',');
const devHex = (dev: number): string => `0x${dev.toString(16)}`;

export interface RowContext {
  sockets: Map<number, SocketInfo>;
  /** inode -> lock letter for this process */
  locks: Map<number, string>;
  names: Names;
  /** extra socket kinds known from /proc/net tables without a row format (netlink, packet) */
  protocolOf(inode: number): string | undefined;
  /** tx/rx queue sizes per inet socket inode */
  queues: Map<number, [number, number]>;
}

/** One open file as lsof lists it; undefined for entries lsof leaves out. */
export function toRow(f: OpenFile, ctx: RowContext): Row | undefined {
  const st = f.stat;
  const numeric = /^\d+$/.test(f.fd);
  const flags = f.flags;
  const access = numeric && flags !== undefined ? ['r', 'w', 'u', ' '][flags & 3] : ' ';
  const base = { fd: f.fd, access, lock: ' ', tcpInfo: [] as string[], flagsHex: numeric && flags !== undefined ? `0x${flags.toString(16)};0x0` : undefined };

  if (f.error) {
    return { ...base, access: ' ', type: 'unknown', device: '', node: '', name: f.error.reason ? `${f.error.path} (readlink: ${f.error.reason})` : f.error.path, flagsHex: undefined };
  }
  if (f.fd === 'DEL') {
    const [ma, mi] = f.mapDev ?? [0, 0];
    return { ...base, type: 'REG', device: `${ma},${mi}`, devField: ['D', devHex((ma << 8) | mi)], node: String(f.mapInode ?? ''), inode: f.mapInode, name: f.link ?? '', path: f.link };
  }
  if (!st) return undefined;
  const link = f.link ?? '';
  const lock = ctx.locks.get(st.ino) ?? ' ';
  const common = { ...base, lock: numeric ? lock : ' ', inode: st.ino, dev: st.dev, rdev: st.rdev };

  if ((st.mode & S_IFMT) === S_IFSOCK || link.startsWith('socket:[')) {
    const s = ctx.sockets.get(st.ino);
    const offset = f.pos ?? 0;
    if (s?.kind === 'inet') {
      const q = ctx.queues.get(st.ino) ?? [0, 0];
      const local = formatAddress(s.local.addr, s.local.port, s.protocol, ctx.names);
      const remoteSet = s.remote.port !== 0 || s.remote.addr.some((b) => b !== 0);
      const state = s.protocol === 'TCP' ? TCP_STATES[s.state] : undefined;
      let name = remoteSet ? `${local}->${formatAddress(s.remote.addr, s.remote.port, s.protocol, ctx.names)}` : local;
      name += state ? ` (${state})` : ' ';
      return {
        ...common,
        type: s.family === 4 ? 'IPv4' : 'IPv6',
        device: String(st.ino),
        devField: ['d', String(st.ino)],
        offset,
        node: s.protocol,
        inode: undefined,
        protocol: s.protocol,
        name,
        tcpInfo: [...(state ? [`ST=${state}`] : []), `QR=${q[1]}`, `QS=${q[0]}`],
        inet: s,
      };
    }
    if (s?.kind === 'unix') {
      const type = UNIX_TYPES[s.type] ?? String(s.type);
      const state = s.flags & 0x10000 ? 'LISTEN' : UNIX_STATES[s.state] ?? String(s.state);
      const addr = `0x${s.address.padStart(16, '0')}`;
      return {
        ...common,
        type: 'unix',
        device: addr,
        devField: ['d', addr],
        offset,
        node: String(st.ino),
        name: `${s.path ? `${s.path} ` : ''}type=${type} (${state})`,
        tcpInfo: [`ST=${state}`],
        unix: true,
        path: s.path,
      };
    }
    const proto = ctx.protocolOf(st.ino);
    return { ...common, type: 'sock', device: devText(st.dev), devField: ['D', devHex(st.dev)], offset, node: String(st.ino), name: proto ? `protocol: ${proto}` : "can't identify protocol" };
  }

  if (link.startsWith('anon_inode:')) {
    let name = link.slice('anon_inode:'.length);
    const info = f.fdinfo ?? '';
    if (name === '[eventpoll]') {
      const tfds = [...info.matchAll(/^tfd:\s+(\d+)/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
      if (tfds.length) name = `[eventpoll:${tfds.join(',')}]`;
    } else if (name === '[eventfd]') {
      const id = /^eventfd-id:\s+(\d+)/m.exec(info)?.[1];
      if (id !== undefined) name = `[eventfd:${id}]`;
    }
    return { ...common, type: 'a_inode', device: devText(st.dev), devField: ['D', devHex(st.dev)], size: st.size, node: String(st.ino), nlink: st.nlink, name };
  }

  const type = typeOf(st.mode);
  const isDev = type === 'CHR' || type === 'BLK';
  const row: Row = {
    ...common,
    type,
    device: devText(isDev ? st.rdev : st.dev),
    devField: ['D', devHex(st.dev)],
    node: String(st.ino),
    nlink: st.nlink,
    name: type === 'FIFO' && link.startsWith('pipe:[') ? 'pipe' : link,
    path: link,
  };
  // sizes for files, directories and the cwd/rtd/txt/mem entries; offsets for the rest
  if (!numeric || type === 'REG' || type === 'DIR') row.size = st.size;
  else row.offset = f.pos ?? 0;
  return row;
}

/** "0t123", or hex once the decimal form passes lsof's 8 digits. */
export function offsetText(off: number): string {
  const t = `0t${off}`;
  return t.length > 10 ? `0x${off.toString(16)}` : t;
}
