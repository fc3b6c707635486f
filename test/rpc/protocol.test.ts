/** XDR, RPC messages, record marking, universal addresses, port mapper types: round trips and hostile bytes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AcceptStat, decodeAuthSys, decodeMessage, encodeAuthSys, encodeCall, encodeReply, NULL_AUTH, type Reply } from '../../src/rpc/message.js';
import { readRpcb, readStat, writeRpcb, writeStat, type Rpcb, type RpcbStat } from '../../src/rpc/pmap.js';
import { encodeRecord, RecordDecoder } from '../../src/rpc/record.js';
import { fromUaddr, toUaddr } from '../../src/rpc/uaddr.js';
import { XdrError, XdrReader, XdrWriter } from '../../src/rpc/xdr.js';

/** fast-check's records have no prototype; compare plain data */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const latin1 = (max: number) => fc.string({ maxLength: max }).map((s) => Buffer.from(s, 'latin1').toString('latin1'));

describe('XDR', () => {
  test('every type round-trips, padded to four bytes', () => {
    fc.assert(
      fc.property(
        u32,
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.boolean(),
        bytes(40),
        latin1(40),
        fc.array(u32, { maxLength: 10 }),
        (u, i, h, b, op, s, arr) => {
          const buf = new XdrWriter()
            .uint(u)
            .int(i)
            .hyper(h)
            .bool(b)
            .opaque(op)
            .string(s)
            .array(arr, (w, x) => w.uint(x))
            .list(arr, (w, x) => w.uint(x))
            .toBuffer();
          assert.equal(buf.length % 4, 0);
          const r = new XdrReader(buf);
          assert.deepEqual(
            [r.uint(), r.int(), r.hyper(), r.bool(), r.opaque(), r.string(), r.array((x) => x.uint()), r.list((x) => x.uint())],
            [u, i, h, b, op, s, arr, arr],
          );
          assert.equal(r.remaining, 0);
        },
      ),
    );
  });

  test('lengths are checked before anything is allocated', () => {
    const huge = new XdrWriter().uint(0xfffffff0).toBuffer();
    assert.throws(() => new XdrReader(huge).opaque(), XdrError);
    assert.throws(() => new XdrReader(huge).array((x) => x.uint()), XdrError);
    assert.throws(() => new XdrReader(new XdrWriter().uint(500).toBuffer()).opaque(400), /over its limit/);
    assert.throws(() => new XdrReader(new XdrWriter().uint(2).toBuffer()).bool(), /bad boolean/);
  });
});

describe('RPC messages', () => {
  const auth = fc.record({ flavor: fc.integer({ min: 0, max: 6 }), body: bytes(40) });
  const call = fc.record({ xid: u32, prog: u32, vers: u32, proc: u32, cred: auth, verf: auth, args: bytes(64).map((b) => b.subarray(0, b.length & ~3)) });
  const verf = fc.constant(NULL_AUTH);
  const reply: fc.Arbitrary<Reply> = fc.oneof(
    fc.record({
      xid: u32,
      kind: fc.constant('accepted' as const),
      verf,
      stat: fc.constant(AcceptStat.SUCCESS as const),
      results: bytes(32).map((b) => b.subarray(0, b.length & ~3)),
    }),
    fc.record({ xid: u32, kind: fc.constant('accepted' as const), verf, stat: fc.constant(AcceptStat.PROG_MISMATCH as const), low: u32, high: u32 }),
    fc.record({
      xid: u32,
      kind: fc.constant('accepted' as const),
      verf,
      stat: fc.constantFrom(
        AcceptStat.PROG_UNAVAIL as const,
        AcceptStat.PROC_UNAVAIL as const,
        AcceptStat.GARBAGE_ARGS as const,
        AcceptStat.SYSTEM_ERR as const,
      ),
    }),
    fc.record({ xid: u32, kind: fc.constant('rpc_mismatch' as const), low: u32, high: u32 }),
    fc.record({ xid: u32, kind: fc.constant('auth_error' as const), stat: fc.integer({ min: 0, max: 14 }) }),
  );

  test('calls and every kind of reply round-trip', () => {
    fc.assert(fc.property(call, (c) => assert.deepEqual(plain(decodeMessage(encodeCall(c))), plain({ type: 'call', ...c }))));
    fc.assert(fc.property(reply, (r) => assert.deepEqual(plain(decodeMessage(encodeReply(r))), plain({ type: 'reply', ...r }))));
  });

  test('AUTH_SYS credentials round-trip; more than 16 groups is not one', () => {
    const a = { stamp: 7, machine: 'client', uid: 1000, gid: 100, gids: [4, 24, 27] };
    assert.deepEqual(decodeAuthSys(encodeAuthSys(a)), a);
    assert.equal(decodeAuthSys(encodeAuthSys({ ...a, gids: Array.from({ length: 17 }, (_, i) => i) })), undefined);
  });

  test('random and truncated packets give an error value, never a throw', () => {
    fc.assert(fc.property(bytes(200), (b) => void decodeMessage(b)));
    fc.assert(
      fc.property(call, fc.nat(), (c, cut) => {
        const b = encodeCall(c);
        const m = decodeMessage(b.subarray(0, cut % (b.length + 1)));
        // a cut inside the header is an error; a cut in the arguments still decodes (they are opaque here)
        assert.ok('error' in m || m.type === 'call');
      }),
    );
  });
});

