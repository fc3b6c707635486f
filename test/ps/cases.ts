/** fast-check generators of ps command lines restricted to the zoo (see differential.test.ts). */
import fc from 'fast-check';
import { statOf } from '../helpers/children.js';
import type { Case } from '../helpers/differential.js';
import { ODD_NAME, OTHER_GID, OTHER_UID, SPACED_NAME, type Zoo } from '../helpers/zoo.js';

/**
 * Under -m and m procps 4.0.2 prints a zero for per-thread columns whose data
 * only the thread lines use (it never reads them): psr 0, pri 39, class TS.
 * dk prints the real values (README lists it); such columns are left out of
 * -m listings here.
 */
const UNREAD_UNDER_M = new Set(
  'class cls cpuid eip esp intpri lastcpu oom oomadj opri policy pri pri_api pri_bar pri_baz pri_foo priority psr rbytes rchars rops rtprio sched sgi_p wbytes wcbytes wchan wchars wname wops'.split(
    ' ',
  ),
);

export function psCases(z: Zoo, specs: string[]): fc.Arbitrary<Case> {
  const pids = z.pids.map(String);
  const some = fc.subarray(pids, { minLength: 1 });
  const sessions = [...new Set(z.pids.map((p) => sessionOf(p)).filter((s): s is number => s !== undefined))].map(String);
  const parents = [z.byRole.shell, z.byRole.zparent, ...Object.values(z.kinds).map((k) => k.parent)].filter(Boolean).map(String);

  const selection = fc.oneof(
    some.map((l) => ['-p', l.join(',')]),
    some.map((l) => ['p', l.join(',')]),
    some.map((l) => ['--pid', l.join(' ')]),
    some.map((l) => [`--pid=${l.join(',')}`]),
    fc.subarray(parents, { minLength: 1 }).map((l) => ['--ppid', l.join(',')]),
    fc.subarray(sessions, { minLength: 1 }).map((l) => ['-s', l.join(',')]),
    fc.constant(['-C', ODD_NAME]),
    fc.constant(['-C', SPACED_NAME]),
    fc.constantFrom(
      ['-u', String(OTHER_UID)],
      ['-U', String(OTHER_UID)],
      ['U', String(OTHER_UID)],
      ['-G', String(OTHER_GID)],
      ['--group', String(OTHER_GID)],
      ['--user', String(OTHER_UID)],
    ),
  );
  const selections = fc.oneof(
    { weight: 1, arbitrary: some.map((l) => ['-q', l.join(',')]) },
    { weight: 6, arbitrary: fc.array(selection, { minLength: 1, maxLength: 3 }).map((a) => a.flat()) },
  );

  const spec = fc.constantFrom(...specs);
  const item = fc
    .record({ spec, width: fc.option(fc.integer({ min: 1, max: 40 }), { freq: 4 }) })
    .map(({ spec, width }) => (width === null ? spec : `${spec}:${width}`));
  const header = fc.option(fc.constantFrom('', 'X', 'Long Header', 'Ñame', 'a,b'), { freq: 3 });
  const list = fc.tuple(fc.array(item, { minLength: 1, maxLength: 6 }), header).map(([items, h]) => (h === null ? items.join(',') : `${items.join(',')}=${h}`));
  const format = fc.oneof(
    { weight: 2, arbitrary: fc.constant<string[]>([]) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ['-f'],
        ['-F'],
        ['-l'],
        ['-ly'],
        ['-j'],
        ['-fj'],
        ['-c'],
        ['-cl'],
        ['-M'],
        ['u'],
        ['v'],
        ['j'],
        ['l'],
        ['s'],
        ['X'],
        ['Z'],
        ['-fL'],
        ['-lL'],
      ),
    },
    { weight: 8, arbitrary: fc.array(list, { minLength: 1, maxLength: 2 }).map((ls) => ls.flatMap((l) => ['-o', l])) },
    { weight: 2, arbitrary: list.map((l) => ['-O', l]) },
    { weight: 1, arbitrary: list.map((l) => ['o', l]) },
    { weight: 1, arbitrary: list.map((l) => [`--format=${l}`]) },
  );
  const sortKey = fc.tuple(fc.constantFrom('', '+', '-'), spec).map(([s, k]) => s + k);
  const modifiers = fc
    .record(
      {
        threads: fc.constantFrom(['-L'], ['H'], ['-T'], ['-m'], ['m']),
        forest: fc.constantFrom(['--forest'], ['f'], ['-H']),
        width: fc.oneof(
          fc.constantFrom(['-w'], ['-ww'], ['w'], ['ww']),
          fc.integer({ min: 20, max: 400 }).map((n) => [`--cols=${n}`]),
          fc.integer({ min: 20, max: 400 }).map((n) => ['--width', String(n)]),
        ),
        headers: fc.constantFrom(['--no-headers'], ['--headers'], ['h']),
        sort: fc.array(sortKey, { minLength: 1, maxLength: 3 }).map((k) => [`--sort=${k.join(',')}`]),
        bsd: fc.subarray(['S', 'c', 'e', 'n']).filter((a) => a.length > 0),
      },
      { requiredKeys: [] },
    )
    // thread and forest options together fail the first parse and fall back to BSD parsing, which lists other
    // processes than the zoo's (the observer among them); a test of its own checks that both refuse them
    .filter((m) => !(m.threads && m.forest));
  return fc.tuple(selections, format, modifiers, fc.boolean()).map(([sel, fmt0, mod, selFirst]) => {
    const extra = [mod.threads, mod.forest, mod.width, mod.headers, mod.sort, mod.bsd].filter((x): x is string[] => x !== undefined).flat();
    const underM = mod.threads?.[0] === '-m' || mod.threads?.[0] === 'm';
    // with -m, formats that hold columns procps leaves unread (psr, pri, class, wchan, eip) give way to -f
    const fmt = underM && ['-F', '-l', '-ly', '-c', '-cl', '-lL', '-fL', 'l', 'X'].includes(fmt0[0] ?? '') ? ['-f'] : fmt0;
    const args = selFirst ? [...sel, ...fmt, ...extra] : [...fmt, ...extra, ...sel];
    const quick = sel.some((a) => a === '-q' || a === 'q' || a.startsWith('--quick-pid'));
    return { args: underM ? args.map((a, i) => withoutUnread(a, args[i - 1], quick)) : args };
  });
}

/**
 * With -q as well, procps 4.0.2 reads the leader twice (as the process and
 * as its first thread) and the thread line's scheduling class is left unset:
 * NI prints '-' there. dk prints the nice value (README).
 */
const UNSET_UNDER_M_QUICK = new Set(['ni', 'nice']);

/** a format list with the columns procps leaves unread under -m replaced by pid (see UNREAD_UNDER_M) */
function withoutUnread(arg: string, before: string | undefined, quick: boolean): string {
  const blank = (list: string): string =>
    list
      .split(',')
      .map((item) => {
        const spec = item.split(/[:=]/)[0];
        return UNREAD_UNDER_M.has(spec) || (quick && UNSET_UNDER_M_QUICK.has(spec)) ? `pid${item.slice(spec.length)}` : item;
      })
      .join(',');
  if (before === '-o' || before === 'o' || before === '-O') return blank(arg);
  return arg.startsWith('--format=') ? `--format=${blank(arg.slice(9))}` : arg;
}

function sessionOf(pid: number): number | undefined {
  const f = statOf(pid);
  return f ? Number(f[3]) : undefined;
}
