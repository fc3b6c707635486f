/**
 * dk top against procps top in batch mode on generated command lines
 * (issue 13): the zoo's PIDs or its user, threads, command lines, idle
 * hiding, cumulative time, sort fields, widths and memory units. The task
 * area is compared; the summary lines above it change between two reads.
 */
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { cHelper } from '../helpers/ctool.js';
import { params, sameAsPeer } from '../helpers/differential.js';
import { requirePeer, which } from '../helpers/peers.js';
import { startZoo, type Zoo } from '../helpers/zoo.js';
import { cases, taskArea } from './cases.js';

let zoo: Zoo | undefined;

describe('dk top and procps top on generated command lines', () => {
  before(async () => {
    if (which('top')) zoo = await startZoo(which('gcc') ? cHelper(undefined, 'tasks') : undefined);
  });
  after(async () => {
    await zoo?.stop();
  });

  test('-b -n1 with PIDs or a user, thread, command, idle, sort, width and unit options', (t) => {
    if (!requirePeer(t, 'top', 'procps') || !zoo) return;
    fc.assert(sameAsPeer('top', 'top', cases(zoo), taskArea), params(40));
  });
});
