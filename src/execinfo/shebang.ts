/**
 * The kernel's #! rule (fs/binfmt_script.c): the first line, at most 256
 * bytes read; the interpreter is the first word, everything after the
 * following blanks (trailing blanks cut) is ONE optional argument; then the
 * script path and the original arguments follow.
 */

export const BINPRM_BUF_SIZE = 256;
/** how many #! levels the kernel follows before ELOOP (fs/exec.c: depth > 5) */
export const MAX_RECURSION = 5;

export interface Shebang {
  interpreter: string;
  arg?: string;
}

export class ShebangError extends Error {}

/** Parses the start of a file; undefined when it is not a #! script. */
export function parseShebang(head: Buffer): Shebang | undefined {
  if (head.length < 2 || head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const buf = head.subarray(0, BINPRM_BUF_SIZE);
  let end = buf.indexOf(0x0a);
  if (end < 0) {
    // no newline in the buffer: the kernel accepts it only if the
    // interpreter name itself ends inside the buffer
    end = buf.length;
    const rest = buf.toString('latin1', 2).replace(/^[ \t]+/, '');
    if (!/[ \t]/.test(rest) && buf.length === BINPRM_BUF_SIZE) throw new ShebangError('interpreter path is longer than the kernel reads (256 bytes)');
  }
  const line = buf
    .toString('latin1', 2, end)
    .replace(/[ \t]+$/, '')
    .replace(/^[ \t]+/, '');
  if (line === '') throw new ShebangError('#! line names no interpreter (the kernel returns ENOEXEC)');
  // the s flag: a carriage return is part of the line (a DOS-edited script names "/bin/sh\r", as the kernel reads it)
  const m = /^([^ \t]+)(?:[ \t]+(.*))?$/s.exec(line)!;
  return m[2] === undefined || m[2] === '' ? { interpreter: m[1] } : { interpreter: m[1], arg: m[2] };
}
