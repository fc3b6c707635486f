/** fast-check generators of lsof command lines restricted to the zoo (see differential.test.ts). */
import fc from 'fast-check';
import type { Case } from '../helpers/differential.js';
import { OTHER_UID, type Zoo } from '../helpers/zoo.js';

export function cases(z: Zoo): fc.Arbitrary<Case> {
  const files = String(z.byRole.files);
  const pids = z.pids.map(String);
  const some = fc.subarray(pids, { minLength: 1, maxLength: 6 });
  const { tcp4, udp4, tcp6 } = z.ports;
  const inet = fc.constantFrom(
    '-i',
    '-i4',
    '-i6',
    '-iTCP',
    '-iUDP',
    '-i4TCP',
    '-i6TCP',
    '-i4UDP',
    `-i:${tcp4}`,
    `-iTCP:${tcp4}`,
    `-iUDP:${udp4}`,
    `-i@127.0.0.1`,
    `-i@127.0.0.1:${tcp4}`,
    `-i6@[::1]:${tcp6}`,
    `-i:${tcp4}-${udp4 > tcp4 ? udp4 : tcp4 + 1}`,
    '-iTCP',
  );
  // every selection stays inside the zoo: ORed ones only name zoo processes, the rest are ANDed with -p
  const ored = fc.oneof(
    some.map((l) => ['-p', l.join(',')]),
    fc.constant(['-u', String(OTHER_UID)]),
    fc.constant(['-g', String(z.byRole.leader)]),
    fc.constant(['+d', z.dir]),
    fc.constant(['+D', z.dir]),
    fc.constant(['-c', 'zoo-']),
    // -K: every task, ANDed so the tasks are the zoo's (the thread's among them)
    some.map((l) => ['-K', '-a', '-p', l.join(',')]),
  );
  const anded = fc.oneof(
    inet.map((i) => [i]),
    fc.constant(['-U']),
    fc.constantFrom(['-d', '0-2'], ['-d', 'cwd,txt'], ['-d', '^mem'], ['-d', '3-9'], ['-d', 'rtd,0']),
    fc.constantFrom(['-s', 'TCP:LISTEN'], ['-s', 'TCP:^LISTEN'], ['-s', 'UDP:Idle']),
  );
  const output = fc.oneof(
    { weight: 4, arbitrary: fc.constant<string[]>([]) },
    { weight: 1, arbitrary: fc.constant(['-t']) },
    { weight: 2, arbitrary: fc.subarray([...'pcugPRKMfatDsinL0']).map((f) => [`-F${f.join('')}`]) },
  );
  const flags = fc.subarray(['-n', '-P', '-l', '-s', '-R', '-w', '-Ki']);
  return fc.oneof(
    fc.tuple(ored, flags, output).map(([sel, f, out]) => ({ args: [...f, ...sel, ...out] })),
    fc
      .tuple(fc.array(anded, { minLength: 1, maxLength: 2 }), flags, output)
      .map(([and, f, out]) => ({ args: [...f, '-a', '-p', files, ...and.flat(), ...out] })),
  );
}
