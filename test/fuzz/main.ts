/**
 * One fuzz target in a process of its own (scripts/fuzz.mjs runs them two
 * at a time and watches for hangs): `node main.js INDEX RUNS SEED` prints
 * "progress N" lines, then one JSON line with the result and the peak RSS.
 */
import { readFileSync } from 'node:fs';
import { drive } from './drive.js';
import { TARGETS } from './targets.js';

const [index, runs, seed] = process.argv.slice(2).map(Number);
const t = TARGETS[index];
const r = drive(t, runs, seed, 50_000, (n) => process.stdout.write(`progress ${n}\n`));
const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))?.[1]);
process.stdout.write(`${JSON.stringify({ ...r, peakRssMiB: Math.round(peakKiB / 102.4) / 10 })}\n`);
process.exit(r.failure ? 1 : 0);
