/**
 * Row order: --sort keys, and the forest (-H, f, --forest) walk procps does:
 * sort by parent, visit roots from the end of the list, print each tree
 * depth-first with " \_ " art (or two spaces per level for -H).
 */
import type { ProcessInfo } from '../proc/types.js';
import { COLUMNS, type RenderContext } from './columns.js';
import { PsError } from './format.js';
import { sortItem, strverscmp } from './sortkeys.js';

export interface SortKey {
  key: string;
  reverse: boolean;
}

type Cmp = (a: ProcessInfo, b: ProcessInfo) => number;

function keyCmp(k: SortKey, ctx: RenderContext): Cmp {
  const col = COLUMNS.get(k.key);
  if (!col) throw new PsError('unknown sort specifier');
  const sign = k.reverse ? -1 : 1;
  const item = sortItem(k.key);
  if (item) {
    const v = item.value;
    if (item.versions) return (a, b) => sign * Math.sign(strverscmp(String(v(a, ctx.sys)), String(v(b, ctx.sys))));
    return (a, b) => {
      const x = v(a, ctx.sys);
      const y = v(b, ctx.sys);
      return x < y ? -sign : x > y ? sign : 0;
    };
  }
  const f = col.key ?? ((p: ProcessInfo) => col.print(p, { ...ctx, maxRight: 1 << 17, forestPrefix: '' }));
  return (a, b) => {
    const x = f(a, ctx);
    const y = f(b, ctx);
    return x < y ? -sign : x > y ? sign : 0;
  };
}

function chain(cmps: Cmp[]): Cmp {
  return (a, b) => {
    for (const c of cmps) {
      const r = c(a, b);
      if (r) return r;
    }
    return 0;
  };
}

/** Stable sort by the given keys (Array.prototype.sort is stable). */
export function sortRows(rows: ProcessInfo[], keys: SortKey[], ctx: RenderContext): ProcessInfo[] {
  if (keys.length === 0) return rows;
  return [...rows].sort(chain(keys.map((k) => keyCmp(k, ctx))));
}

export interface ForestRow {
  p: ProcessInfo;
  /** procps prefix codes, one per level: ' ' 'L' '+' '|' */
  prefix: string;
}

/** Orders rows as a forest and returns each with its prefix codes. */
export function forest(rows: ProcessInfo[], keys: SortKey[], ctx: RenderContext, unixStyle: boolean, userSorted = keys.length > 0): ForestRow[] {
  // procps sorts by parent (or by the user's keys instead), then start time,
  // and walks siblings as contiguous runs: a --sort that splits siblings
  // loses them from the tree there too, and we show the same listing.
  const byParent: Cmp = (a, b) => a.ppid - b.ppid;
  // a --sort replaces the parent order even when none of its keys can sort
  const primary = userSorted ? keys.map((k) => keyCmp(k, ctx)) : [byParent];
  const sorted = [...rows].sort(chain([...primary, (a, b) => a.startTicks - b.startTicks]));
  const n = sorted.length;
  const pids = new Set(sorted.map((p) => p.pid));
  // first index of each parent's block of children
  const firstChild = new Map<number, number>();
  for (let i = n - 1; i >= 0; i--) firstChild.set(sorted[i].ppid, i);
  const out: ForestRow[] = [];
  const prefix: string[] = [];

  const show = (self: number, level: number, sibling: boolean): void => {
    if (level) prefix[level - 1] = sibling ? '+' : 'L';
    prefix.length = level;
    out.push({ p: sorted[self], prefix: prefix.join('') });
    const me = sorted[self].pid;
    let i = firstChild.get(me);
    if (i === undefined) return;
    if (level) prefix[level - 1] = sibling ? '|' : ' ';
    prefix.length = level;
    for (; i < n; ) {
      const more = i + 1 < n && sorted[i + 1].ppid === me;
      // init's children stay at the top level in the BSD picture
      show(i, me === 1 && !unixStyle ? level : level + 1, more);
      i++;
      if (!more) break;
    }
    prefix.length = level;
  };

  for (let i = n - 1; i >= 0; i--) {
    if (!pids.has(sorted[i].ppid)) show(i, 0, false);
  }
  return out;
}

/** The art procps draws for prefix codes. */
export function forestArt(codes: string, unixStyle: boolean): string {
  let s = '';
  for (const c of codes) {
    if (unixStyle) s += '  ';
    else s += c === ' ' ? '    ' : c === '|' ? ' |  ' : ' \\_ ';
  }
  return s;
}
