/** -i and -s: which Internet files a selection names. */
import { TCP_STATES } from '../proc/net.js';
import { readText } from '../proc/read.js';
import { parseServices } from './names.js';
import { LsofError, type InetSpec, type LsofRequest } from './options.js';
import type { Row } from './rows.js';
import { isIP } from 'node:net';
import { ipv6Text } from './names.js';

/** Turns service names in -i specs into ports, from /etc/services. */
export function resolveServices(spec: InetSpec): void {
  if (!spec.serviceNames?.length) return;
  const services = parseServices(readText('/etc/services') ?? '');
  for (const name of spec.serviceNames) {
    const hits = [...services.entries()].filter(([, v]) => v === name).map(([k]) => k.split('/'));
    const fit = hits.filter(([, proto]) => !spec.protocol || proto === spec.protocol.toLowerCase());
    if (!fit.length) throw new LsofError(`unknown service ${name} in: -i :${name}`);
    for (const [port] of fit) spec.ports!.push([Number(port), Number(port)]);
  }
  spec.serviceNames = [];
}

function addrText(b: Buffer): string {
  return b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : ipv6Text(b);
}

function hostMatches(host: string, b: Buffer): boolean {
  if (isIP(host)) {
    const text = addrText(b);
    return text === host || (b.length === 16 && text === `::ffff:${host}`);
  }
  if (host === 'localhost') return addrText(b) === '127.0.0.1' || addrText(b) === '::1';
  return false;
}

export function matchesInet(row: Row, r: LsofRequest): boolean {
  return inetSpecsMatched(row, r).length > 0 && stateAllowed(row, r);
}

/** The indexes of the -i specs an Internet file matches, states aside (lsof marks an address located by this). */
export function inetSpecsMatched(row: Row, r: LsofRequest): number[] {
  const s = row.inet;
  if (!s) return [];
  const specs = r.inet ?? [];
  const hit: number[] = [];
  specs.forEach((spec, i) => {
    if (matchesSpec(spec, s)) hit.push(i);
  });
  return hit;
}

function matchesSpec(spec: NonNullable<LsofRequest['inet']>[number], s: NonNullable<Row['inet']>): boolean {
  if (spec.family && spec.family !== s.family) return false;
  if (spec.protocol && spec.protocol !== s.protocol) return false;
  if (spec.host && !hostMatches(spec.host, s.local.addr) && !hostMatches(spec.host, s.remote.addr)) return false;
  if (spec.ports?.length) {
    const inRange = (p: number) => spec.ports!.some(([a, b]) => p >= a && p <= b);
    if (!inRange(s.local.port) && !inRange(s.remote.port)) return false;
  }
  return true;
}

/** -s TCP:LISTEN and friends; naming states for one protocol leaves the other out. */
export function stateAllowed(row: Row, r: LsofRequest): boolean {
  const s = row.inet;
  if (!s) return true;
  const tcp = r.tcpStates?.length ? r.tcpStates : undefined;
  const udp = r.udpStates?.length ? r.udpStates : undefined;
  if (s.protocol === 'TCP') {
    const state = TCP_STATES[s.state];
    if (r.notTcpStates?.includes(state)) return false;
    if (tcp) return tcp.includes(state);
    return !udp;
  }
  if (s.protocol === 'UDP') return udp ? udp.includes(s.state === 7 ? 'UNBOUND' : s.state === 1 ? 'ESTABLISHED' : 'IDLE') : !tcp;
  return !tcp && !udp;
}

/** An -i spec lsof keeps as an address to locate: one with a protocol, host or port (-i, -i4, -i6 alone ask for any Internet file). */
export const isAddressSpec = (sp: InetSpec): boolean => sp.protocol !== undefined || sp.host !== undefined || !!sp.ports?.length;

/**
 * The -i specs an Internet file locates, as lsof marks them for its exit
 * status: the remote end (when connected), then the local end, each marking
 * the first spec that matches it in lsof's list (the command line's reversed);
 * and whether it locates the family-only specs.
 */
export function locateInet(row: Row, r: LsofRequest): { specs: number[]; net: boolean } {
  const s = row.inet;
  const specs = r.inet ?? [];
  if (!s) return { specs: [], net: false };
  const out: number[] = [];
  const connected = s.remote.port !== 0 || s.remote.addr.some((b) => b !== 0);
  for (const ep of connected ? [s.remote, s.local] : [s.local]) {
    for (let i = specs.length - 1; i >= 0; i--) {
      const sp = specs[i];
      if (!isAddressSpec(sp)) continue;
      if (sp.protocol && sp.protocol !== s.protocol) continue;
      if (sp.family && sp.family !== s.family) continue;
      if (sp.host && !hostMatches(sp.host, ep.addr)) continue;
      if (sp.ports?.length && !sp.ports.some(([a, b]) => ep.port >= a && ep.port <= b)) continue;
      out.push(i);
      break;
    }
  }
  const net = specs.some((sp) => !isAddressSpec(sp) && (!sp.family || sp.family === s.family));
  return { specs: out, net };
}
