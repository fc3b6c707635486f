/** fast-check generators of pstree command lines rooted inside the zoo (see differential.test.ts). */
import fc from 'fast-check';
import type { Case } from '../helpers/differential.js';
import type { Zoo } from '../helpers/zoo.js';

export function cases(z: Zoo): fc.Arbitrary<Case> {
  const roots = Object.entries(z.byRole)
    .filter(([role]) => !role.endsWith('-child') && role !== 'zombie')
    .map(([, pid]) => String(pid));
  const flags = fc.subarray(['-a', '-c', '-g', '-l', '-n', '-p', '-s', '-S', '-t', '-T', '-u', '--arguments', '--long', '--show-pids', '--hide-threads']);
  const drawing = fc.constantFrom<string[]>([], ['-A'], ['-U'], ['-G'], ['--ascii']);
  return fc.tuple(flags, drawing, fc.constantFrom(...roots), fc.boolean()).map(([f, d, root, clustered]) => {
    const short = f.filter((x) => /^-[a-zA-Z]$/.test(x));
    const long = f.filter((x) => x.startsWith('--'));
    // clustered short options (-apu) exercise the parser the way people type them
    const opts = clustered && short.length > 1 ? [`-${short.map((x) => x[1]).join('')}`, ...long] : f;
    return { args: [...opts, ...d, root] };
  });
}
