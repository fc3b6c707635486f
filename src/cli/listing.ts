/**
 * The entry of dist/dk-listing.cjs: `dk ps`, `dk pstree`, `dk lsof`,
 * `dk top` and their links, which the launcher sends here and nothing else
 * (importing the rest of dk here would put it back in this bundle).
 */
import { dispatch, error } from './io.js';
import { LISTING_TOOLS } from './listing-tools.js';

dispatch(LISTING_TOOLS, () => {
  error(`dk: ${process.argv.slice(1, 3).join(' ')}: dist/dk-listing.cjs runs ps, pstree, lsof and top; run dist/dk.cjs\n`);
  process.exitCode = 2;
});
