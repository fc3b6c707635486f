/**
 * What the port mapper answers: program 100000 versions 2 (portmap), 3
 * and 4 (rpcbind). Pure over the registry, the statistics and a context
 * describing the caller; the server only moves bytes. Safer than rpcbind
 * 1.2.6 by default: SET/UNSET only from the machine itself (unless -i),
 * UNSET only by the owner or the superuser, CALLIT/INDIRECT off (unless
 * -r), and a DUMP over UDP to another host never answered with more than
 * a few times the bytes of the request.
 */
import { AcceptStat, AuthStat, decodeMessage, encodeReply, NULL_AUTH, peekCallHeader, type Call, type Reply } from '../rpc/message.js';
import {
  IPPROTO_TCP,
  IPPROTO_UDP,
  PMAP_PROG,
  PMAPPROC,
  RPCBPROC,
  readMapping,
  readRmtCallArgs,
  readRpcb,
  writeEntry,
  writeMapping,
  writeRpcb,
  writeStat,
  type Rpcb,
  type RpcbEntry,
  type RmtCallArgs,
} from '../rpc/pmap.js';
import { fromUaddr, toUaddr } from '../rpc/uaddr.js';
import { XdrError, XdrReader, XdrWriter } from '../rpc/xdr.js';
import { ownerOf, type Registry } from './registry.js';
import type { Stats } from './stats.js';
import type { RpcbindAccess } from './access.js';

export interface CallContext {
  /** the transport the call came in on: udp, tcp, udp6, tcp6, local */
  netid: string;
  /** from a loopback address or the unix socket */
  local: boolean;
  /** the caller's uid, known on the unix socket (SO_PEERCRED) */
  uid?: number;
  /** the address the caller reached us at, to fill in wildcard registrations */
  localHost?: string;
  /** the caller, for log lines */
  from: string;
  /** the caller's IP address (none on the unix socket): what TCP wrappers judge */
  addr?: string;
  /** bytes of the request, for the amplification bound */
  requestSize: number;
}

export interface ProcOptions {
  /** -i: SET/UNSET from other hosts too */
  insecure?: boolean;
  /** -r: CALLIT/INDIRECT forwarded to local services */
  remoteCalls?: boolean;
  log?: (line: string) => void;
  /** TCP wrappers (hosts.allow, hosts.deny under "rpcbind") */
  access?: RpcbindAccess;
  /** forwards a remote call (only with remoteCalls) */
  forward?: (target: Rpcb, a: RmtCallArgs) => Promise<Buffer | undefined>;
}

/** a DUMP over UDP to another host may answer with at most this many times the request's bytes */
export const UDP_AMPLIFICATION = 2;

const ok = (call: Call, results: Buffer): Reply => ({ xid: call.xid, kind: 'accepted', verf: NULL_AUTH, stat: AcceptStat.SUCCESS, results });
const fail = (call: Call, stat: AcceptStat.PROG_UNAVAIL | AcceptStat.PROC_UNAVAIL | AcceptStat.GARBAGE_ARGS | AcceptStat.SYSTEM_ERR): Reply => ({
  xid: call.xid,
  kind: 'accepted',
  verf: NULL_AUTH,
  stat,
});
const bool = (v: boolean) => new XdrWriter().bool(v).toBuffer();
const str = (s: string) => new XdrWriter().string(s).toBuffer();

const netidOfProt = (prot: number) => (prot === IPPROTO_TCP ? 'tcp' : prot === IPPROTO_UDP ? 'udp' : undefined);
const portOf = (b: Rpcb): number => {
  const a = fromUaddr(b.netid, b.addr);
  return a && 'port' in a ? a.port : 0;
};

/** A registration's address as the caller can use it: a wildcard host becomes the one it reached us at. */
export function mergeAddr(b: Rpcb, localHost: string | undefined): string {
  const a = fromUaddr(b.netid, b.addr);
  if (!a || !('port' in a) || !localHost || (a.host !== '0.0.0.0' && a.host !== '::')) return b.addr;
  if (b.netid.endsWith('6') !== localHost.includes(':')) return b.addr;
  return toUaddr({ host: localHost, port: a.port });
}

