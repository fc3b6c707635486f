/**
 * dk lsof against lsof on generated selections (issue 13): PIDs, users,
 * process groups, command prefixes and directories ORed, Internet, unix,
 * descriptor and state selections ANDed with a PID, field output, -t, and
 * the flags that change columns, -K and -K i, over the zoo and its files
 * helper (TCP and UDP on both loopbacks, a unix socket, pipes, an offset
 * file, a deleted one, a name with a space, backslash and tab, a partial
 * POSIX lock and a whole-file flock).
 */
import { zooSuite } from '../helpers/zoosuite.js';
import { cases } from './cases.js';

zooSuite({
  suite: 'dk lsof and lsof on generated selections',
  test: 'selections, field output and column flags over the zoo',
  tool: 'lsof',
  pkg: 'lsof',
  needsHelper: true,
  cases,
  runs: 60,
  // -F over a task's set: lsof names the task (K, M) after p; found by a generated case in a clean CI run
  examples: (z) => [
    { args: ['-K', '-a', '-p', String(z.byRole['thread-parent']), '-F'] },
    { args: ['-K', '-a', '-p', String(z.byRole['thread-parent']), '-FpKMc'] },
  ],
});
