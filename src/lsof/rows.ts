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
  /** a file a lock can be on: its letter comes from /proc/locks after the rows are made (collect.ts) */
  lockable?: boolean;
  unixType?: string;
  unixState?: string;
  path?: string;
  /** stat of the file when known, for file arguments and +D */
  dev?: number;
  rdev?: number;
}

const UNIX_TYPES: Record<number, string> = { 1: 'STREAM', 2: 'DGRAM', 3: 'RAW', 4: 'RDM', 5: 'SEQPACKET' };
const UNIX_STATES: Record<number, string> = { 1: 'UNCONNECTED', 2: 'CONNECTING', 3: 'CONNECTED', 4: 'DISCONNECTING' };

function typeOf(mode: number): string {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'REG';
    case S_IFDIR:
      return 'DIR';
    case S_IFCHR:
      return 'CHR';
    case S_IFBLK:
      return 'BLK';
    case S_IFIFO:
      return 'FIFO';
    case S_IFLNK:
      return 'LINK';
    case S_IFSOCK:
      return 'sock';
    default:
      return `0${(mode & S_IFMT).toString(8)}`;
  }
}

// a machine has a few devices and a listing tens of thousands of rows: each
// device's texts are made once and shared by its rows (less for the collector)
const devTexts = new Map<number, string>();
const devFields = new Map<number, ['D', string]>();
const devText = (dev: number): string => {
  let t = devTexts.get(dev);
  if (t === undefined) devTexts.set(dev, (t = devMajorMinor(dev).join(',')));
  return t;
};
const devHex = (dev: number): string => `0x${dev.toString(16)}`;
const flagTexts = new Map<number, string>();
const flagsText = (flags: number): string => {
  let t = flagTexts.get(flags);
  if (t === undefined) flagTexts.set(flags, (t = `0x${flags.toString(16)};0x0`));
  return t;
};
const devFieldOf = (dev: number): ['D', string] => {
  let f = devFields.get(dev);
  if (f === undefined) devFields.set(dev, (f = ['D', devHex(dev)]));
  return f;
};

export interface RowContext {
  /** the socket with this inode, from the /proc/net tables (read on first use) */
  socket(inode: number): SocketInfo | undefined;
  names: Names;
  /** extra socket kinds known from /proc/net tables without a row format (netlink, packet) */
  protocolOf(inode: number): string | undefined;
  /** the protocol a socket's inode names itself by (the system.sockprotoname xattr), from its /proc fd path */
  sockProtoName?(procPath: string): string | undefined;
  /** tx/rx queue sizes of an inet socket */
  queue(inode: number): [number, number] | undefined;
}

/** Every row has the same shape, so V8 keeps one hidden class for all of them. */
function blank(fd: string, access: string, flagsHex: string | undefined): Row {
  return {
    fd,
    access,
    lock: ' ',
    type: '',
    device: '',
    devField: undefined,
    size: undefined,
    offset: undefined,
    node: '',
    inode: undefined,
    nlink: undefined,
    protocol: undefined,
    name: '',
    tcpInfo: NO_TCP,
    flagsHex,
    inet: undefined,
    unix: undefined,
    lockable: undefined,
    unixType: undefined,
    unixState: undefined,
    path: undefined,
    dev: undefined,
    rdev: undefined,
  };
}
const NO_TCP: string[] = [];
const ACCESS = ['r', 'w', 'u', ' '];

