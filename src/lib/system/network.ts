/**
 * Network interfaces and sockets as psutil reports them: byte and packet
 * counters (/proc/net/dev), addresses (Node's getifaddrs view plus each
 * link's hardware address from sysfs), link state (sysfs), and every
 * socket with its owner (connections.ts).
 */
import { networkInterfaces } from 'node:os';
import { readdirSync } from 'node:fs';
import { readAscii } from '../../proc/read.js';
import { readHeld } from './held.js';
import { allSockets, checkKind, connectionRows, type Connection, type ConnectionKind } from '../connections.js';

export interface NetIoCounters {
  bytesSent: number;
  bytesRecv: number;
  packetsSent: number;
  packetsRecv: number;
  errin: number;
  errout: number;
  dropin: number;
  dropout: number;
}

/** /proc/net/dev by interface. Pure. */
export function parseNetDev(text: string): Map<string, NetIoCounters> {
  const out = new Map<string, NetIoCounters>();
  for (const line of text.split('\n').slice(2)) {
    const colon = line.lastIndexOf(':');
    if (colon <= 0) continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (f.length < 16) continue;
    // in psutil's order of fields
    out.set(line.slice(0, colon).trim(), {
      bytesSent: f[8],
      bytesRecv: f[0],
      packetsSent: f[9],
      packetsRecv: f[1],
      errin: f[2],
      errout: f[10],
      dropin: f[3],
      dropout: f[11],
    });
  }
  return out;
}

/** counters by interface (perNic), or summed over all of them */
export function netIoCounters(opts: { perNic: true }): Record<string, NetIoCounters>;
export function netIoCounters(opts?: { perNic?: false }): NetIoCounters;
export function netIoCounters(opts: { perNic?: boolean } = {}): Record<string, NetIoCounters> | NetIoCounters {
  const all = parseNetDev(readHeld('/proc/net/dev'));
  if (opts.perNic) return Object.fromEntries(all);
  const sum: NetIoCounters = { bytesSent: 0, bytesRecv: 0, packetsSent: 0, packetsRecv: 0, errin: 0, errout: 0, dropin: 0, dropout: 0 };
  for (const c of all.values()) for (const k of Object.keys(sum) as (keyof NetIoCounters)[]) sum[k] += c[k];
  return sum;
}

/** every socket of this network namespace of one kind ('inet' by default), with the process holding it when we may see it */
export function netConnections(kind: ConnectionKind = 'inet'): Connection[] {
  checkKind(kind);
  return connectionRows(kind, allSockets(), false);
}

/** socket.AF_PACKET: a link-layer (hardware) address */
export const AF_LINK = 17;

export interface NicAddress {
  /** AF_INET (2), AF_INET6 (10) or AF_LINK (17, AF_PACKET) */
  family: number;
  address: string;
  netmask: string | undefined;
  broadcast: string | undefined;
  /** the other end of a point-to-point link */
  ptp: string | undefined;
}

const IFF = {
  up: 0x1,
  broadcast: 0x2,
  debug: 0x4,
  loopback: 0x8,
  pointopoint: 0x10,
  notrailers: 0x20,
  running: 0x40,
  noarp: 0x80,
  promisc: 0x100,
  allmulti: 0x200,
  master: 0x400,
  slave: 0x800,
  multicast: 0x1000,
  portsel: 0x2000,
  automedia: 0x4000,
  dynamic: 0x8000,
} as const;

/** the interfaces in index order (lo first), as getifaddrs lists them */
function links(): string[] {
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    return [];
  }
  const index = new Map(names.map((n) => [n, Number(readAscii(`/sys/class/net/${n}/ifindex`) ?? 0)]));
  return names.sort((a, b) => (index.get(a) ?? 0) - (index.get(b) ?? 0));
}

/**
 * An interface's flags as SIOCGIFFLAGS gives them: sysfs holds the
 * configured ones; RUNNING is the kernel's view of an up link whose
 * operational state is up (or unknown, as for lo).
 */
