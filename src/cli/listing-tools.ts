/**
 * The listing tools, which the launcher runs from a bundle of their own
 * (dist/dk-listing.cjs): less code to read, deserialise and initialise at
 * every `dk ps` than the whole of dk. Each tool's modules are imported when
 * it runs (in a bundle, lazy module inits).
 */
import { error, stdoutTty, type Tool, write } from './io.js';

export const LISTING_TOOLS: Record<string, Tool> = {
  ps: (argv) => import('../ps/run.js').then((m) => m.runPs(argv, { write, error, env: process.env, tty: stdoutTty() })),
  pstree: (argv) => import('../pstree/run.js').then((m) => m.runPstree(argv, { write, error, env: process.env, tty: stdoutTty() })),
  lsof: (argv) => import('../lsof/run.js').then((m) => m.runLsof(argv, { write, error, env: process.env })),
  top: (argv) => import('../top/run.js').then((m) => m.runTop(argv, { write, error, env: process.env, tty: stdoutTty() })),
};