/** One open file as lsof lists it; undefined for entries lsof leaves out. */
export function toRow(f: OpenFile, ctx: RowContext): Row | undefined {
  const st = f.stat;
  const code = f.fd.charCodeAt(0);
  const numeric = code >= 48 && code <= 57;
  const flags = f.flags;
  const known = numeric && flags !== undefined;
  const r = blank(f.fd, known ? ACCESS[flags & 3] : ' ', known ? flagsText(flags) : undefined);

  if (f.error) {
    r.access = ' ';
    r.flagsHex = undefined;
    r.type = f.error.call === 'opendir' ? '' : 'unknown';
    r.name = f.error.reason ? `${f.error.path} (${f.error.call ?? 'readlink'}: ${f.error.reason})` : f.error.path;
    return r;
  }
  if (f.fd === 'DEL') {
    const [ma, mi] = f.mapDev ?? [0, 0];
    r.type = 'REG';
    r.device = devText(((ma & 0xfff) << 8) | (mi & 0xff) | ((mi & ~0xff) << 12));
    r.devField = devFieldOf((ma << 8) | mi);
    r.node = String(f.mapInode ?? '');
    r.inode = f.mapInode;
    r.name = f.link ?? '';
    r.path = f.link;
    return r;
  }
  if (!st) return undefined;
  const link = f.link ?? '';
  // sockets are not locked files: looking one up would read /proc/locks for nothing
  if (numeric && (st.mode & S_IFMT) !== S_IFSOCK) r.lockable = true;
  r.inode = st.ino;
  r.dev = st.dev;
  r.rdev = st.rdev;

  if ((st.mode & S_IFMT) === S_IFSOCK || link.startsWith('socket:[')) {
    const s = ctx.socket(st.ino);
    r.offset = f.pos ?? 0;
    if (s?.kind === 'inet') {
      const q = ctx.queue(st.ino) ?? [0, 0];
      const state = s.protocol === 'TCP' ? TCP_STATES[s.state] : undefined;
      r.type = s.family === 4 ? 'IPv4' : 'IPv6';
      r.device = String(st.ino);
      r.devField = ['d', r.device];
      r.node = s.protocol;
      r.inode = undefined;
      r.protocol = s.protocol;
      r.name = inetName(s, ctx.names);
      r.tcpInfo = [...(state ? [`ST=${state}`] : []), `QR=${q[1]}`, `QS=${q[0]}`];
      r.inet = s;
      return r;
    }
    if (s?.kind === 'unix') {
      const type = UNIX_TYPES[s.type] ?? String(s.type);
      const state = s.flags & 0x10000 ? 'LISTEN' : (UNIX_STATES[s.state] ?? String(s.state));
      r.type = 'unix';
      r.device = `0x${s.address.padStart(16, '0')}`;
      r.devField = ['d', r.device];
      r.node = String(st.ino);
      r.name = `${s.path ? `${s.path} ` : ''}type=${type} (${state})`;
      r.tcpInfo = [`ST=${state}`];
      r.unix = true;
      r.unixType = type;
      r.unixState = state;
      r.path = s.path;
      return r;
    }
    // in no table of this network namespace: lsof asks the socket itself
    const proto = ctx.protocolOf(st.ino) ?? (f.proc ? ctx.sockProtoName?.(f.proc) : undefined);
    r.type = 'sock';
    r.device = devText(st.dev);
    r.devField = devFieldOf(st.dev);
    r.node = String(st.ino);
    r.name = proto ? `protocol: ${proto}` : "can't identify protocol";
    return r;
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
    r.type = 'a_inode';
    r.device = devText(st.dev);
    r.devField = devFieldOf(st.dev);
    r.size = st.size;
    r.node = String(st.ino);
    r.nlink = st.nlink;
    r.name = name;
    return r;
  }

  const type = typeOf(st.mode);
  const isDev = type === 'CHR' || type === 'BLK';
  r.type = type;
  r.device = devText(isDev ? st.rdev : st.dev);
  r.devField = devFieldOf(st.dev);
  r.node = String(st.ino);
  r.nlink = st.nlink;
  r.name = type === 'FIFO' && link.startsWith('pipe:[') ? 'pipe' : link;
  r.path = link;
  // sizes for files, directories and the cwd/rtd/txt/mem entries; offsets for the rest
  if (!numeric || type === 'REG' || type === 'DIR') r.size = st.size;
  else r.offset = f.pos ?? 0;
  return r;
}

/** "127.0.0.1:25->127.0.0.1:40000 (ESTABLISHED)"; lsof ends UDP names with a bare space. */
export function inetName(s: InetSocket, names: Names): string {
  const local = formatAddress(s.local.addr, s.local.port, s.protocol, names);
  const remoteSet = s.remote.port !== 0 || s.remote.addr.some((b) => b !== 0);
  const state = s.protocol === 'TCP' ? TCP_STATES[s.state] : undefined;
  const name = remoteSet ? `${local}->${formatAddress(s.remote.addr, s.remote.port, s.protocol, names)}` : local;
  return name + (state ? ` (${state})` : ' ');
}

/** "0t123", or hex once the decimal form passes lsof's 8 digits. */
export function offsetText(off: number): string {
  const t = `0t${off}`;
  return t.length > 10 ? `0x${off.toString(16)}` : t;
}
