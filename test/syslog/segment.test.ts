/**
 * Disk-queue segments with a checksum per frame: whatever a crash or the
 * disk did to a segment, its undamaged frames come back in order, nothing
 * damaged comes back as a message, and the damage is set aside and counted
 * when a queue starts on it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeRecords, encodeRecords } from '../../src/syslog/forward/segment.js';
import { FrameQueue } from '../../src/syslog/forward/queue.js';
import { octetFrame } from '../../src/syslog/protocol/framing.js';
import { runs as fuzzRuns } from '../helpers/differential.js';

const frames = fc.array(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  { maxLength: 30 },
);
/** where each frame's record starts in the segment */
function starts(fs: Buffer[]): number[] {
  const out: number[] = [];
  let p = 0;
  for (const f of fs) {
    out.push(p);
    p += 10 + f.length;
  }
  return out;
}

describe('queue segments', () => {
  test('a segment reads back as written', () => {
    fc.assert(
      fc.property(frames, (fs) => {
        const d = decodeRecords(encodeRecords(fs));
        assert.deepEqual(d.frames, fs);
        assert.deepEqual(d.bad, []);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  test('cut anywhere: the whole frames before the cut, and the torn rest marked bad', () => {
    fc.assert(
      fc.property(frames, fc.double({ min: 0, max: 1, noNaN: true }), (fs, at) => {
        const buf = encodeRecords(fs);
        const cut = Math.floor(buf.length * at);
        const d = decodeRecords(buf.subarray(0, cut));
        const whole = starts(fs).filter((s, i) => s + 10 + fs[i].length <= cut).length;
        assert.deepEqual(d.frames, fs.slice(0, whole));
        const covered = d.bad.reduce((a, [s, e]) => a + e - s, 0) + d.frames.reduce((a, f) => a + f.length + 10, 0);
        assert.equal(covered, cut);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  test('bits flipped anywhere: every frame not hit comes back, in order, and no other', () => {
    fc.assert(
      fc.property(
        frames,
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        (fs, flips) => {
          const buf = Buffer.from(encodeRecords(fs));
          if (!buf.length) return;
          const hit = new Set<number>();
          const at = starts(fs);
          for (const [where, bit] of flips) {
            const p = Math.min(buf.length - 1, Math.floor(buf.length * where));
            buf[p] ^= 1 << bit;
            let i = at.length - 1;
            while (i > 0 && at[i] > p) i--;
            hit.add(i);
          }
          const d = decodeRecords(buf);
          const untouched = fs.filter((_, i) => !hit.has(i));
          // frames hit twice on the same bit are whole again: the result lies between the two
          const got = d.frames.map((f) => f.toString('hex'));
          const all = fs.map((f) => f.toString('hex'));
          let k = 0;
          for (const g of got) {
            while (k < all.length && all[k] !== g) k++;
            assert.ok(k < all.length, 'a frame that was never written came back');
            k++;
          }
          for (const u of untouched) assert.ok(got.includes(u.toString('hex')), 'an undamaged frame was lost');
          assert.ok(d.bad.length > 0 || got.length === fs.length);
        },
      ),
      { numRuns: fuzzRuns(300) },
    );
  });

  test('segments written before the checksums ("LEN SP MSG") are still read', () => {
    const old = Buffer.concat([octetFrame('<13>one'), octetFrame('<13>two')]);
    assert.deepEqual(
      decodeRecords(old).frames.map((f) => f.toString()),
      ['7 <13>one', '7 <13>two'],
    );
    const torn = decodeRecords(Buffer.concat([old, Buffer.from('12 <13')]));
    assert.equal(torn.frames.length, 2);
    assert.deepEqual(torn.bad, [[old.length, old.length + 6]]);
  });

  test('a queue started on a damaged segment delivers its good frames and keeps the damage aside', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dk-seg-'));
    const logged: string[] = [];
    try {
      const msgs = Array.from({ length: 100 }, (_, i) => octetFrame(`<13>Dec  1 06:00:00 h app: message ${i}`));
      const buf = Buffer.from(encodeRecords(msgs));
      const at = starts(msgs);
      // one bit flipped inside message 10's text, message 50's length damaged, the last one torn
      buf[at[10] + 20] ^= 0x04;
      buf[at[50] + 4] ^= 0x80;
      writeFileSync(join(dir, '1000000000.seg'), buf.subarray(0, buf.length - 7));
      const q = new FrameQueue({ dir, memBytes: 1 << 20, maxBytes: 1 << 30, log: (l) => logged.push(l), name: '@@loghost' });
      assert.equal(q.damaged, 3);
      assert.equal(q.length, 97);
      const got: string[] = [];
      while (q.length) got.push(...q.shift(1 << 20).map((f) => f.toString()));
      assert.deepEqual(
        got,
        msgs.filter((_, i) => i !== 10 && i !== 50 && i !== 99).map((f) => f.toString()),
      );
      assert.equal(logged.length, 1);
      assert.match(logged[0], /@@loghost: .*1000000000\.seg: 3 damaged parts \(\d+ bytes\) kept in 1000000000\.seg\.bad; 97 good messages queued/);
      assert.ok(existsSync(join(dir, '1000000000.seg.bad')));
      assert.equal(readFileSync(join(dir, '1000000000.seg.bad')).length, q.damagedBytes);
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.endsWith('.seg')),
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