function entryOf(b: Rpcb, localHost: string | undefined): RpcbEntry {
  const local = b.netid === 'local' || b.netid === 'unix';
  return {
    maddr: mergeAddr(b, localHost),
    netid: b.netid,
    semantics: b.netid.startsWith('udp') ? 1 : 3, // NC_TPI_CLTS, NC_TPI_COTS_ORD
    protofmly: local ? 'loopback' : b.netid.endsWith('6') ? 'inet6' : 'inet',
    proto: local ? '-' : b.netid.replace(/6$/, ''),
  };
}

export class PortMapper {
  constructor(
    readonly registry: Registry,
    readonly stats: Stats,
    private readonly o: ProcOptions = {},
  ) {}

  /**
   * The encoded reply to one message, or undefined when none must be sent.
   * Synchronous except for forwarded remote calls: a promise per datagram
   * costs a tenth of the throughput at 100k calls/s.
   */
  handle(msg: Buffer, ctx: CallContext): Buffer | undefined | Promise<Buffer | undefined> {
    const fast = this.getportFast(msg, ctx.addr);
    if (fast) return fast;
    const m = decodeMessage(msg);
    if ('error' in m) {
      const h = peekCallHeader(msg);
      // a call in another RPC version is told which one we speak; anything else gets no answer
      return h && h.rpcvers !== 2 ? encodeReply({ xid: h.xid, kind: 'rpc_mismatch', low: 2, high: 2 }) : undefined;
    }
    if (m.type !== 'call') return undefined;
    const a = this.o.access;
    if (a && ctx.addr !== undefined && m.proc !== 0 && !a.allowed(ctx.addr)) {
      a.denied(ctx.addr, m.proc, m.args.length >= 4 ? m.args.readUInt32BE(0) : undefined);
      return encodeReply({ xid: m.xid, kind: 'auth_error', stat: AuthStat.TOOWEAK });
    }
    if (m.prog !== PMAP_PROG) return encodeReply(fail(m, AcceptStat.PROG_UNAVAIL));
    if (m.vers < 2 || m.vers > 4) return encodeReply({ xid: m.xid, kind: 'accepted', verf: NULL_AUTH, stat: AcceptStat.PROG_MISMATCH, low: 2, high: 4 });
    this.stats.call(m.vers, m.proc);
    try {
      const r = m.vers === 2 ? this.v2(m, ctx) : this.v34(m, ctx);
      return r instanceof Promise ? r.then((x) => x && encodeReply(x)) : r && encodeReply(r);
    } catch (e) {
      if (e instanceof XdrError) return encodeReply(fail(m, AcceptStat.GARBAGE_ARGS));
      throw e;
    }
  }

  /**
   * PMAPPROC_GETPORT, the call clients make most, read and answered from
   * the bytes without building the message objects (the same checks and
   * statistics as the general path, which takes anything unusual).
   */
  getportFast(b: Buffer, addr?: string): Buffer | undefined {
    if (addr !== undefined && this.o.access && !this.o.access.allowed(addr)) return undefined;
    if (
      b.length < 56 ||
      b.readUInt32BE(4) !== 0 ||
      b.readUInt32BE(8) !== 2 ||
      b.readUInt32BE(12) !== PMAP_PROG ||
      b.readUInt32BE(16) !== 2 ||
      b.readUInt32BE(20) !== PMAPPROC.GETPORT
    )
      return undefined;
    const credLen = b.readUInt32BE(28);
    if (credLen > 400 || credLen % 4) return undefined;
    const v = 32 + credLen;
    if (b.length < v + 8 + 16) return undefined;
    const verfLen = b.readUInt32BE(v + 4);
    if (verfLen > 400 || verfLen % 4 || b.length !== v + 8 + verfLen + 16) return undefined;
    const a = v + 8 + verfLen;
    const prog = b.readUInt32BE(a);
    const vers = b.readUInt32BE(a + 4);
    const netid = netidOfProt(b.readUInt32BE(a + 8));
    if (!netid) return undefined;
    this.stats.call(2, PMAPPROC.GETPORT);
    const hit = this.registry.find(prog, vers, netid, true);
    const port = hit ? portOf(hit) : 0;
    this.stats.lookup(2, prog, vers, netid, port !== 0);
    // xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier, SUCCESS, port
    const out = Buffer.allocUnsafe(28).fill(0);
    out.writeUInt32BE(b.readUInt32BE(0), 0);
    out.writeUInt32BE(1, 4);
    out.writeUInt32BE(port, 24);
    return out;
  }

