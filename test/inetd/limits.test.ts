/** Limits per source: a flooding address is refused, the others are not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Limits } from '../../src/inetd/server/limits.js';

test('per_source and instances', () => {
  const l = new Limits({ perSource: 2, instances: 3 });
  assert.ok(l.begin('a').ok && l.begin('a').ok);
  assert.deepEqual(l.begin('a'), { ok: false, code: 'per_source_limit', reason: 'per_source limit (2) for a' });
  assert.ok(l.begin('b').ok);
  assert.deepEqual(l.begin('c'), { ok: false, code: 'service_limit', reason: 'instances limit (3)' });
  l.end('a');
  assert.ok(l.begin('c').ok);
});

test('connections per second per source: the flooder pauses, the others go on', () => {
  const l = new Limits({ cps: [5, 10] });
  const t = 1_000_000;
  for (let i = 0; i < 5; i++) {
    assert.ok(l.begin('flood', t + i).ok);
    l.end('flood');
  }
  assert.equal(l.begin('flood', t + 10).ok, false);
  assert.ok(l.begin('other', t + 11).ok);
  // still refused later in its pause, whatever the second
  assert.equal(l.begin('flood', t + 5_000).ok, false);
  assert.ok(l.begin('flood', t + 10_011).ok);
});

test('nowait.MAX: spawns a minute, per source', () => {
  const l = new Limits({ maxPerMinute: 3 });
  const t = 60_000 * 1000;
  for (let i = 0; i < 3; i++) {
    assert.ok(l.begin('x', t + i).ok);
    l.end('x');
  }
  assert.equal(l.begin('x', t + 10).ok, false);
  assert.ok(l.begin('y', t + 10).ok);
  assert.ok(l.begin('x', t + 60_000).ok);
});

test('any sequence: the count never goes negative and never exceeds the limits', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.constantFrom('a', 'b', 'c')), { maxLength: 200 }), (ops) => {
      const l = new Limits({ perSource: 2, instances: 4 });
      const held = new Map<string, number>();
      for (const [open, who] of ops) {
        if (open) {
          if (l.begin(who).ok) held.set(who, (held.get(who) ?? 0) + 1);
        } else if (held.get(who)) {
          l.end(who);
          held.set(who, held.get(who)! - 1);
        }
        assert.ok(l.running >= 0 && l.running <= 4);
        for (const n of held.values()) assert.ok(n <= 2);
      }
    }),
  );
});