describe('record marking', () => {
  test('any fragmenting and any chunking give back the records', () => {
    fc.assert(
      fc.property(
        fc.array(bytes(300), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 50 }),
        (recs, frag, chunk) => {
          const stream = Buffer.concat(recs.map((r) => encodeRecord(r, frag)));
          const dec = new RecordDecoder();
          const got: Buffer[] = [];
          for (let o = 0; o < stream.length; o += chunk) {
            const r = dec.push(stream.subarray(o, o + chunk));
            assert.ok(Array.isArray(r));
            got.push(...r);
          }
          assert.deepEqual(got, recs);
        },
      ),
    );
  });

  test('a record over the bound is an error before it is buffered', () => {
    const dec = new RecordDecoder(1024);
    const h = Buffer.alloc(4);
    h.writeUInt32BE(0x80000000 + 1_000_000);
    assert.deepEqual(dec.push(h), { error: 'record over 1024 bytes' });
  });
});

describe('universal addresses', () => {
  test('IPv4, IPv6 and local paths', () => {
    assert.equal(toUaddr({ host: '127.0.0.1', port: 111 }), '127.0.0.1.0.111');
    assert.deepEqual(fromUaddr('tcp', '0.0.0.0.4.210'), { host: '0.0.0.0', port: 1234 });
    assert.deepEqual(fromUaddr('udp6', '::1.8.1'), { host: '::1', port: 2049 });
    assert.deepEqual(fromUaddr('local', '/run/rpcbind.sock'), { path: '/run/rpcbind.sock' });
    assert.equal(fromUaddr('tcp', '::1.0.111'), undefined);
    assert.equal(fromUaddr('udp', '1.2.3.4.256.1'), undefined);
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), (host, port) => assert.deepEqual(fromUaddr('udp', toUaddr({ host, port })), { host, port })),
    );
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 65535 }), (host, port) => assert.deepEqual(fromUaddr('tcp6', toUaddr({ host, port })), { host, port })),
    );
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.constantFrom('tcp', 'udp6', 'local'), (s, n) => void fromUaddr(n, s)));
  });
});

describe('port mapper types', () => {
  test('rpcb and rpcb_stat round-trip', () => {
    const rpcb: fc.Arbitrary<Rpcb> = fc.record({ prog: u32, vers: u32, netid: latin1(8), addr: latin1(30), owner: latin1(12) });
    fc.assert(
      fc.property(rpcb, (b) => {
        const w = new XdrWriter();
        writeRpcb(w, b);
        assert.deepEqual(readRpcb(new XdrReader(w.toBuffer())), plain(b));
      }),
    );
    const stat: fc.Arbitrary<RpcbStat> = fc.record({
      info: fc.array(fc.nat(1000), { minLength: 13, maxLength: 13 }),
      setinfo: fc.nat(100),
      unsetinfo: fc.nat(100),
      addrinfo: fc.array(fc.record({ prog: u32, vers: u32, success: fc.nat(9), failure: fc.nat(9), netid: latin1(6) }), { maxLength: 3 }),
      rmtinfo: fc.array(fc.record({ prog: u32, vers: u32, proc: u32, success: fc.nat(9), failure: fc.nat(9), indirect: fc.nat(9), netid: latin1(6) }), {
        maxLength: 3,
      }),
    });
    fc.assert(
      fc.property(stat, (s) => {
        const w = new XdrWriter();
        writeStat(w, s);
        assert.deepEqual(readStat(new XdrReader(w.toBuffer())), plain(s));
      }),
    );
  });
});
