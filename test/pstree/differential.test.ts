/**
 * dk pstree against psmisc pstree on generated option sets (issue 13), each
 * rooted at a process of the zoo: drawing styles, PIDs, PGIDs, arguments,
 * uid and namespace changes, threads shown, hidden or named, compaction and
 * sorting, with -s the ancestors up to init.
 */
import { zooSuite } from '../helpers/zoosuite.js';
import { cases } from './cases.js';

zooSuite({
  suite: 'dk pstree and psmisc pstree on generated option sets',
  test: 'options, drawing styles and roots in the zoo',
  tool: 'pstree',
  pkg: 'psmisc',
  cases,
  runs: 60,
});