  private mayChange(_call: Call, ctx: CallContext, what: string): boolean {
    if (ctx.local || this.o.insecure) return true;
    this.o.log?.(`dk rpcbind: ${what} from ${ctx.from} refused (not from this host; -i allows it)`);
    return false;
  }

  private v2(call: Call, ctx: CallContext): Reply | undefined | Promise<Reply | undefined> {
    const r = new XdrReader(call.args);
    const owner = ownerOf(ctx.uid);
    switch (call.proc) {
      case PMAPPROC.NULL:
        return ok(call, Buffer.alloc(0));
      case PMAPPROC.SET: {
        const mp = readMapping(r);
        const netid = netidOfProt(mp.prot);
        const done =
          !!netid &&
          this.mayChange(call, ctx, 'SET') &&
          this.registry.set({ prog: mp.prog, vers: mp.vers, netid, addr: toUaddr({ host: '0.0.0.0', port: mp.port }), owner });
        this.stats.set(2, done);
        this.log(ctx, `PMAP SET ${mp.prog} ${mp.vers} ${netid ?? mp.prot} ${mp.port}: ${done}`);
        return ok(call, bool(done));
      }
      case PMAPPROC.UNSET: {
        const mp = readMapping(r);
        let done = false;
        if (this.mayChange(call, ctx, 'UNSET')) for (const netid of ['tcp', 'udp']) done = this.registry.unset(mp.prog, mp.vers, netid, owner) || done;
        this.stats.unset(2, done);
        this.log(ctx, `PMAP UNSET ${mp.prog} ${mp.vers}: ${done}`);
        return ok(call, bool(done));
      }
      case PMAPPROC.GETPORT: {
        const mp = readMapping(r);
        const netid = netidOfProt(mp.prot);
        const hit = netid ? this.registry.find(mp.prog, mp.vers, netid, true) : undefined;
        const port = hit ? portOf(hit) : 0;
        this.stats.lookup(2, mp.prog, mp.vers, netid ?? String(mp.prot), port !== 0);
        return ok(call, new XdrWriter().uint(port).toBuffer());
      }
      case PMAPPROC.DUMP: {
        const list = this.registry
          .all()
          .filter((b) => b.netid === 'tcp' || b.netid === 'udp')
          .map((b) => ({ prog: b.prog, vers: b.vers, prot: b.netid === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP, port: portOf(b) }));
        return this.bounded(call, ctx, new XdrWriter().list(list, writeMapping).toBuffer());
      }
      case PMAPPROC.CALLIT:
        return this.remoteCall(call, ctx, readRmtCallArgs(r), 2);
      default:
        return fail(call, AcceptStat.PROC_UNAVAIL);
    }
  }

