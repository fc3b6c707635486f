/**
 * The port mapper's wire types: portmap version 2 (RFC 1833 section 3) and
 * rpcbind versions 3 and 4 (RFC 1833 section 2), as rpcbind and libtirpc
 * put them on the wire.
 */
import type { XdrReader, XdrWriter } from './xdr.js';

export const PMAP_PROG = 100000;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const PMAPPROC = { NULL: 0, SET: 1, UNSET: 2, GETPORT: 3, DUMP: 4, CALLIT: 5 } as const;
export const RPCBPROC = {
  NULL: 0,
  SET: 1,
  UNSET: 2,
  GETADDR: 3,
  DUMP: 4,
  CALLIT: 5,
  BCAST: 5,
  GETTIME: 6,
  UADDR2TADDR: 7,
  TADDR2UADDR: 8,
  GETVERSADDR: 9,
  INDIRECT: 10,
  GETADDRLIST: 11,
  GETSTAT: 12,
} as const;
/** procedures counted per version in GETSTAT (RPCBSTAT_HIGHPROC) */
export const RPCBSTAT_HIGHPROC = 13;

export interface Mapping {
  prog: number;
  vers: number;
  prot: number;
  port: number;
}

export interface Rpcb {
  prog: number;
  vers: number;
  netid: string;
  addr: string;
  owner: string;
}

export interface RpcbEntry {
  maddr: string;
  netid: string;
  semantics: number;
  protofmly: string;
  proto: string;
}

export interface RmtCallArgs {
  prog: number;
  vers: number;
  proc: number;
  args: Buffer;
}

export interface AddrStat {
  prog: number;
  vers: number;
  success: number;
  failure: number;
  netid: string;
}

export interface RmtStat {
  prog: number;
  vers: number;
  proc: number;
  success: number;
  failure: number;
  indirect: number;
  netid: string;
}

export interface RpcbStat {
  info: number[];
  setinfo: number;
  unsetinfo: number;
  addrinfo: AddrStat[];
  rmtinfo: RmtStat[];
}

const STR = 1024;

export const readMapping = (r: XdrReader): Mapping => ({ prog: r.uint(), vers: r.uint(), prot: r.uint(), port: r.uint() });
export const writeMapping = (w: XdrWriter, m: Mapping): void => void w.uint(m.prog).uint(m.vers).uint(m.prot).uint(m.port);

export const readRpcb = (r: XdrReader): Rpcb => ({ prog: r.uint(), vers: r.uint(), netid: r.string(STR), addr: r.string(STR), owner: r.string(STR) });
export const writeRpcb = (w: XdrWriter, b: Rpcb): void => void w.uint(b.prog).uint(b.vers).string(b.netid).string(b.addr).string(b.owner);

export const readEntry = (r: XdrReader): RpcbEntry => ({
  maddr: r.string(STR),
  netid: r.string(STR),
  semantics: r.uint(),
  protofmly: r.string(STR),
  proto: r.string(STR),
});
export const writeEntry = (w: XdrWriter, e: RpcbEntry): void => void w.string(e.maddr).string(e.netid).uint(e.semantics).string(e.protofmly).string(e.proto);

export const readRmtCallArgs = (r: XdrReader): RmtCallArgs => ({ prog: r.uint(), vers: r.uint(), proc: r.uint(), args: r.opaque(8800) });
export const writeRmtCallArgs = (w: XdrWriter, a: RmtCallArgs): void => void w.uint(a.prog).uint(a.vers).uint(a.proc).opaque(a.args);

export function readStat(r: XdrReader): RpcbStat {
  const info: number[] = [];
  for (let i = 0; i < RPCBSTAT_HIGHPROC; i++) info.push(r.int());
  return {
    info,
    setinfo: r.int(),
    unsetinfo: r.int(),
    addrinfo: r.list((x) => ({ prog: x.uint(), vers: x.uint(), success: x.int(), failure: x.int(), netid: x.string(STR) })),
    rmtinfo: r.list((x) => ({ prog: x.uint(), vers: x.uint(), proc: x.uint(), success: x.int(), failure: x.int(), indirect: x.int(), netid: x.string(STR) })),
  };
}

export function writeStat(w: XdrWriter, s: RpcbStat): void {
  for (let i = 0; i < RPCBSTAT_HIGHPROC; i++) w.int(s.info[i] ?? 0);
  w.int(s.setinfo).int(s.unsetinfo);
  w.list(s.addrinfo, (x, a) => void x.uint(a.prog).uint(a.vers).int(a.success).int(a.failure).string(a.netid));
  w.list(s.rmtinfo, (x, a) => void x.uint(a.prog).uint(a.vers).uint(a.proc).int(a.success).int(a.failure).int(a.indirect).string(a.netid));
}

/** GETSTAT's answer: one rpcb_stat for versions 2, 3 and 4, in that order. */
export const readStatByVers = (r: XdrReader): RpcbStat[] => [readStat(r), readStat(r), readStat(r)];
