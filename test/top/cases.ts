/** fast-check generators of top -b -n1 command lines over the zoo's PIDs (see differential.test.ts). */
import fc from 'fast-check';
import type { Case } from '../helpers/differential.js';
import { OTHER_UID, type Zoo } from '../helpers/zoo.js';

/** the fields top can sort by, as -o takes them */
const SORT = ['PID', 'USER', 'PR', 'NI', 'VIRT', 'RES', 'SHR', 'S', '%CPU', '%MEM', 'TIME+', 'COMMAND'];

export function cases(z: Zoo): fc.Arbitrary<Case> {
  // top takes at most 20 PIDs
  const pids = fc.subarray(z.pids.map(String), { minLength: 1, maxLength: 20 });
  const flags = fc.subarray(['-H', '-c', '-S', '-i']);
  const sort = fc.option(
    fc.tuple(fc.constantFrom('', '+', '-'), fc.constantFrom(...SORT)).map(([s, f]) => ['-o', s + f]),
    { nil: undefined },
  );
  const width = fc.option(
    fc.integer({ min: 60, max: 300 }).map((w) => [`-w${w}`]),
    { nil: undefined },
  );
  const unit = fc.option(fc.constantFrom(['-e', 'k'], ['-e', 'm'], ['-e', 'g'], ['-E', 'm']), { nil: undefined });
  const who = fc.oneof(
    pids.map((l) => ['-p', l.join(',')]),
    fc.constant(['-U', String(OTHER_UID)]),
  );
  return (
    fc
      .tuple(who, flags, sort, width, unit)
      // procps top 4.0.2 fails ("library failed pids statistics") sorting by TIME+ under -S; README lists it
      .filter(([, f, s]) => !(f.includes('-S') && s?.[1]?.endsWith('TIME+')))
      .map(([w, f, s, wd, u]) => ({ args: ['-b', '-n1', ...w, ...f, ...(s ?? []), ...(wd ?? []), ...(u ?? [])] }))
  );
}

/**
 * The part of a frame both can be held to: the task area (from the column
 * header on). The summary above it moves between any two reads (clock,
 * load, CPU and memory use of the whole machine); tests of their own check it.
 */
export function taskArea(out: string): string {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => /^\s*PID\s+USER/.test(l));
  return at < 0 ? out : lines.slice(at).join('\n');
}