  private v34(call: Call, ctx: CallContext): Reply | undefined | Promise<Reply | undefined> {
    const v = call.vers;
    const r = new XdrReader(call.args);
    const owner = ownerOf(ctx.uid);
    switch (call.proc) {
      case RPCBPROC.NULL:
        return ok(call, Buffer.alloc(0));
      case RPCBPROC.SET: {
        const b = readRpcb(r);
        // the owner is who we know the caller to be, not what it claims
        const done = !!fromUaddr(b.netid, b.addr) && this.mayChange(call, ctx, 'SET') && this.registry.set({ ...b, owner });
        this.stats.set(v, done);
        this.log(ctx, `RPCB SET ${b.prog} ${b.vers} ${b.netid} ${b.addr} owner ${owner}: ${done}`);
        return ok(call, bool(done));
      }
      case RPCBPROC.UNSET: {
        const b = readRpcb(r);
        const done = this.mayChange(call, ctx, 'UNSET') && this.registry.unset(b.prog, b.vers, b.netid, owner);
        this.stats.unset(v, done);
        this.log(ctx, `RPCB UNSET ${b.prog} ${b.vers} ${b.netid || '(all)'} by ${owner}: ${done}`);
        return ok(call, bool(done));
      }
      case RPCBPROC.GETADDR:
      case RPCBPROC.GETVERSADDR: {
        if (call.proc === RPCBPROC.GETVERSADDR && v < 4) return fail(call, AcceptStat.PROC_UNAVAIL);
        const b = readRpcb(r);
        const netid = b.netid || ctx.netid;
        const hit = this.registry.find(b.prog, b.vers, netid, call.proc === RPCBPROC.GETVERSADDR);
        this.stats.lookup(v, b.prog, b.vers, netid, !!hit);
        return ok(call, str(hit ? mergeAddr(hit, ctx.localHost) : ''));
      }
      case RPCBPROC.DUMP:
        return this.bounded(call, ctx, new XdrWriter().list(this.registry.all(), writeRpcb).toBuffer());
      case RPCBPROC.CALLIT:
        return this.remoteCall(call, ctx, readRmtCallArgs(r), v);
      case RPCBPROC.INDIRECT:
        return v < 4 ? fail(call, AcceptStat.PROC_UNAVAIL) : this.remoteCall(call, ctx, readRmtCallArgs(r), v);
      case RPCBPROC.GETTIME:
        return ok(call, new XdrWriter().uint(Math.floor(Date.now() / 1000)).toBuffer());
      case RPCBPROC.UADDR2TADDR: {
        const a = fromUaddr(ctx.netid, r.string(1024));
        return ok(
          call,
          new XdrWriter()
            .uint(a ? 128 : 0)
            .opaque(a ? sockaddrBytes(a) : Buffer.alloc(0))
            .toBuffer(),
        );
      }
      case RPCBPROC.TADDR2UADDR: {
        r.uint(); // maxlen
        const a = sockaddrFrom(r.opaque(128));
        return ok(call, str(a ? toUaddr(a) : ''));
      }
      case RPCBPROC.GETADDRLIST: {
        if (v < 4) return fail(call, AcceptStat.PROC_UNAVAIL);
        const b = readRpcb(r);
        // the addresses the caller can use: those of the protocol family it came in with
        const family = (n: string) => (n === 'local' || n === 'unix' ? 'loopback' : n.endsWith('6') ? 'inet6' : 'inet');
        const hits = this.registry
          .all()
          .filter((e) => e.prog === b.prog && e.vers === b.vers && (ctx.netid === 'local' || family(e.netid) === family(ctx.netid)));
        this.stats.lookup(v, b.prog, b.vers, b.netid || ctx.netid, hits.length > 0);
        return ok(
          call,
          new XdrWriter()
            .list(
              hits.map((e) => entryOf(e, ctx.localHost)),
              writeEntry,
            )
            .toBuffer(),
        );
      }
      case RPCBPROC.GETSTAT: {
        if (v < 4) return fail(call, AcceptStat.PROC_UNAVAIL);
        const w = new XdrWriter();
        for (const s of this.stats.snapshot()) writeStat(w, s);
        return this.bounded(call, ctx, w.toBuffer());
      }
      default:
        return fail(call, AcceptStat.PROC_UNAVAIL);
    }
  }

