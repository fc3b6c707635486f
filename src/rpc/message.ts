/**
 * ONC RPC messages (RFC 5531): calls, accepted and denied replies with
 * every status, opaque_auth with AUTH_NONE and AUTH_SYS decoded. Decoding
 * returns an error value instead of throwing, whatever the bytes.
 */
import { XdrError, XdrReader, XdrWriter } from './xdr.js';

export const RPC_VERSION = 2;
export const AUTH_NONE = 0;
export const AUTH_SYS = 1;

export interface OpaqueAuth {
  flavor: number;
  body: Buffer;
}

export interface AuthSys {
  stamp: number;
  machine: string;
  uid: number;
  gid: number;
  gids: number[];
}

export const NULL_AUTH: OpaqueAuth = { flavor: AUTH_NONE, body: Buffer.alloc(0) };

export interface Call {
  xid: number;
  prog: number;
  vers: number;
  proc: number;
  cred: OpaqueAuth;
  verf: OpaqueAuth;
  /** the procedure's arguments, still XDR */
  args: Buffer;
}

export enum AcceptStat {
  SUCCESS = 0,
  PROG_UNAVAIL = 1,
  PROG_MISMATCH = 2,
  PROC_UNAVAIL = 3,
  GARBAGE_ARGS = 4,
  SYSTEM_ERR = 5,
}

export enum AuthStat {
  OK = 0,
  BADCRED = 1,
  REJECTEDCRED = 2,
  BADVERF = 3,
  REJECTEDVERF = 4,
  TOOWEAK = 5,
  INVALIDRESP = 6,
  FAILED = 7,
}

export type Reply =
  | { xid: number; kind: 'accepted'; verf: OpaqueAuth; stat: AcceptStat.SUCCESS; results: Buffer }
  | { xid: number; kind: 'accepted'; verf: OpaqueAuth; stat: AcceptStat.PROG_MISMATCH; low: number; high: number }
  | {
      xid: number;
      kind: 'accepted';
      verf: OpaqueAuth;
      stat: AcceptStat.PROG_UNAVAIL | AcceptStat.PROC_UNAVAIL | AcceptStat.GARBAGE_ARGS | AcceptStat.SYSTEM_ERR;
    }
  | { xid: number; kind: 'rpc_mismatch'; low: number; high: number }
  | { xid: number; kind: 'auth_error'; stat: number };

export type Message = ({ type: 'call' } & Call) | ({ type: 'reply' } & Reply);

const MAX_AUTH = 400;

function readAuth(r: XdrReader): OpaqueAuth {
  const flavor = r.int();
  return { flavor, body: r.opaque(MAX_AUTH) };
}

function writeAuth(w: XdrWriter, a: OpaqueAuth): void {
  w.int(a.flavor).opaque(a.body);
}

export function encodeCall(c: Call): Buffer {
  const w = new XdrWriter().uint(c.xid).int(0).uint(RPC_VERSION).uint(c.prog).uint(c.vers).uint(c.proc);
  writeAuth(w, c.cred);
  writeAuth(w, c.verf);
  return w.raw(c.args).toBuffer();
}

export function encodeReply(r: Reply): Buffer {
  const w = new XdrWriter().uint(r.xid).int(1);
  if (r.kind === 'accepted') {
    w.int(0);
    writeAuth(w, r.verf);
    w.int(r.stat);
    if (r.stat === AcceptStat.SUCCESS) w.raw(r.results);
    else if (r.stat === AcceptStat.PROG_MISMATCH) w.uint(r.low).uint(r.high);
  } else if (r.kind === 'rpc_mismatch') w.int(1).int(0).uint(r.low).uint(r.high);
  else w.int(1).int(1).int(r.stat);
  return w.toBuffer();
}

/** A message, or the reason it is not one (never throws). */
export function decodeMessage(b: Buffer): Message | { error: string } {
  try {
    const r = new XdrReader(b);
    const xid = r.uint();
    const mtype = r.enumOf([0, 1]);
    if (mtype === 0) {
      const rpcvers = r.uint();
      const [prog, vers, proc] = [r.uint(), r.uint(), r.uint()];
      const cred = readAuth(r);
      const verf = readAuth(r);
      // peekCallHeader gives the xid to answer RPC_MISMATCH with
      if (rpcvers !== RPC_VERSION) return { error: `RPC version ${rpcvers}` };
      return { type: 'call', xid, prog, vers, proc, cred, verf, args: r.rest() };
    }
    const stat = r.enumOf([0, 1]);
    if (stat === 0) {
      const verf = readAuth(r);
      const as = r.enumOf([0, 1, 2, 3, 4, 5]);
      if (as === AcceptStat.SUCCESS) return { type: 'reply', xid, kind: 'accepted', verf, stat: as, results: r.rest() };
      if (as === AcceptStat.PROG_MISMATCH) return { type: 'reply', xid, kind: 'accepted', verf, stat: as, low: r.uint(), high: r.uint() };
      return { type: 'reply', xid, kind: 'accepted', verf, stat: as as AcceptStat.PROG_UNAVAIL };
    }
    const rs = r.enumOf([0, 1]);
    if (rs === 0) return { type: 'reply', xid, kind: 'rpc_mismatch', low: r.uint(), high: r.uint() };
    return { type: 'reply', xid, kind: 'auth_error', stat: r.int() };
  } catch (e) {
    if (e instanceof XdrError) return { error: e.message };
    throw e;
  }
}

/** The xid and whether a call claimed RPC version 2, for answering calls that fail to decode. */
export function peekCallHeader(b: Buffer): { xid: number; rpcvers: number } | undefined {
  if (b.length < 12 || b.readInt32BE(4) !== 0) return undefined;
  return { xid: b.readUInt32BE(0), rpcvers: b.readUInt32BE(8) };
}

export function encodeAuthSys(a: AuthSys): OpaqueAuth {
  const w = new XdrWriter()
    .uint(a.stamp)
    .string(a.machine)
    .uint(a.uid)
    .uint(a.gid)
    .array(a.gids, (x, g) => x.uint(g));
  return { flavor: AUTH_SYS, body: w.toBuffer() };
}

export function decodeAuthSys(o: OpaqueAuth): AuthSys | undefined {
  if (o.flavor !== AUTH_SYS) return undefined;
  try {
    const r = new XdrReader(o.body);
    return { stamp: r.uint(), machine: r.string(255), uid: r.uint(), gid: r.uint(), gids: r.array((x) => x.uint(), 16) };
  } catch (e) {
    if (e instanceof XdrError) return undefined;
    throw e;
  }
}