function linkFlags(name: string): number {
  let flags = Number(readAscii(`/sys/class/net/${name}/flags`)?.trim() ?? 0);
  const oper = readAscii(`/sys/class/net/${name}/operstate`)?.trim();
  flags &= ~IFF.running;
  if (flags & IFF.up && (oper === 'up' || oper === 'unknown')) flags |= IFF.running;
  return flags;
}

const ipv4Broadcast = (addr: string, mask: string): string => {
  const a = addr.split('.').map(Number);
  const m = mask.split('.').map(Number);
  return a.map((x, i) => (x | (~m[i] & 255)) & 255).join('.');
};

/** the addresses of each interface: hardware, IPv4 and IPv6 */
export function netIfAddrs(): Record<string, NicAddress[]> {
  const out: Record<string, NicAddress[]> = {};
  // each interface's flags read once, for its hardware and its IP addresses
  const flagsOf = new Map<string, number>();
  const flagsFor = (name: string): number => {
    let f = flagsOf.get(name);
    if (f === undefined) flagsOf.set(name, (f = linkFlags(name)));
    return f;
  };
  for (const name of links()) {
    const mac = readAscii(`/sys/class/net/${name}/address`)?.trim();
    if (!mac) continue;
    const flags = flagsFor(name);
    const brd = readAscii(`/sys/class/net/${name}/broadcast`)?.trim();
    out[name] = [{ family: AF_LINK, address: mac, netmask: undefined, broadcast: flags & IFF.broadcast ? brd : undefined, ptp: undefined }];
  }
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    const flags = flagsFor(name);
    const list = (out[name] ??= []);
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4') {
        list.push({
          family: 2,
          address: a.address,
          netmask: a.netmask,
          broadcast: flags & IFF.broadcast ? ipv4Broadcast(a.address, a.netmask) : undefined,
          ptp: undefined,
        });
      } else {
        const scoped = a.scopeid ? `${a.address}%${name}` : a.address;
        list.push({ family: 10, address: scoped, netmask: a.netmask, broadcast: undefined, ptp: undefined });
      }
    }
  }
  return out;
}

export interface NicStats {
  /** the link is up and running */
  isup: boolean;
  /** 2 full, 1 half, 0 unknown (psutil's NIC_DUPLEX_*) */
  duplex: number;
  /** Mbit/s, 0 when unknown */
  speed: number;
  mtu: number;
  /** the IFF_* flags set, comma-separated ('up,broadcast,running,multicast') */
  flags: string;
}

export const NIC_DUPLEX_FULL = 2;
export const NIC_DUPLEX_HALF = 1;
export const NIC_DUPLEX_UNKNOWN = 0;

/** the link state of each interface of /proc/net/dev */
export function netIfStats(): Record<string, NicStats> {
  const out: Record<string, NicStats> = {};
  for (const name of parseNetDev(readHeld('/proc/net/dev')).keys()) {
    const base = `/sys/class/net/${name}`;
    const mtu = Number(readAscii(`${base}/mtu`)?.trim());
    if (!Number.isFinite(mtu)) continue; // gone since the listing
    const flags = linkFlags(name);
    const names = (Object.keys(IFF) as (keyof typeof IFF)[]).filter((k) => flags & IFF[k]);
    const d = readAscii(`${base}/duplex`)?.trim();
    const speed = Number(readAscii(`${base}/speed`)?.trim());
    out[name] = {
      isup: (flags & IFF.running) !== 0,
      duplex: d === 'full' ? NIC_DUPLEX_FULL : d === 'half' ? NIC_DUPLEX_HALF : NIC_DUPLEX_UNKNOWN,
      speed: Number.isFinite(speed) && speed > 0 ? speed : 0,
      mtu,
      flags: names.join(','),
    };
  }
  return out;
}
