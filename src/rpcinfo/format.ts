/**
 * rpcinfo's listings, laid out as Debian's rpcinfo 1.2.6 prints them (the
 * de facto interface scripts parse): -p, the rpcbind dump, -s, -l and -m.
 * Pure: program names come in as a lookup.
 */
import type { Mapping, Rpcb, RpcbEntry, RpcbStat } from '../rpc/pmap.js';

export type ProgName = (prog: number) => string | undefined;

/** /etc/rpc: "name number aliases..." with # comments. */
export function parseRpcFile(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const raw of text.split('\n')) {
    const f = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (f.length >= 2 && /^\d+$/.test(f[1]) && !m.has(Number(f[1]))) m.set(Number(f[1]), f[0]);
  }
  return m;
}

const r = (v: number | string, w: number) => String(v).padStart(w);
const l = (v: number | string, w: number) => String(v).padEnd(w);

export function formatPmapDump(list: Mapping[], name: ProgName): string {
  const lines = ['   program vers proto   port  service'];
  for (const m of list) {
    const proto = m.prot === 6 ? 'tcp' : m.prot === 17 ? 'udp' : String(m.prot);
    const n = name(m.prog);
    lines.push(`${r(m.prog, 10)}${r(m.vers, 5)}${r(proto, 6)}${r(m.port, 7)}${n ? `  ${n}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatRpcbDump(list: Rpcb[], name: ProgName): string {
  const lines = ['   program version netid     address                service    owner'];
  for (const b of list) lines.push(`${r(b.prog, 10)}${r(b.vers, 5)}    ${l(b.netid, 9)} ${l(b.addr, 22)} ${l(name(b.prog) ?? '-', 10)} ${b.owner}`);
  return `${lines.join('\n')}\n`;
}

/** -s: one line per program; versions ascending, netids newest first (as rpcinfo gathers them). */
export function formatSummary(list: Rpcb[], name: ProgName): string {
  const progs = new Map<number, { vers: number[]; netids: string[]; owner: string }>();
  for (const b of list) {
    let p = progs.get(b.prog);
    if (!p) progs.set(b.prog, (p = { vers: [], netids: [], owner: b.owner }));
    if (!p.vers.includes(b.vers)) p.vers.push(b.vers);
    if (!p.netids.includes(b.netid)) p.netids.unshift(b.netid);
  }
  const lines = ['   program version(s) netid(s)                         service     owner'];
  for (const [prog, p] of progs) {
    const vers = [...p.vers].sort((a, b) => a - b).join(',');
    lines.push(`${r(prog, 10)}  ${l(vers, 10)}${l(p.netids.join(','), 32)} ${l(name(prog) ?? '-', 12)}${p.owner}`);
  }
  return `${lines.join('\n')}\n`;
}

const SEMANTICS: Record<number, string> = { 1: 'clts', 2: 'cots', 3: 'cots_ord', 4: 'raw' };

export function formatAddrList(prog: number, vers: number, list: RpcbEntry[], name: ProgName): string {
  const lines = ['   program vers  tp_family/name/class    address\t\t  service'];
  for (const e of list) {
    const tp = `${e.protofmly}/${e.proto}/${SEMANTICS[e.semantics] ?? String(e.semantics)}`;
    lines.push(`${r(prog, 10)}  ${l(vers, 5)}${l(tp, 24)}${l(e.maddr, 25)}${l(name(prog) ?? '-', 13)}`);
  }
  return `${lines.join('\n')}\n`;
}

const V2_PROCS = ['NULL', 'SET', 'UNSET', 'GETPORT', 'DUMP', 'CALLIT'];
const V3_PROCS = ['NULL', 'SET', 'UNSET', 'GETADDR', 'DUMP', 'CALLIT', 'TIME', 'U2T', 'T2U'];
const V4_MORE = ['VERADDR', 'INDRECT', 'GETLIST', 'GETSTAT'];

/** -m: GETSTAT's three rpcb_stat (versions 2, 3, 4). */
export function formatStats(stats: RpcbStat[], name: ProgName): string {
  const out: string[] = [];
  const row = (cells: string[]) => cells.map((c) => l(c, 8)).join('');
  const lookups = (s: RpcbStat) => String(s.addrinfo.reduce((n, a) => n + a.success, 0));
  const calls = (s: RpcbStat) => String(s.rmtinfo.reduce((n, a) => n + a.success, 0));
  const cells = (s: RpcbStat, procs: string[]) =>
    procs.map((p, i) => {
      if (p === 'SET') return `${s.setinfo}/${s.info[i]}`;
      if (p === 'UNSET') return `${s.unsetinfo}/${s.info[i]}`;
      if (p === 'GETPORT' || p === 'GETADDR') return `${lookups(s)}/${s.info[i]}`;
      if (p === 'CALLIT') return `${calls(s)}/${s.info[i]}`;
      return String(s.info[i]);
    });
  const details = (s: RpcbStat, addrTitle: string, rmtTitle: string) => {
    if (s.addrinfo.length) {
      out.push('', addrTitle, 'prog\t\tvers\tnetid\t  success\tfailure');
      for (const a of s.addrinfo) out.push(`${l(name(a.prog) ?? String(a.prog), 16)}${a.vers}\t${a.netid}\t  ${l(String(a.success), 12)}\t${a.failure}`);
    }
    if (s.rmtinfo.length) {
      out.push('', rmtTitle, 'prog\t\tvers\tproc\tnetid\tindirect success failure');
      for (const a of s.rmtinfo)
        out.push(
          `${l(name(a.prog) ?? String(a.prog), 16)}${a.vers}\t${a.proc}\t${a.netid}\t${l(String(a.indirect), 8)} ${l(String(a.success), 7)} ${a.failure}`,
        );
    }
  };
  const [v2, v3, v4] = stats;
  out.push('PORTMAP (version 2) statistics', row(V2_PROCS), row(cells(v2, V2_PROCS)));
  details(v2, 'PMAP_GETPORT call statistics', 'PMAP_RMTCALL call statistics');
  out.push('', 'RPCBIND (version 3) statistics', row(V3_PROCS), row(cells(v3, V3_PROCS)));
  details(v3, 'RPCB_GETADDR (version 3) call statistics', 'RPCB_RMTCALL (version 3) call statistics');
  out.push('', 'RPCBIND (version 4) statistics', row(V3_PROCS), row(cells(v4, V3_PROCS)));
  out.push(row(V4_MORE), row(V4_MORE.map((_, i) => String(v4.info[9 + i]))));
  details(v4, 'RPCB_GETADDR (version 4) call statistics', 'RPCB_RMTCALL (version 4) call statistics');
  return `${out.join('\n')}\n`;
}
