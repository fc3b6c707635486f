/**
 * dk rpcinfo: asks a port mapper what is registered and pings RPC
 * services, with Debian rpcinfo 1.2.6's options, output and messages.
 * Extensions: --port N (the port mapper's port, for tests), --socket PATH
 * (the local rpcbind socket), --rpc-file PATH (program names).
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import { networkInterfaces } from 'node:os';
import { rpcCall, type CallResult, type Transport } from '../rpc/client.js';
import { AcceptStat, decodeMessage, encodeAuthSys, encodeCall, NULL_AUTH } from '../rpc/message.js';
import { PMAP_PROG, PMAPPROC, RPCBPROC, readEntry, readMapping, readRpcb, readStatByVers, writeMapping, writeRmtCallArgs, writeRpcb } from '../rpc/pmap.js';
import { fromUaddr } from '../rpc/uaddr.js';
import { XdrReader, XdrWriter } from '../rpc/xdr.js';
import { formatAddrList, formatPmapDump, formatRpcbDump, formatStats, formatSummary, parseRpcFile } from './format.js';

export const RPCINFO_USAGE = `Usage: rpcinfo [-m | -s] [host]
       rpcinfo -p [host]
       rpcinfo -T netid host prognum [versnum]
       rpcinfo -l host prognum versnum
       rpcinfo [-n portnum] -u | -t host prognum [versnum]
       rpcinfo -a serv_address -T netid prognum [version]
       rpcinfo -b prognum versnum
       rpcinfo -d [-T netid] prognum versnum
`;

export interface RpcinfoIO {
  write(s: string): void;
  error(s: string): void;
}

class Fail extends Error {}

/** clnt_sperrno's words for what went wrong */
function rpcError(r: CallResult): string {
  if ('reply' in r) {
    const p = r.reply;
    if (p.kind === 'rpc_mismatch') return 'RPC: Incompatible versions of RPC';
    if (p.kind === 'auth_error') return 'RPC: Authentication error';
    return (
      (
        {
          1: 'RPC: Program unavailable',
          2: 'RPC: Program/version mismatch',
          3: 'RPC: Procedure unavailable',
          4: "RPC: Server can't decode arguments",
          5: 'RPC: Remote system error',
        } as Record<number, string>
      )[p.stat] ?? 'RPC: Unknown error'
    );
  }
  if (r.error === 'timeout') return 'RPC: Timed out';
  if (r.error === 'refused') return 'RPC: Remote system error - Connection refused';
  if (r.error === 'system') return `RPC: Remote system error - ${r.detail}`;
  return "RPC: Can't decode result";
}

const results = (r: CallResult): Buffer | undefined =>
  'reply' in r && r.reply.kind === 'accepted' && r.reply.stat === AcceptStat.SUCCESS ? r.reply.results : undefined;

