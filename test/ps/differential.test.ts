/**
 * dk ps against procps ps on generated command lines (issue 13): fast-check
 * builds option sets from every format specifier the peer itself lists
 * (ps L), its sort keys, UNIX, BSD and GNU selections and their mixes,
 * thread and forest views, widths and header options, and both must print
 * the same thing for the zoo. Selections stay inside the zoo (its PIDs,
 * sessions, parents, a uid and gid nobody else uses, a command name nobody
 * else has), so other tests running meanwhile cannot change the answer.
 */
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { psCases } from './cases.js';
import { EXTENSIONS } from '../../src/ps/columns.js';
import { cHelper } from '../helpers/ctool.js';
import assert from 'node:assert/strict';
import { compareOnce, params, sameAsPeer } from '../helpers/differential.js';
import { dk, ENV, run } from '../helpers/dk.js';
import { requirePeer, which } from '../helpers/peers.js';
import { startZoo, type Zoo } from '../helpers/zoo.js';

/**
 * Specifiers left out, each for a reason README gives: pss and uss depend on
 * who else maps the same pages at the instant, the observer included; the
 * _left.._unlimited2 columns are procps's own self-test samples.
 */
const LEFT_OUT = new Set(['pss', 'uss', '_left', '_left2', '_right', '_right2', '_unlimited', '_unlimited2']);

let zoo: Zoo | undefined;
let specifiers: string[] = [];

describe('dk ps and procps ps on generated command lines', () => {
  before(async () => {
    if (!which('ps')) return;
    zoo = await startZoo(which('gcc') ? cHelper(undefined, 'tasks') : undefined);
    specifiers = run('ps', ['L'], ENV)
      .out.split('\n')
      .map((l) => l.split(/\s+/)[0])
      .filter((s) => s && !LEFT_OUT.has(s));
    // without libnuma procps prints -1 for every NUMA node; dk reads sysfs
    if (run('sh', ['-c', 'ldconfig -p | grep -q libnuma.so'], ENV).code !== 0) specifiers = specifiers.filter((s) => s !== 'numa');
  });
  after(async () => {
    await zoo?.stop();
  });

  test('thread options with forest options: both refuse, as the BSD second parse refuses them too', (t) => {
    if (!requirePeer(t, 'ps', 'procps') || !zoo) return;
    const pid = String(zoo.byRole.sleeper0);
    for (const threads of ['-L', '-T', '-m', 'm', 'H']) {
      for (const forest of ['--forest', 'f', '-H']) {
        const d = compareOnce('ps', 'ps', { args: [threads, forest, '-p', pid, 'n'] });
        assert.equal(d, undefined, `${threads} ${forest}: ${d}`);
      }
    }
  });

  test('every specifier the peer lists is one dk knows', (t) => {
    if (!requirePeer(t, 'ps', 'procps') || !zoo) return;
    const unknown = specifiers.filter((s) => dk(['ps', '-o', s, '-p', String(zoo!.byRole.sleeper0)]).code !== 0);
    assert.deepEqual(unknown, []);
    // and ps L lists the same ones, less procps's self-test columns
    const theirs = run('ps', ['L'], ENV)
      .out.split('\n')
      .filter((l) => !l.startsWith('_'))
      .join('\n');
    const ours = dk(['ps', 'L'])
      .out.split('\n')
      .filter((l) => !EXTENSIONS.has(l.split(' ')[0]))
      .join('\n');
    assert.equal(ours, theirs);
  });

  test('formats, selections, sorts, threads, forests and widths', (t) => {
    if (!requirePeer(t, 'ps', 'procps') || !zoo) return;
    fc.assert(sameAsPeer('ps', 'ps', psCases(zoo, specifiers)), params(150));
  });
});
