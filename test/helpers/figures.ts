/**
 * A reliability test's result as a row of README's Reliability table:
 * printed as a TAP diagnostic "FIGURE {json}" that `npm run bench -- soak`
 * collects from its longer runs (bench/soak.mjs).
 */
import type { TestContext } from 'node:test';

export interface Figure {
  daemon: string;
  fault: string;
  /** what was done: size, rate, duration */
  load: string;
  /** what held: lost, duplicates, RSS, recovery time */
  held: string;
}

export function figure(t: TestContext, f: Figure): void {
  t.diagnostic(`FIGURE ${JSON.stringify(f)}`);
}