export async function runRpcinfo(argv: string[], io: RpcinfoIO): Promise<number> {
  let mode = '';
  let netid: string | undefined;
  let port: number | undefined;
  let pmPort = 111;
  let socket = '/run/rpcbind.sock';
  let rpcFile = '/etc/rpc';
  let servAddr: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const need = () => {
      const v = argv[++i];
      if (v === undefined) throw new Fail(`option requires an argument -- '${a.slice(1)}'`);
      return v;
    };
    try {
      if (a === '--port') pmPort = Number(need());
      else if (a === '--socket') socket = need();
      else if (a === '--rpc-file') rpcFile = need();
      else if (a === '-T') netid = need();
      else if (a === '-n') port = Number(need());
      else if (a === '-a') servAddr = need();
      else if (/^-[bdlmpstu]$/.test(a)) {
        if (mode && mode !== a[1]) throw new Fail('');
        mode = a[1];
      } else if (a.startsWith('-') && a.length > 1) throw new Fail(`invalid option -- '${a.slice(1, 2)}'`);
      else rest.push(a);
    } catch (e) {
      if ((e as Error).message) io.error(`rpcinfo: ${(e as Error).message}\n`);
      io.error(RPCINFO_USAGE);
      return 1;
    }
  }
  let names = new Map<number, string>();
  try {
    names = parseRpcFile(fs.readFileSync(rpcFile, 'latin1'));
  } catch {
    // numbers only
  }
  const name = (p: number) => names.get(p);
  const prognum = (s: string | undefined): number => {
    const n = s === undefined ? NaN : /^\d+$/.test(s) ? Number(s) : [...names].find(([, v]) => v === s)?.[0];
    if (n === undefined || Number.isNaN(n)) throw new Fail(`${s} is unknown service`);
    return n;
  };
  const versnum = (s: string) => {
    if (!/^\d+$/.test(s)) throw new Fail(`${s} is illegal version number`);
    return Number(s);
  };
  /** the port mapper on host, or the local one */
  const pmap = (host: string | undefined, kind: 'tcp' | 'udp' = 'tcp'): Transport =>
    host === undefined && fs.existsSync(socket) ? { kind: 'unix', path: socket } : { kind, host: host ?? '127.0.0.1', port: pmPort };
  if (!mode && (netid !== undefined || servAddr !== undefined)) mode = 'T';
  try {
    switch (mode) {
      case 'T':
        return await pingNetid(rest);
      case 'p': {
        const host = rest[0];
        const r = await rpcCall(pmap(host, 'tcp').kind === 'unix' ? { kind: 'tcp', host: '127.0.0.1', port: pmPort } : pmap(host), {
          prog: PMAP_PROG,
          vers: 2,
          proc: PMAPPROC.DUMP,
        });
        const b = results(r);
        if (!b) throw new Fail(host ? `\0${host}: ${rpcError(r)}` : `can't contact portmapper: ${rpcError(r)}`);
        io.write(formatPmapDump(new XdrReader(b).list(readMapping), name));
        return 0;
      }
      case '':
      case 's': {
        const host = rest[0];
        let r = await rpcCall(pmap(host), { prog: PMAP_PROG, vers: 4, proc: RPCBPROC.DUMP });
        if (!results(r)) r = await rpcCall(pmap(host), { prog: PMAP_PROG, vers: 3, proc: RPCBPROC.DUMP });
        const b = results(r);
        if (!b) throw new Fail(`can't contact rpcbind: ${rpcError(r)}`);
        const list = new XdrReader(b).list(readRpcb);
        io.write(mode === 's' ? formatSummary(list, name) : formatRpcbDump(list, name));
        return 0;
      }
      case 'm': {
        const r = await rpcCall(pmap(rest[0]), { prog: PMAP_PROG, vers: 4, proc: RPCBPROC.GETSTAT });
        const b = results(r);
        if (!b) throw new Fail(`can't contact rpcbind: ${rpcError(r)}`);
        io.write(formatStats(readStatByVers(new XdrReader(b)), name));
        return 0;
      }
      case 'l': {
        if (rest.length !== 3) throw new Fail('');
        const [host, p, v] = [rest[0], prognum(rest[1]), versnum(rest[2])];
        const w = new XdrWriter();
        writeRpcb(w, { prog: p, vers: v, netid: '', addr: '', owner: '' });
        const r = await rpcCall({ kind: 'udp', host, port: pmPort }, { prog: PMAP_PROG, vers: 4, proc: RPCBPROC.GETADDRLIST, args: w.toBuffer() });
        const b = results(r);
        if (!b) throw new Fail(`can't contact rpcbind: ${rpcError(r)}`);
        const list = new XdrReader(b).list(readEntry);
        if (!list.length) throw new Fail(`\0No remote programs registered.`);
        io.write(formatAddrList(p, v, list, name));
        return 0;
      }
      case 'd': {
        if (rest.length !== 2) throw new Fail('');
        const [p, v] = [prognum(rest[0]), versnum(rest[1])];
        const w = new XdrWriter();
        writeRpcb(w, { prog: p, vers: v, netid: netid ?? '', addr: '', owner: '' });
        const uid = process.getuid?.() ?? 0;
        const r = await rpcCall(pmap(undefined), {
          prog: PMAP_PROG,
          vers: 3,
          proc: RPCBPROC.UNSET,
          args: w.toBuffer(),
          cred: encodeAuthSys({ stamp: 0, machine: 'localhost', uid, gid: process.getgid?.() ?? 0, gids: [] }),
        });
        const b = results(r);
        if (!b || !new XdrReader(b).bool()) throw new Fail(`Could not delete registration for prog ${p} version ${v}`);
        return 0;
      }
      case 'b':
        return await broadcast(rest, prognum, versnum, io);
      case 'u':
      case 't':
        return await ping(mode === 'u' ? 'udp' : 'tcp', rest);
      default:
        throw new Fail('');
    }
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    if (!e.message) {
      io.error(RPCINFO_USAGE);
      return 1;
    }
    io.error(e.message.startsWith('\0') ? `${e.message.slice(1)}\n` : `rpcinfo: ${e.message}\n`);
    return 1;
  }

  /** -T netid host prog [vers] (the address from rpcbind) and -a uaddr -T netid prog [vers] */
  async function pingNetid(args: string[]): Promise<number> {
    if (netid === undefined) throw new Fail('');
    const nid = netid;
    const kind = nid.startsWith('udp') ? 'udp' : nid.startsWith('tcp') ? 'tcp' : 'unix';
    let addr: string;
    let host = '';
    let rest = args;
    if (servAddr !== undefined) addr = servAddr;
    else {
      if (args.length < 2) throw new Fail('');
      [host, ...rest] = args;
      const w = new XdrWriter();
      writeRpcb(w, { prog: prognum(rest[0]), vers: rest[1] ? versnum(rest[1]) : 0, netid: nid, addr: '', owner: '' });
      const via: Transport = kind === 'unix' ? { kind: 'unix', path: socket } : { kind, host, port: pmPort };
      const r = await rpcCall(via, { prog: PMAP_PROG, vers: 3, proc: RPCBPROC.GETADDR, args: w.toBuffer() });
      const b = results(r);
      if (!b) throw new Fail(rpcError(r));
      addr = new XdrReader(b).string();
      if (!addr) throw new Fail(`\0${host}: RPC: Program not registered`);
    }
    if (rest.length < 1 || rest.length > 2) throw new Fail('');
    const a = fromUaddr(nid, addr);
    if (!a) throw new Fail(`${addr}: not a ${nid} address`);
    const t: Transport = 'path' in a ? { kind: 'unix', path: a.path } : { kind: kind === 'unix' ? 'tcp' : kind, host: a.host, port: a.port };
    return pingVersions(t, prognum(rest[0]), rest[1] ? versnum(rest[1]) : undefined);
  }

  async function ping(kind: 'udp' | 'tcp', args: string[]): Promise<number> {
    if (args.length < 2 || args.length > 3) throw new Fail('');
    const host = args[0];
    const p = prognum(args[1]);
    let target = port;
    if (target === undefined) {
      const w = new XdrWriter();
      writeMapping(w, { prog: p, vers: args[2] ? versnum(args[2]) : 0, prot: kind === 'tcp' ? 6 : 17, port: 0 });
      const r = await rpcCall({ kind, host, port: pmPort }, { prog: PMAP_PROG, vers: 2, proc: PMAPPROC.GETPORT, args: w.toBuffer() });
      const b = results(r);
      if (!b) throw new Fail(`\0${host}: ${rpcError(r)}`);
      target = new XdrReader(b).uint();
      if (!target) throw new Fail(`\0${host}: RPC: Program not registered`);
    }
    return pingVersions({ kind, host, port: target }, p, args[2] ? versnum(args[2]) : undefined);
  }

  /** NULLPROC on one version, or on every version the server names when asked for one it lacks */
  async function pingVersions(t: Transport, p: number, only: number | undefined): Promise<number> {
    const versions: number[] = [];
    if (only !== undefined) versions.push(only);
    else {
      // version 0 first: the server's PROG_MISMATCH names the versions it has
      const r = await rpcCall(t, { prog: p, vers: 0, proc: 0 });
      if ('reply' in r && r.reply.kind === 'accepted' && r.reply.stat === AcceptStat.PROG_MISMATCH)
        for (let v = r.reply.low; v <= r.reply.high; v++) versions.push(v);
      else if ('reply' in r && r.reply.kind === 'accepted' && r.reply.stat === AcceptStat.SUCCESS) versions.push(0);
      else {
        io.error(`rpcinfo: ${'error' in r && r.error === 'refused' ? 'RPC: Unable to receive; errno = Connection refused' : rpcError(r)}\n`);
        io.write(`program ${p} version 0 is not available\n`);
        return 1;
      }
    }
    let failed = 0;
    for (const v of versions) {
      const r = await rpcCall(t, { prog: p, vers: v, proc: 0 });
      if (results(r)) io.write(`program ${p} version ${v} ready and waiting\n`);
      else {
        failed++;
        io.error(`rpcinfo: ${rpcError(r)}\n`);
        io.write(`program ${p} version ${v} is not available\n`);
      }
    }
    return failed ? 1 : 0;
  }
}