  /** Answers that grow with the table: over UDP to another host, never much bigger than the question. */
  private bounded(call: Call, ctx: CallContext, results: Buffer): Reply {
    if (ctx.local || !ctx.netid.startsWith('udp') || results.length + 24 <= UDP_AMPLIFICATION * ctx.requestSize) return ok(call, results);
    this.o.log?.(`dk rpcbind: a ${results.length}-byte answer over UDP to ${ctx.from} withheld (asked with ${ctx.requestSize} bytes; use TCP)`);
    return fail(call, AcceptStat.SYSTEM_ERR);
  }

  private async remoteCall(call: Call, ctx: CallContext, a: RmtCallArgs, v: number): Promise<Reply | undefined> {
    const indirect = call.proc === RPCBPROC.INDIRECT && v === 4;
    const target = this.registry.find(a.prog, a.vers, ctx.netid.endsWith('6') ? 'udp6' : 'udp', true) ?? this.registry.find(a.prog, a.vers, 'udp', true);
    if (!this.o.remoteCalls || !this.o.forward || !target || a.prog === PMAP_PROG) {
      this.stats.remote(v, { prog: a.prog, vers: a.vers, proc: a.proc, netid: ctx.netid }, false, indirect);
      // over UDP nothing at all (no reflection); over a stream the caller learns the procedure is off
      return ctx.netid.startsWith('udp') && !indirect ? undefined : fail(call, AcceptStat.PROC_UNAVAIL);
    }
    const results = await this.o.forward(target, a);
    this.stats.remote(v, { prog: a.prog, vers: a.vers, proc: a.proc, netid: ctx.netid }, !!results, indirect);
    if (!results) return ctx.netid.startsWith('udp') ? undefined : fail(call, AcceptStat.SYSTEM_ERR);
    const w = new XdrWriter();
    if (v === 2) w.uint(portOf(target));
    else w.string(mergeAddr(target, ctx.localHost));
    return ok(call, w.opaque(results).toBuffer());
  }

  private log(ctx: CallContext, what: string): void {
    this.o.log?.(`dk rpcbind: ${what} (from ${ctx.from})`);
  }
}

/** struct sockaddr bytes for TADDR2UADDR/UADDR2TADDR (host byte order family, as on Linux). */
function sockaddrBytes(a: { host: string; port: number } | { path: string }): Buffer {
  if ('path' in a) {
    const b = Buffer.alloc(110);
    b.writeUInt16LE(1, 0);
    Buffer.from(a.path).copy(b, 2);
    return b.subarray(0, 2 + Buffer.byteLength(a.path) + 1);
  }
  if (a.host.includes(':')) {
    const b = Buffer.alloc(28);
    b.writeUInt16LE(10, 0);
    b.writeUInt16BE(a.port, 2);
    v6Bytes(a.host).copy(b, 8);
    return b;
  }
  const b = Buffer.alloc(16);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(a.port, 2);
  for (const [i, x] of a.host.split('.').entries()) b.writeUInt8(Number(x), 4 + i);
  return b;
}

function sockaddrFrom(b: Buffer): { host: string; port: number } | { path: string } | undefined {
  if (b.length < 2) return undefined;
  const fam = b.readUInt16LE(0);
  if (fam === 1) return { path: b.subarray(2).toString().replace(/\0.*$/s, '') };
  if (fam === 2 && b.length >= 8) return { host: [...b.subarray(4, 8)].join('.'), port: b.readUInt16BE(2) };
  if (fam === 10 && b.length >= 24) {
    const words = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(8 + i * 2).toString(16));
    return { host: new URL(`http://[${words.join(':')}]/`).hostname.slice(1, -1), port: b.readUInt16BE(2) };
  }
  return undefined;
}

function v6Bytes(host: string): Buffer {
  const [head, tail] = host.includes('::') ? host.split('::') : [host, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  for (const [i, w] of words.slice(0, 8).entries()) b.writeUInt16BE(parseInt(w, 16) || 0, i * 2);
  return b;
}
