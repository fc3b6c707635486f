/**
 * dk lsof against lsof on generated selections (issue 13): PIDs, users,
 * process groups, command prefixes and directories ORed, Internet, unix,
 * descriptor and state selections ANDed with a PID, field output, -t, and
 * the flags that change columns, over the zoo and its files helper (TCP and
 * UDP on both loopbacks, a unix socket, pipes, an offset file, a deleted one).
 */
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { cHelper } from '../helpers/ctool.js';
import { params, sameAsPeer } from '../helpers/differential.js';
import { requirePeer, which } from '../helpers/peers.js';
import { startZoo, type Zoo } from '../helpers/zoo.js';
import { cases } from './cases.js';

let zoo: Zoo | undefined;

describe('dk lsof and lsof on generated selections', () => {
  before(async () => {
    if (which('lsof') && which('gcc')) zoo = await startZoo(cHelper(undefined, 'tasks'));
  });
  after(async () => {
    await zoo?.stop();
  });

  test('selections, field output and column flags over the zoo', (t) => {
    if (!requirePeer(t, 'lsof', 'lsof') || !requirePeer(t, 'gcc', 'gcc') || !zoo) return;
    fc.assert(sameAsPeer('lsof', 'lsof', cases(zoo)), params(60));
  });
});
