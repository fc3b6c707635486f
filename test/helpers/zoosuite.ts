/**
 * One differential suite over the zoo: starts it when the peer is there,
 * compares dk with the peer on the generated cases, stops it. The tool's
 * test file says which peer, which cases and how many.
 */
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { cHelper } from './ctool.js';
import { type Case, type Normalise, params, sameAsPeer } from './differential.js';
import { requirePeer, which } from './peers.js';
import { startZoo, type Zoo } from './zoo.js';

export interface ZooSuite {
  /** the describe and test titles */
  suite: string;
  test: string;
  /** the command (dk's tool and the peer's have the same name) and the Debian package it comes in */
  tool: string;
  pkg: string;
  /** the zoo's C helper is required (its files and tasks are what the cases select) rather than optional */
  needsHelper?: boolean;
  cases: (zoo: Zoo) => fc.Arbitrary<Case>;
  /** generated cases per run by default (DK_FUZZ_RUNS overrides) */
  runs: number;
  norm?: Normalise;
  /** cases run every time before the generated ones (differences found once and fixed) */
  examples?: (zoo: Zoo) => Case[];
}

export function zooSuite(o: ZooSuite): void {
  let zoo: Zoo | undefined;
  describe(o.suite, () => {
    before(async () => {
      if (!which(o.tool) || (o.needsHelper && !which('gcc'))) return;
      zoo = await startZoo(which('gcc') ? cHelper(undefined, 'tasks') : undefined);
    });
    after(async () => {
      await zoo?.stop();
    });

    test(o.test, (t) => {
      if (!requirePeer(t, o.tool, o.pkg) || (o.needsHelper && !requirePeer(t, 'gcc', 'gcc')) || !zoo) return;
      fc.assert(sameAsPeer(o.tool, o.tool, o.cases(zoo), o.norm), { ...params(o.runs), examples: (o.examples?.(zoo) ?? []).map((c) => [c] as [Case]) });
    });
  });
}
