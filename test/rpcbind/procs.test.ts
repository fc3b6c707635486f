/** The port mapper's answers, procedure by procedure, on a table of its own (no sockets). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMessage, encodeCall, NULL_AUTH, type Reply } from '../../src/rpc/message.js';
import { readEntry, writeRpcb, type Rpcb } from '../../src/rpc/pmap.js';
import { XdrReader, XdrWriter } from '../../src/rpc/xdr.js';
import { PortMapper, type CallContext } from '../../src/rpcbind/procs.js';
import { Registry } from '../../src/rpcbind/registry.js';
import { Stats } from '../../src/rpcbind/stats.js';

const local: CallContext = { netid: 'udp', local: true, from: 'test', requestSize: 100, localHost: '127.0.0.1' };

function setup(): PortMapper {
  const reg = new Registry();
  for (const b of [
    { prog: 100000, vers: 4, netid: 'tcp', addr: '0.0.0.0.0.111', owner: 'superuser' },
    { prog: 100000, vers: 4, netid: 'tcp6', addr: '::.0.111', owner: 'superuser' },
    { prog: 100000, vers: 4, netid: 'local', addr: '/run/rpcbind.sock', owner: 'superuser' },
    { prog: 100003, vers: 3, netid: 'udp', addr: '10.0.0.5.8.1', owner: '0' },
  ] satisfies Rpcb[])
    reg.set(b);
  return new PortMapper(reg, new Stats());
}

async function ask(pm: PortMapper, vers: number, proc: number, args: Buffer = Buffer.alloc(0), ctx = local, prog = 100000): Promise<Reply> {
  const b = await pm.handle(encodeCall({ xid: 9, prog, vers, proc, cred: NULL_AUTH, verf: NULL_AUTH, args }), ctx);
  assert.ok(b);
  const m = decodeMessage(b);
  assert.ok(!('error' in m) && m.type === 'reply');
  return m;
}
const results = (r: Reply) => {
  assert.ok(r.kind === 'accepted' && r.stat === 0, JSON.stringify(r));
  return new XdrReader(r.results);
};
const rpcb = (b: Partial<Rpcb>) => {
  const w = new XdrWriter();
  writeRpcb(w, { prog: 0, vers: 0, netid: '', addr: '', owner: '', ...b });
  return w.toBuffer();
};

test('wrong program, versions, procedures and RPC version are answered as RFC 5531 says', async () => {
  const pm = setup();
  assert.deepEqual((await ask(pm, 2, 0, undefined, local, 100003)) as object, { type: 'reply', xid: 9, kind: 'accepted', verf: NULL_AUTH, stat: 1 });
  const mm = await ask(pm, 5, 0);
  assert.ok(mm.kind === 'accepted' && mm.stat === 2 && mm.low === 2 && mm.high === 4);
  const pu = await ask(pm, 2, 99);
  assert.ok(pu.kind === 'accepted' && pu.stat === 3);
  const ga = await ask(pm, 3, 1, Buffer.from([0, 0]));
  assert.ok(ga.kind === 'accepted' && ga.stat === 4);
  const v1 = encodeCall({ xid: 5, prog: 100000, vers: 2, proc: 0, cred: NULL_AUTH, verf: NULL_AUTH, args: Buffer.alloc(0) });
  v1.writeUInt32BE(1, 8);
  assert.deepEqual(decodeMessage((await pm.handle(v1, local))!), { type: 'reply', xid: 5, kind: 'rpc_mismatch', low: 2, high: 2 });
});

test('GETADDR fills in the wildcard with the address the caller used; GETVERSADDR wants the exact version', async () => {
  const pm = setup();
  assert.equal(results(await ask(pm, 3, 3, rpcb({ prog: 100000, vers: 4, netid: 'tcp' }))).string(), '127.0.0.1.0.111');
  assert.equal(results(await ask(pm, 4, 3, rpcb({ prog: 100003, vers: 2, netid: 'udp' }))).string(), '10.0.0.5.8.1');
  assert.equal(results(await ask(pm, 4, 9, rpcb({ prog: 100003, vers: 2, netid: 'udp' }))).string(), '');
  assert.equal(results(await ask(pm, 4, 9, rpcb({ prog: 100003, vers: 3, netid: 'udp' }))).string(), '10.0.0.5.8.1');
});

test('GETADDRLIST gives the caller its own family only; GETTIME; UADDR2TADDR and back', async () => {
  const pm = setup();
  const list = results(await ask(pm, 4, 11, rpcb({ prog: 100000, vers: 4 }), { ...local, netid: 'tcp' })).list(readEntry);
  assert.deepEqual(list, [{ maddr: '127.0.0.1.0.111', netid: 'tcp', semantics: 3, protofmly: 'inet', proto: 'tcp' }]);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(Math.abs(results(await ask(pm, 3, 6)).uint() - now) <= 2);
  fc.assert(
    fc.asyncProperty(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), async (host, port) => {
      const u = `${host}.${port >> 8}.${port & 255}`;
      const t = results(await ask(pm, 3, 7, new XdrWriter().string(u).toBuffer()));
      const maxlen = t.uint();
      const buf = t.opaque();
      assert.ok(maxlen >= buf.length && buf.length === 16);
      assert.equal(results(await ask(pm, 3, 8, new XdrWriter().uint(maxlen).opaque(buf).toBuffer())).string(), u);
    }),
    { numRuns: 50 },
  );
});

test('random calls to every procedure of every version: an answer or silence, never a throw', async () => {
  const pm = setup();
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 13 }),
      fc.uint8Array({ maxLength: 80 }),
      fc.boolean(),
      async (vers, proc, args, isLocal) => {
        await pm.handle(encodeCall({ xid: 1, prog: 100000, vers, proc, cred: NULL_AUTH, verf: NULL_AUTH, args: Buffer.from(args) }), {
          ...local,
          local: isLocal,
        });
      },
    ),
    { numRuns: 500 },
  );
});
