import type { RpcbStat } from '../rpc/pmap.js';

/** dk rpcbind's status: what is registered, and the counters GETSTAT (rpcinfo -m) reports. */
export interface RpcbindStatus {
  port: number;
  /** the local socket, if any */
  socket?: string;
  /** -h addresses (127.0.0.1 and ::1 are always served) */
  hosts: string[];
  /** -i: SET/UNSET from other hosts; -r: CALLIT forwarded */
  insecure: boolean;
  remoteCalls: boolean;
  registrations: { program: number; version: number; netid: string; address: string; owner: string }[];
  /** TCP wrappers files (daemon name "rpcbind"), and the calls they refused */
  wrappers: { allow: string; deny: string; refused: number };
  /** UDP datagrams received, answered and refused by --rate; datagrams the kernel dropped (receive buffer full) */
  udp: { received: number; answered: number; rateLimited: number; kernelDrops: number };
  memory: { rssBytes: number; heapUsedBytes: number };
  /** per protocol version (2 = portmap, 3 and 4 = rpcbind): calls per procedure number, SETs, UNSETs, lookups, remote calls */
  stats: (RpcbStat & { version: number })[];
}

export const summarizeRpcbind = (s: RpcbindStatus): string =>
  `${s.registrations.length} registrations, port ${s.port}, ${s.stats.reduce((n, v) => n + v.info.reduce((a, b) => a + b, 0), 0)} calls`;

export function renderRpcbindStatus(s: RpcbindStatus): string {
  const lines = [`dk rpcbind status: ${summarizeRpcbind(s)}`];
  lines.push(
    `  udp: received ${s.udp.received}, answered ${s.udp.answered}, over --rate ${s.udp.rateLimited}, kernel dropped ${s.udp.kernelDrops}; refused by TCP wrappers ${s.wrappers.refused}; rss ${(s.memory.rssBytes / 1048576).toFixed(1)} MiB`,
  );
  for (const r of s.registrations) lines.push(`  ${r.program} v${r.version} ${r.netid} ${r.address} ${r.owner}`);
  return lines.join('\n');
}