/** -b: NULLPROC through every IPv4 broadcast address's port mapper (CALLIT); each responder once. */
async function broadcast(args: string[], prognum: (s: string) => number, versnum: (s: string) => number, io: RpcinfoIO): Promise<number> {
  if (args.length !== 2) throw new Fail('');
  const [p, v] = [prognum(args[0]), versnum(args[1])];
  const targets: string[] = [];
  for (const list of Object.values(networkInterfaces()))
    for (const i of list ?? []) {
      if (i.family !== 'IPv4' || i.internal) continue;
      const a = i.address.split('.').map(Number);
      const m = i.netmask.split('.').map(Number);
      targets.push(a.map((x, k) => (x & m[k]) | (~m[k] & 255)).join('.'));
    }
  if (!targets.length) throw new Fail('broadcast failed: RPC: Unknown protocol');
  const w = new XdrWriter();
  writeRmtCallArgs(w, { prog: p, vers: v, proc: 0, args: Buffer.alloc(0) });
  const s = dgram.createSocket('udp4');
  const seen = new Set<string>();
  await new Promise<void>((resolve) => {
    s.bind(0, () => {
      s.setBroadcast(true);
      const msg = encodeCall({ xid: 0x5eed, prog: PMAP_PROG, vers: 2, proc: PMAPPROC.CALLIT, cred: NULL_AUTH, verf: NULL_AUTH, args: w.toBuffer() });
      s.on('message', (b, rinfo) => {
        const m = decodeMessage(b);
        if ('error' in m || m.type !== 'reply' || seen.has(rinfo.address)) return;
        seen.add(rinfo.address);
        io.write(`${rinfo.address}.0.111 ${rinfo.address}\n`);
      });
      for (const t of targets) s.send(msg, 111, t);
      setTimeout(resolve, 3000);
    });
  });
  s.close();
  return seen.size ? 0 : 1;
}
