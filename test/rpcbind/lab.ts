/**
 * Run inside a network and mount namespace (see security.test.ts): loopback
 * plus 10.1.1.1 on lo as "another host", a private /run. Starts dk rpcbind,
 * tries what an attacker or a careless client would, and prints one JSON
 * document of findings for the test to judge.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { rpcCall, type CallResult, type Transport } from '../../src/rpc/client.js';
import { decodeMessage, encodeAuthSys, encodeCall, encodeReply, NULL_AUTH } from '../../src/rpc/message.js';
import { writeMapping, writeRmtCallArgs, writeRpcb } from '../../src/rpc/pmap.js';
import { encodeRecord } from '../../src/rpc/record.js';
import { XdrReader, XdrWriter } from '../../src/rpc/xdr.js';

const [dk, stateDir] = process.argv.slice(2);
const out: Record<string, unknown> = {};
const kids: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startRpcbind(args: string[], socket?: string): Promise<ChildProcess> {
  const c = spawn(process.execPath, [dk, 'rpcbind', '-d', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  c.stderr!.on('data', (b) => (err += b));
  kids.push(c);
  for (let i = 0; i < 200 && !/listening on/.test(err); i++) await sleep(25);
  if (socket) for (let i = 0; i < 200 && !fs.existsSync(socket); i++) await sleep(25);
  (c as ChildProcess & { log: () => string }).log = () => err;
  return c;
}

const rpcb = (b: { prog: number; vers: number; netid: string; addr?: string }) => {
  const w = new XdrWriter();
  writeRpcb(w, { addr: '', owner: '', ...b });
  return w.toBuffer();
};
const boolOf = (r: CallResult) =>
  'reply' in r && r.reply.kind === 'accepted' && r.reply.stat === 0
    ? new XdrReader(r.reply.results).bool()
    : `no answer: ${JSON.stringify('error' in r ? r.error : r.reply)}`;
const statOf = (r: CallResult) => ('reply' in r ? (r.reply.kind === 'accepted' ? r.reply.stat : r.reply.kind) : r.error);

/** one UDP datagram from a chosen source address; the answer's bytes (or undefined) */
function udpFrom(src: string, port: number, msg: Buffer, waitMs = 1500): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, waitMs);
    s.on('message', (b) => {
      clearTimeout(t);
      s.close();
      resolve(b);
    });
    s.bind(0, src, () => s.send(msg, port, '127.0.0.1'));
  });
}

