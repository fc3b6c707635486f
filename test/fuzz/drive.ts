/**
 * Drives one fuzz target: `runs` cases in chunks (each a fast-check run of
 * its own seed, so progress shows and a failure names a seed to replay),
 * timing every case. A crash is reported with the shrunk input.
 */
import fc from 'fast-check';
import { inputs, type Target } from './targets.js';

export interface FuzzResult {
  name: string;
  runs: number;
  ms: number;
  /** the slowest single case, ms */
  slowestMs: number;
  failure?: string;
}

export function drive(t: Target, runs: number, seed: number, chunk = 50_000, progress?: (done: number) => void): FuzzResult {
  const arb = inputs(t.seeds);
  let slowest = 0;
  const t0 = performance.now();
  let done = 0;
  for (let k = 0; done < runs; k++) {
    const n = Math.min(chunk, runs - done);
    const r = fc.check(
      fc.property(arb, (x) => {
        const s = performance.now();
        t.run(x);
        const d = performance.now() - s;
        if (d > slowest) slowest = d;
      }),
      { numRuns: n, seed: seed + k, endOnFailure: true },
    );
    if (r.failed) {
      const input = r.counterexample?.[0] as Buffer | undefined;
      return {
        name: t.name,
        runs: done + r.numRuns,
        ms: performance.now() - t0,
        slowestMs: slowest,
        failure: `seed ${seed + k}: ${String((r.errorInstance as Error | undefined)?.stack ?? r.errorInstance)} on ${JSON.stringify(input?.toString('latin1'))}`,
      };
    }
    done += n;
    progress?.(done);
  }
  return { name: t.name, runs: done, ms: performance.now() - t0, slowestMs: slowest };
}
