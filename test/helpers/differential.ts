/**
 * The differential rule: run dk X and the peer with the same generated
 * arguments, compare exit status, standard output and whether anything was
 * said on standard error. Rows can legitimately change between the two reads
 * (a clock ticks over, a counter moves, another test's processes come and
 * go): each line of ours may be the peer's line read before it or after it,
 * and a difference is retried, once at once and once 200 ms later; only one
 * that persists fails, with both outputs' first differing line.
 */
import fc from 'fast-check';
import { dk, run, type Result } from './dk.js';

export interface Case {
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** what "the same" means for one tool: the outputs after a normalisation both sides get */
export type Normalise = (out: string) => string;

function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i + 1}:\n  dk:   ${JSON.stringify(x[i])}\n  peer: ${JSON.stringify(y[i])}`;
  }
  return 'equal';
}

/** peers that crash (procps 4.0.2's ps -lL m segfaults) are not compared; they are counted */
export const peerCrashes: string[] = [];

/**
 * A line whose every word is the before's or the after's, or a number
 * between the two (the columns stay where they are only when the widths
 * do): a rate that drifts as a young process ages (cuu, %cpu) moves on
 * every read.
 */
function between(mine: string, before: string, after: string): boolean {
  const [m, b, a] = [mine, before, after].map((l) => l.split(/(\s+)/));
  if (m.length !== b.length || m.length !== a.length) return false;
  const num = (v: string) => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : undefined);
  return m.every((v, i) => {
    if (v === b[i] || v === a[i]) return true;
    const [x, lo, hi] = [num(v), num(b[i]), num(a[i])];
    return x !== undefined && lo !== undefined && hi !== undefined && x >= Math.min(lo, hi) && x <= Math.max(lo, hi);
  });
}

/**
 * Why ours differs from the peer's reading before it and the one after it,
 * or undefined: every line of ours must be the line of one of them (a clock
 * ticks over between the reads: an etimes row may take either value).
 */
function differs(ours: Result, peer: Result, norm: Normalise, peerAfter?: Result): string | undefined {
  if (ours.code !== peer.code)
    return `exit ${ours.code} vs the peer's ${peer.code}\n  dk stderr: ${ours.err.split('\n')[0]}\n  peer stderr: ${peer.err.split('\n')[0]}`;
  if ((ours.err === '') !== (peer.err === ''))
    return `stderr: dk ${JSON.stringify(ours.err.slice(0, 200))} vs the peer's ${JSON.stringify(peer.err.slice(0, 200))}`;
  const a = norm(ours.out);
  const b = norm(peer.out);
  if (a === b) return undefined;
  if (peerAfter && peerAfter.code === peer.code) {
    const x = a.split('\n');
    const y = b.split('\n');
    const z = norm(peerAfter.out).split('\n');
    if (x.length === y.length && x.length === z.length && x.every((l, i) => l === y[i] || l === z[i] || between(l, y[i], z[i]))) return undefined;
  }
  return firstDifference(a, b);
}

/** Compares dk TOOL and the peer on one case; returns the difference that persisted, or undefined. */
export function compareOnce(tool: string, peer: string, c: Case, norm: Normalise = (s) => s): string | undefined {
  const first = run(peer, c.args, c.env);
  if (first.code === -1) {
    peerCrashes.push(`${peer} ${c.args.join(' ')}`);
    return undefined;
  }
  const attempt = (before: Result): string | undefined => {
    const ours = dk([tool, ...c.args], c.env);
    const d = differs(ours, before, norm);
    return d && differs(ours, before, norm, run(peer, c.args, c.env));
  };
  let d = attempt(first);
  if (d) d = attempt(run(peer, c.args, c.env));
  // other test files start and stop their own zoos meanwhile (the same other uid, the same names):
  // a difference that is real is still there a moment later
  if (d) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    d = attempt(run(peer, c.args, c.env));
  }
  return d;
}

/** How many generated cases a run makes: DK_FUZZ_RUNS (npm run fuzz) or the suite's default. */
export function runs(suiteDefault: number): number {
  const n = Number(process.env.DK_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : suiteDefault;
}

/** fast-check parameters: seeded from DK_FUZZ_SEED when given; the seed and the shrunk case are printed on failure. */
export function params<T extends unknown[] = [Case]>(suiteDefault: number): fc.Parameters<T> {
  const seed = Number(process.env.DK_FUZZ_SEED);
  return { numRuns: runs(suiteDefault), ...(Number.isInteger(seed) ? { seed } : {}), includeErrorInReport: true };
}

/** A property over generated cases that fails with the difference found. */
export function sameAsPeer(tool: string, peer: string, cases: fc.Arbitrary<Case>, norm?: Normalise): fc.IPropertyWithHooks<[Case]> {
  return fc.property(cases, (c) => {
    const d = compareOnce(tool, peer, c, norm);
    if (d) throw new Error(`${tool} ${c.args.map((a) => (/[\s'"]/.test(a) || a === '' ? JSON.stringify(a) : a)).join(' ')}\n${d}`);
  });
}
