/**
 * The dk executable. `dk ps ...` and `dk pstree ...` (or a symlink named ps
 * or pstree) go straight to the tool with the raw arguments: ps has its own
 * three-syntax parser that a generic option library must not touch. Every
 * other command goes through commander.
 */
import { basename } from 'node:path';
import { runPs } from '../ps/run.js';
import { runPstree } from '../pstree/run.js';

type Tool = (argv: string[]) => number;

function stdoutTty(): { columns: number; rows: number } | undefined {
  return process.stdout.isTTY ? { columns: process.stdout.columns, rows: process.stdout.rows } : undefined;
}

const write = (s: string): void => {
  process.stdout.write(s);
};
const error = (s: string): void => {
  process.stderr.write(s);
};

export const TOOLS: Record<string, Tool> = {
  ps: (argv) => runPs(argv, { write, error, env: process.env, tty: stdoutTty() }),
  pstree: (argv) => runPstree(argv, { write, error, env: process.env, tty: stdoutTty() }),
};

// `dk ps | head` closes the pipe early; that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const invokedAs = basename(process.argv[1] ?? 'dk').replace(/\.c?js$/, '');
const direct = TOOLS[invokedAs];
if (direct) {
  process.exitCode = direct(process.argv.slice(2));
} else {
  const sub = process.argv[2];
  const tool = sub !== undefined ? TOOLS[sub] : undefined;
  if (tool) process.exitCode = tool(process.argv.slice(3));
  else {
    // commander is only loaded for the commands that need it
    void import('./program.js').then(({ program }) => program(TOOLS).parse(process.argv));
  }
}
