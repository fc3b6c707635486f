/** The internal services' formats, pure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chargenBlock, chargenLine, daytime, timeBytes, udpReplyAllowed } from '../../src/inetd/internal/protocols.js';

test('daytime is the ctime line, time is seconds since 1900', () => {
  assert.equal(daytime(new Date(2026, 10, 5, 9, 7, 3)), 'Thu Nov  5 09:07:03 2026\r\n');
  assert.equal(timeBytes(0).readUInt32BE(), 2_208_988_800);
  assert.equal(timeBytes(Date.UTC(2026, 10, 25, 0, 0, 0)).readUInt32BE(), Date.UTC(2026, 10, 25) / 1000 + 2_208_988_800);
  // RFC 868 wraps on 2036-02-07 06:28:16 UTC
  assert.equal(timeBytes(Date.UTC(2036, 1, 7, 6, 28, 16)).readUInt32BE(), 0);
});

test('chargen: 72 printable characters a line, each line one further on, CR LF', () => {
  assert.equal(chargenLine(0), `${' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg'}\r\n`);
  fc.assert(
    fc.property(fc.nat(10_000), (n) => {
      const a = chargenLine(n);
      const b = chargenLine(n + 1);
      assert.equal(a.length, 74);
      assert.ok(/^[ -~]{72}\r\n$/.test(a));
      assert.equal(a.slice(1, 72), b.slice(0, 71));
      assert.equal(chargenLine(n + 95), a);
    }),
  );
  assert.equal(chargenBlock(3, 2).toString('latin1'), chargenLine(3) + chargenLine(4));
});

test('UDP replies never go to privileged ports or to internal service ports', () => {
  const ours = new Set([7, 9, 13, 19, 37, 17007]);
  assert.ok(udpReplyAllowed(40000, ours));
  assert.ok(!udpReplyAllowed(19, ours));
  assert.ok(!udpReplyAllowed(1023, ours));
  assert.ok(!udpReplyAllowed(17007, ours));
});
