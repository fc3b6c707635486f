/**
 * dk top against procps top in batch mode on generated command lines
 * (issue 13): the zoo's PIDs or its user, threads, command lines, idle
 * hiding, cumulative time, sort fields, widths and memory units. The task
 * area is compared; the summary lines above it change between two reads.
 */
import { zooSuite } from '../helpers/zoosuite.js';
import { cases, taskArea } from './cases.js';

zooSuite({
  suite: 'dk top and procps top on generated command lines',
  test: '-b -n1 with PIDs or a user, thread, command, idle, sort, width and unit options',
  tool: 'top',
  pkg: 'procps',
  cases,
  runs: 40,
  norm: taskArea,
});
