/**
 * dk pstree against psmisc pstree on generated option sets (issue 13), each
 * rooted at a process of the zoo: drawing styles, PIDs, PGIDs, arguments,
 * uid and namespace changes, threads shown, hidden or named, compaction and
 * sorting, with -s the ancestors up to init.
 */
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { cHelper } from '../helpers/ctool.js';
import { params, sameAsPeer } from '../helpers/differential.js';
import { requirePeer, which } from '../helpers/peers.js';
import { startZoo, type Zoo } from '../helpers/zoo.js';
import { cases } from './cases.js';

let zoo: Zoo | undefined;

describe('dk pstree and psmisc pstree on generated option sets', () => {
  before(async () => {
    if (which('pstree')) zoo = await startZoo(which('gcc') ? cHelper(undefined, 'tasks') : undefined);
  });
  after(async () => {
    await zoo?.stop();
  });

  test('options, drawing styles and roots in the zoo', (t) => {
    if (!requirePeer(t, 'pstree', 'psmisc') || !zoo) return;
    fc.assert(sameAsPeer('pstree', 'pstree', cases(zoo)), params(60));
  });
});
