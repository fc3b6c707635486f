/**
 * Every fuzz target with a few thousand cases (`npm run fuzz` runs a
 * million each): no crash, no case slower than a second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drive } from './drive.js';
import { TARGETS } from './targets.js';
import { runs } from '../helpers/differential.js';

const seed = Number(process.env.DK_FUZZ_SEED) || 20261201;
for (const t of TARGETS) {
  test(`fuzz: ${t.name}`, () => {
    const r = drive(t, runs(3000), seed);
    assert.equal(r.failure, undefined, r.failure);
    assert.ok(r.slowestMs < 1000, `slowest case ${r.slowestMs.toFixed(1)} ms`);
  });
}