try {
  const pm = await startRpcbind(['--state-dir', stateDir], '/run/rpcbind.sock');
  const udp = { kind: 'udp' as const, host: '127.0.0.1', port: 111 };
  const tcp = { kind: 'tcp' as const, host: '127.0.0.1', port: 111 };
  const unix = { kind: 'unix' as const, path: '/run/rpcbind.sock' };
  const asRoot = encodeAuthSys({ stamp: 0, machine: 'lab', uid: 0, gid: 0, gids: [] });

  // a registration by the superuser through the local socket
  out.setLocal = boolOf(
    await rpcCall(unix, { prog: 100000, vers: 3, proc: 1, args: rpcb({ prog: 300001, vers: 1, netid: 'udp', addr: '0.0.0.0.39.16' }), cred: asRoot }),
  );
  // SET from another host: refused
  const remoteSet = await udpFrom(
    '10.1.1.1',
    111,
    encodeCall({
      xid: 1,
      prog: 100000,
      vers: 3,
      proc: 1,
      cred: NULL_AUTH,
      verf: NULL_AUTH,
      args: rpcb({ prog: 300002, vers: 1, netid: 'udp', addr: '0.0.0.0.39.17' }),
    }),
  );
  const rs = remoteSet && decodeMessage(remoteSet);
  out.setRemote = rs && !('error' in rs) && rs.type === 'reply' && rs.kind === 'accepted' && rs.stat === 0 ? new XdrReader(rs.results).bool() : 'no answer';
  // UNSET of the superuser's registration by a caller who is not its owner (UDP from loopback: owner unknown)
  out.unsetByOther = boolOf(await rpcCall(udp, { prog: 100000, vers: 3, proc: 2, args: rpcb({ prog: 300001, vers: 1, netid: 'udp' }) }));
  out.stillThere = await rpcCall(udp, { prog: 100000, vers: 3, proc: 3, args: rpcb({ prog: 300001, vers: 1, netid: 'udp' }) });
  out.stillThere =
    'reply' in (out.stillThere as CallResult) ? new XdrReader((out.stillThere as { reply: { results: Buffer } }).reply.results).string() : 'no answer';
  // ... and by its owner
  out.unsetByOwner = boolOf(await rpcCall(unix, { prog: 100000, vers: 3, proc: 2, args: rpcb({ prog: 300001, vers: 1, netid: 'udp' }), cred: asRoot }));

  // CALLIT: nothing over UDP, PROC_UNAVAIL over TCP
  const ra = new XdrWriter();
  writeRmtCallArgs(ra, { prog: 100000, vers: 2, proc: 0, args: Buffer.alloc(0) });
  out.callitUdp = statOf(await rpcCall(udp, { prog: 100000, vers: 2, proc: 5, args: ra.toBuffer() }, 1500));
  out.callitTcp = statOf(await rpcCall(tcp, { prog: 100000, vers: 3, proc: 5, args: ra.toBuffer() }));
  out.indirectTcp = statOf(await rpcCall(tcp, { prog: 100000, vers: 4, proc: 10, args: ra.toBuffer() }));

  // DUMP over UDP: to another host at most twice the request; locally, everything
  const dump = encodeCall({ xid: 2, prog: 100000, vers: 4, proc: 4, cred: NULL_AUTH, verf: NULL_AUTH, args: Buffer.alloc(0) });
  const far = await udpFrom('10.1.1.1', 111, dump);
  const near = await udpFrom('127.0.0.1', 111, dump);
  out.dumpRequest = dump.length;
  out.dumpFar = far?.length;
  out.dumpNear = near?.length;
  const farMsg = far && decodeMessage(far);
  out.dumpFarStat = farMsg && !('error' in farMsg) && farMsg.type === 'reply' && farMsg.kind === 'accepted' ? farMsg.stat : 'other';

  // garbage: random datagrams, a random stream, an oversized record; then NULL still answers
  for (let i = 0; i < 200; i++) await udpFrom('127.0.0.1', 111, Buffer.from(Array.from({ length: (i * 7) % 90 }, (_, k) => (k * 31 + i) & 255)), 5);
  await new Promise<void>((resolve) => {
    const c = net.connect(111, '127.0.0.1', () => {
      c.write(Buffer.from(Array.from({ length: 3000 }, (_, k) => (k * 13) & 255)));
      const huge = Buffer.alloc(4);
      huge.writeUInt32BE(0x80000000 + 50_000_000);
      c.end(huge);
    });
    c.on('error', () => resolve());
    c.on('close', () => resolve());
  });
  const truncated = encodeRecord(encodeCall({ xid: 3, prog: 100000, vers: 3, proc: 1, cred: NULL_AUTH, verf: NULL_AUTH, args: Buffer.alloc(0) }));
  await udpFrom('127.0.0.1', 111, truncated.subarray(4), 200);
  out.aliveUdp = statOf(await rpcCall(udp, { prog: 100000, vers: 2, proc: 0 }));
  out.aliveTcp = statOf(await rpcCall(tcp, { prog: 100000, vers: 4, proc: 0 }));
  out.pmExited = pm.exitCode;

  // warm start: what was registered comes back after a restart with -w
  boolOf(await rpcCall(unix, { prog: 100000, vers: 4, proc: 1, args: rpcb({ prog: 300003, vers: 2, netid: 'tcp', addr: '0.0.0.0.39.18' }), cred: asRoot }));
  pm.kill('SIGTERM');
  await new Promise((r) => pm.once('exit', r));
  const warm = await startRpcbind(['-w', '--state-dir', stateDir], '/run/rpcbind.sock');
  const back = await rpcCall(tcp, { prog: 100000, vers: 3, proc: 3, args: rpcb({ prog: 300003, vers: 2, netid: 'tcp' }) });
  out.warm = 'reply' in back && back.reply.kind === 'accepted' && back.reply.stat === 0 ? new XdrReader(back.reply.results).string() : 'no answer';
  warm.kill('SIGTERM');
  await new Promise((r) => warm.once('exit', r));

  // -h: UDP on the given address only (and loopback), which rpcbind 1.2.6 crashes on
  const h = await startRpcbind(['-h', '10.1.1.1', '-p', '1111', '--socket', 'none']);
  out.hAddressed = statOf(await rpcCall({ kind: 'udp', host: '10.1.1.1', port: 1111 }, { prog: 100000, vers: 2, proc: 0 }));
  out.hLoopback = statOf(await rpcCall({ kind: 'udp', host: '127.0.0.1', port: 1111 }, { prog: 100000, vers: 2, proc: 0 }));
  out.hRunning = h.exitCode === null;

  // the per-source rate: a burst from another host is answered only up to the limit
  await startRpcbind(['-p', '1113', '--socket', 'none', '--rate', '50']);
  const burst = await new Promise<number>((resolve) => {
    const s = dgram.createSocket('udp4');
    let answered = 0;
    s.on('message', () => answered++);
    s.bind(0, '10.1.1.1', () => {
      for (let i = 0; i < 500; i++)
        s.send(encodeCall({ xid: 1000 + i, prog: 100000, vers: 2, proc: 0, cred: NULL_AUTH, verf: NULL_AUTH, args: Buffer.alloc(0) }), 1113, '127.0.0.1');
      setTimeout(() => {
        s.close();
        resolve(answered);
      }, 1500);
    });
  });
  out.burstAnswered = burst;

  // -r: CALLIT forwarded to a registered local service, which answers through rpcbind
  const svc = dgram.createSocket('udp4');
  svc.on('message', (m, r) => {
    const c = decodeMessage(m);
    if (!('error' in c) && c.type === 'call')
      svc.send(encodeReply({ xid: c.xid, kind: 'accepted', verf: NULL_AUTH, stat: 0, results: new XdrWriter().uint(4242).toBuffer() }), r.port, r.address);
  });
  await new Promise<void>((r) => svc.bind(0, '127.0.0.1', () => r()));
  const svcPort = (svc.address() as { port: number }).port;
  await startRpcbind(['-r', '-p', '1114', '--socket', 'none']);
  const set = new XdrWriter();
  writeMapping(set, { prog: 300010, vers: 1, prot: 17, port: svcPort });
  out.rSet = boolOf(await rpcCall({ kind: 'udp', host: '127.0.0.1', port: 1114 }, { prog: 100000, vers: 2, proc: 1, args: set.toBuffer() }));
  const fwd = await rpcCall(
    { kind: 'udp', host: '127.0.0.1', port: 1114 },
    {
      prog: 100000,
      vers: 2,
      proc: 5,
      args: (() => {
        const w = new XdrWriter();
        writeRmtCallArgs(w, { prog: 300010, vers: 1, proc: 7, args: Buffer.alloc(0) });
        return w.toBuffer();
      })(),
    },
  );
  if ('reply' in fwd && fwd.reply.kind === 'accepted' && fwd.reply.stat === 0) {
    const rr = new XdrReader(fwd.reply.results);
    out.rForward = { port: rr.uint() === svcPort, result: new XdrReader(rr.opaque()).uint() };
  } else out.rForward = statOf(fwd);
  svc.close();

  // TCP wrappers as Debian's rpcbind: a host denied under "rpcbind" gets AUTH_ERROR (too weak) for all but NULL
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(`${stateDir}/hosts.allow`, 'rpcbind: 127.0.0.1\n');
  fs.writeFileSync(`${stateDir}/hosts.deny`, 'rpcbind: ALL\n');
  const w = await startRpcbind(['-p', '1115', '--socket', 'none', '--hosts-allow', `${stateDir}/hosts.allow`, '--hosts-deny', `${stateDir}/hosts.deny`]);
  const farU: Transport = { kind: 'udp', host: '10.1.1.1', port: 1115 };
  const farT: Transport = { kind: 'tcp', host: '10.1.1.1', port: 1115 };
  const nearT: Transport = { kind: 'tcp', host: '127.0.0.1', port: 1115 };
  const authOf = (r: CallResult) =>
    'reply' in r ? (r.reply.kind === 'auth_error' ? `auth_error ${r.reply.stat}` : r.reply.kind === 'accepted' ? r.reply.stat : r.reply.kind) : r.error;
  const getport = new XdrWriter();
  writeMapping(getport, { prog: 100000, vers: 2, prot: 17, port: 0 });
  const setArgs = new XdrWriter();
  writeMapping(setArgs, { prog: 300020, vers: 1, prot: 17, port: 999 });
  const rmt = new XdrWriter();
  writeRmtCallArgs(rmt, { prog: 100000, vers: 2, proc: 0, args: Buffer.alloc(0) });
  out.wrap = {
    farNull: authOf(await rpcCall(farU, { prog: 100000, vers: 2, proc: 0 })),
    farGetport: authOf(await rpcCall(farU, { prog: 100000, vers: 2, proc: 3, args: getport.toBuffer() })),
    farDump: authOf(await rpcCall(farT, { prog: 100000, vers: 2, proc: 4 })),
    farSet: authOf(await rpcCall(farT, { prog: 100000, vers: 2, proc: 1, args: setArgs.toBuffer() })),
    farUnset4: authOf(await rpcCall(farT, { prog: 100000, vers: 4, proc: 2, args: rpcb({ prog: 300020, vers: 1, netid: 'udp' }) })),
    farCallit: authOf(await rpcCall(farT, { prog: 100000, vers: 2, proc: 5, args: rmt.toBuffer() })),
    nearDump: authOf(await rpcCall(nearT, { prog: 100000, vers: 2, proc: 4 })),
  };
  out.wrapLog = (w as ChildProcess & { log: () => string })
    .log()
    .split('\n')
    .filter((l) => l.includes('connect from'));
} finally {
  for (const k of kids) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
}
process.stdout.write(`${JSON.stringify(out)}\n`);
