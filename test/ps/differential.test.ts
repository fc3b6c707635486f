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
 * who else maps the same pages at the instant, the observer included.
 */
const LEFT_OUT = new Set(['pss', 'uss']);

/**
 * The rest of procps 4.0.2's format table (src/ps/output.c): specifiers it
 * accepts and prints as '-' on Linux, which `ps L` does not list. A few of
 * them sort (vm_lock always; vm_data, vm_stack, end_code and start_code next
 * to a column that reads their item).
 */
const UNLISTED =
  'acflag acflg argc bnd cmaj_flt cmin_flt cnswap cpu ctid cursig cutime cwd emul end_code environ inblk inblock jid jobc ktrace ktracep login logname luser m_lrs m_resident msgrcv msgsnd mwchan nivcsw nsignals nsigs nswap nvcsw osz oublk oublock p_ru paddr poip prmgrp prmid project projid pset psxpri re resident rlink scnt scount share sl start_code status systime taskid tdev tsess tsession tsid u_procp umask upr uprocp usertime usrpri utime vm_data vm_exe vm_lock vm_stack xstat zoneid ~'.split(
    ' ',
  );

let zoo: Zoo | undefined;
let specifiers: string[] = [];

describe('dk ps and procps ps on generated command lines', () => {
  before(async () => {
    if (!which('ps')) return;
    zoo = await startZoo(which('gcc') ? cHelper(undefined, 'tasks') : undefined);
    specifiers = run('ps', ['L'], ENV)
      .out.split('\n')
      .map((l) => l.split(/\s+/)[0])
      .filter((s) => s && !LEFT_OUT.has(s))
      .concat(UNLISTED);
    // without libnuma procps prints -1 for every NUMA node; dk reads sysfs
    if (run('sh', ['-c', 'ldconfig -p | grep -q libnuma.so'], ENV).code !== 0) specifiers = specifiers.filter((s) => s !== 'numa');
  });
  after(async () => {
    await zoo?.stop();
  });

  test('a row already past the screen: the last column prints whole, none at exactly no room', (t) => {
    if (!requirePeer(t, 'ps', 'procps') || !zoo) return;
    // ESP overflows its width of 1 by 15 characters: with --width 20 or 40 the line is past active_cols when
    // COMMAND starts (procps's room is unsigned and wraps to the whole buffer), with 41 there is no room left
    const pid = String(zoo.byRole.long);
    for (const w of ['20', '40', '41', '42', '60']) {
      for (const fmt of [
        ['-O', '%cpu:4,esp:1'],
        ['-o', 'pid,esp:1,wchan,comm'],
        ['-o', 'esp:1,wchan:1,pid'],
      ]) {
        const d = compareOnce('ps', 'ps', { args: [...fmt, '--width', w, 'p', pid] });
        assert.equal(d, undefined, `ps ${fmt.join(' ')} --width ${w}: ${d}`);
      }
    }
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
    // and ps L lists the same ones
    const theirs = run('ps', ['L'], ENV).out;
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
