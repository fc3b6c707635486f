/**
 * Registrations a test makes inside its namespace, as services do it:
 * "pmap" sets two mappings over UDP from loopback (portmap v2, owner
 * unknown); "rpcb" sets two through the local socket (rpcbind v3 and v4,
 * owner from the socket's credentials whatever AUTH_SYS claims).
 */
import { rpcCall } from '../../src/rpc/client.js';
import { encodeAuthSys } from '../../src/rpc/message.js';
import { writeMapping, writeRpcb, type Mapping, type Rpcb } from '../../src/rpc/pmap.js';
import { XdrWriter } from '../../src/rpc/xdr.js';

const [what, socket = '/run/rpcbind.sock', port = '111'] = process.argv.slice(2);
const failed: string[] = [];
const check = (r: Awaited<ReturnType<typeof rpcCall>>, label: string) => {
  if (!('reply' in r) || r.reply.kind !== 'accepted' || r.reply.stat !== 0 || r.reply.results.readUInt32BE(0) !== 1) failed.push(label);
};
if (what === 'pmap') {
  for (const m of [
    { prog: 100005, vers: 1, prot: 17, port: 1234 },
    { prog: 100005, vers: 1, prot: 6, port: 1235 },
  ] satisfies Mapping[]) {
    const w = new XdrWriter();
    writeMapping(w, m);
    check(await rpcCall({ kind: 'udp', host: '127.0.0.1', port: Number(port) }, { prog: 100000, vers: 2, proc: 1, args: w.toBuffer() }), `pmap set ${m.prot}`);
  }
} else if (what === 'rpcb') {
  const sets: [Rpcb, number, number][] = [
    [{ prog: 100024, vers: 1, netid: 'tcp6', addr: '::.4.210', owner: 'superuser' }, 3, 0],
    [{ prog: 200123, vers: 4, netid: 'udp', addr: '0.0.0.0.8.1', owner: '1000' }, 4, 1000],
  ];
  for (const [b, vers, uid] of sets) {
    const w = new XdrWriter();
    writeRpcb(w, b);
    check(
      await rpcCall(
        { kind: 'unix', path: socket },
        { prog: 100000, vers, proc: 1, args: w.toBuffer(), cred: encodeAuthSys({ stamp: 1, machine: 'x', uid, gid: uid, gids: [] }) },
      ),
      `rpcb set ${b.prog}`,
    );
  }
}
if (failed.length) {
  console.error(`register: failed: ${failed.join(', ')}`);
  process.exit(1);
}
