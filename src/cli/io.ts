/**
 * What both dk bundles share (main.ts, and listing.ts for ps, pstree, lsof
 * and top): output straight to the descriptors, the terminal size asked only
 * when stdout may be a terminal, and dispatch by the name dk was run as.
 */
import { fstatSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';

declare const require: NodeJS.Require | undefined;

export type Tool = (argv: string[]) => number | Promise<number>;

export function stdoutTty(): { columns: number; rows: number } | undefined {
  // node:tty pulls in net and streams (~5 ms): a pipe, a file or /dev/null (memory devices, major 1) is
  // no terminal, and only a character device that may be one is asked
  try {
    const st = fstatSync(1);
    if (!st.isCharacterDevice() || ((st.rdev >>> 8) & 0xfff) === 1) return undefined;
  } catch {
    return undefined;
  }
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const { isatty } = req('node:tty') as typeof import('node:tty');
  // only a terminal needs the stream object, for its window size
  return isatty(1) ? { columns: process.stdout.columns, rows: process.stdout.rows } : undefined;
}

/**
 * Writes straight to the file descriptor: creating process.stdout costs
 * ~7 ms (stream and tty/pipe setup), more than formatting a whole listing.
 * A reader that went away (`dk ps | head`) ends the output quietly.
 */
function writeFd(fd: number, s: string | Uint8Array): void {
  // bytes (lsof's listing, megabytes) go out as they are, not copied first
  let buf = typeof s === 'string' ? Buffer.from(s) : s;
  while (buf.length) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    }
  }
}
export const write = (s: string | Uint8Array): void => writeFd(1, s);
export const error = (s: string): void => writeFd(2, s);

/**
 * Tools that print and end: once their output is written nothing is left
 * to wait for, and exiting at once skips tearing down a heap the listing
 * grew (tens of megabytes for lsof) and any read still in flight.
 */
const ONE_SHOT = new Set(['ps', 'pstree', 'lsof', 'exec-info']);
const finish = (code: number | Promise<number>, name: string): void => {
  const done = (c: number): void => {
    if (ONE_SHOT.has(name)) process.exit(c);
    process.exitCode = c;
  };
  if (typeof code === 'number') done(code);
  else void code.then(done);
};

/**
 * Runs the tool dk was invoked as (a link named ps) or names first
 * (dk ps); anything else goes to fallback.
 */
export function dispatch(tools: Record<string, Tool>, fallback: () => void): void {
  const invokedAs = basename(process.argv[1] ?? 'dk').replace(/\.c?js$/, '');
  const direct = tools[invokedAs];
  if (direct) return finish(direct(process.argv.slice(2)), invokedAs);
  const sub = process.argv[2];
  const tool = sub !== undefined ? tools[sub] : undefined;
  if (tool) finish(tool(process.argv.slice(3)), sub!);
  else fallback();
}
