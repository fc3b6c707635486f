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
  const s = row.inet;
  if (!s) return false;
  const specs = r.inet ?? [];
  const ok = specs.some((spec) => {
    if (spec.family && spec.family !== s.family) return false;
    if (spec.protocol && spec.protocol !== s.protocol) return false;
    if (spec.host && !hostMatches(spec.host, s.local.addr) && !hostMatches(spec.host, s.remote.addr)) return false;
    if (spec.ports?.length) {
      const inRange = (p: number) => spec.ports!.some(([a, b]) => p >= a && p <= b);
      if (!inRange(s.local.port) && !inRange(s.remote.port)) return false;
    }
    return true;
  });
  return ok && stateAllowed(row, r);
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
