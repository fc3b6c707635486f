/**
 * Universal addresses (RFC 5665): "h1.h2.h3.h4.p1.p2" for IPv4,
 * "x:y::z.p1.p2" for IPv6 (the port's two bytes appended in decimal), and
 * the path itself for local (AF_UNIX) transports.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type Netaddr = { host: string; port: number } | { path: string };

export function toUaddr(a: Netaddr): string {
  if ('path' in a) return a.path;
  return `${a.host}.${a.port >> 8}.${a.port & 255}`;
}

/** The address a universal address names for a netid, or undefined when it is not one. */
export function fromUaddr(netid: string, uaddr: string): Netaddr | undefined {
  if (netid === 'local' || netid === 'unix' || netid === 'ticlts' || netid === 'ticotsord') return uaddr.startsWith('/') ? { path: uaddr } : undefined;
  const m = /^(.*)\.(\d{1,3})\.(\d{1,3})$/.exec(uaddr);
  if (!m || Number(m[2]) > 255 || Number(m[3]) > 255) return undefined;
  const host = m[1];
  const v6 = netid.endsWith('6');
  if (v6 ? !isIPv6(host) : !isIPv4(host)) return undefined;
  return { host, port: Number(m[2]) * 256 + Number(m[3]) };
}
