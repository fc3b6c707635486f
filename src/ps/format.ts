/**
 * Format lists: -o parsing (spec=HEADER, spec:WIDTH, macros) and the column
 * lists the SysV (-f -l -j -F ...) and BSD (u l j s v X) options stand for.
 */
import { COLUMNS, MACROS, type Column, type Just } from './columns.js';

export class PsError extends Error {}

export interface FormatNode {
  col: Column;
  head: string;
  width: number;
  just: Just;
}

function node(spec: string, pidWidth: number): FormatNode {
  const col = COLUMNS.get(spec);
  if (!col) throw new PsError(`unknown user-defined format specifier "${spec}"`);
  const width = col.pidmax ? Math.max(pidWidth, col.head.length) : col.width;
  return { col, head: col.head, width, just: col.just };
}

/** Expands a comma list of specifiers and macro names, without overrides. */
export function expand(list: string, pidWidth: number): FormatNode[] {
  const out: FormatNode[] = [];
  for (const spec of list.split(',')) {
    const m = MACROS.get(spec);
    if (m) out.push(...expand(m, pidWidth));
    else out.push(node(spec, pidWidth));
  }
  return out;
}

/** Parses one -o / o / --format argument. */
export function parseFormatList(arg: string, pidWidth: number): FormatNode[] {
  try {
    return parsePlainList(arg, pidWidth);
  } catch (e) {
    // procps tries AIX descriptors (%p %c) first when it sees '%'; lists like
    // "%cpu,%mem" fall through to the normal parser, others fail as AIX.
    if (e instanceof PsError && arg.includes('%')) throw new PsError('improper AIX field descriptor');
    throw e;
  }
}

function parsePlainList(arg: string, pidWidth: number): FormatNode[] {
  const items = arg.split(/[ ,\t\n]/);
  if (items.some((i) => i === '')) throw new PsError('improper format list');
  const out: FormatNode[] = [];
  for (const item of items) {
    const eq = item.indexOf('=');
    let spec = eq >= 0 ? item.slice(0, eq) : item;
    const head = eq >= 0 ? item.slice(eq + 1) : undefined;
    let width: number | undefined;
    const colon = spec.indexOf(':');
    if (colon >= 0) {
      const w = spec.slice(colon + 1);
      if (!/^[1-9][0-9]*$/.test(w)) throw new PsError('column widths must be unsigned decimal numbers');
      width = Number(w);
      spec = spec.slice(0, colon);
    }
    const macro = MACROS.get(spec);
    if (macro && head === undefined && width === undefined) {
      out.push(...expand(macro, pidWidth));
      continue;
    }
    const n = node(spec, pidWidth);
    if (head !== undefined) {
      n.head = head;
      // procps measures headers in bytes; a :WIDTH given too wins over the header's
      if (Buffer.byteLength(head) > n.width) n.width = Buffer.byteLength(head);
    }
    if (width !== undefined) n.width = width;
    out.push(n);
  }
  return out;
}

export interface SysvFlags {
  f: boolean;
  F: boolean;
  l: boolean;
  j: boolean;
  L: boolean;
  T: boolean;
  c: boolean;
  y: boolean;
  P: boolean;
  /** BSD personality: a BSD argument was present */
  preferBsd: boolean;
}

/** The column list the SysV format options produce, left to right. */
export function sysvList(x: SysvFlags): string[] {
  const f = x.f || x.F;
  // procps builds this list right to left; so do we, then reverse.
  const r: string[] = [];
  if (x.preferBsd) {
    // only -f and -l are format flags: -j, -c, -y and -P modify the default list
    r.push(f || x.l ? 'cmd' : 'args', 'bsdtime');
    if (!x.l) r.push('stat');
  } else {
    r.push(f ? 'cmd' : 'ucmd', 'time');
  }
  r.push('tname');
  if (f) r.push('stime');
  if (x.F) {
    if (!x.P) r.push('psr');
    if (!(x.l && x.y)) r.push('rss');
  }
  if (x.l) r.push('wchan');
  if (x.F || x.l) r.push('sz');
  if (x.l) r.push(x.y ? 'rss' : 'addr_1');
  if (x.c) r.push('pri', 'class');
  else if (x.l) r.push('ni', 'opri');
  if (x.L && f) r.push('nlwp');
  if ((f || x.l) && !x.c) r.push('c');
  if (x.P) r.push('psr');
  if (x.L) r.push('lwp');
  if (x.j) r.push('sid', 'pgid');
  if (f || x.l) r.push('ppid');
  if (x.T) r.push('spid');
  r.push('pid');
  if (f) r.push('uid_hack');
  else if (x.l) r.push('uid');
  if (x.l) {
    r.push('s');
    if (!x.y) r.push('f');
  }
  return r.reverse();
}

/** BSD format letters and the procps macro each selects. */
export const BSD_FORMATS: Readonly<Record<string, string>> = {
  u: 'OL_u',
  l: 'OL_l',
  j: 'OL_j',
  s: 'OL_s',
  v: 'OL_v',
  X: 'OL_X',
  m: 'OL_m',
};
