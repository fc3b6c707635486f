/**
 * Live fuzzing, short: a few batches on every socket kind of dk syslogd,
 * dk rpcbind and dk inetd, each followed by a valid request that must be
 * answered (`npm run fuzz` sends many more).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveFuzz } from './live.js';
import { figure } from '../helpers/figures.js';

test('live fuzzing of every socket kind: a valid request answered after every batch, no daemon lost', async (t) => {
  const results = await liveFuzz({ casesPerSocket: Number(process.env.DK_LIVE_FUZZ_CASES) || 1000, batch: 250, seed: Number(process.env.DK_FUZZ_SEED) || 7 });
  for (const r of results)
    t.diagnostic(`${r.daemon} ${r.socket}: ${r.cases} cases in ${r.batches} batches, peak RSS ${r.peakRssMiB} MiB${r.problem ? `: ${r.problem}` : ''}`);
  assert.equal(results.length, 8);
  for (const r of results) assert.ok(r.ok, `${r.daemon} ${r.socket}: ${r.problem}`);
  for (const d of ['syslogd', 'rpcbind', 'inetd']) {
    const mine = results.filter((r) => r.daemon === d);
    figure(t, {
      daemon: d,
      fault: 'live fuzzing (random and mutated bytes)',
      load: mine.map((r) => `${r.cases.toLocaleString('en')} on ${r.socket}`).join(', '),
      held: `a valid request answered after each of ${mine.reduce((a, r) => a + r.batches, 0)} batches; peak RSS ${Math.max(...mine.map((r) => r.peakRssMiB))} MiB`,
    });
  }
});
