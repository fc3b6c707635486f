/**
 * procps's row engine (show_one_proc): each column has a nominal slot, text
 * that overflows its slot pushes later columns right, and later columns give
 * back the borrowed space where they can. Reproducing it exactly is what makes
 * the output byte-identical, including the odd cases (long user names,
 * header overrides, a command column that is not last).
 */
import type { ProcessInfo } from '../proc/types.js';
import { PROCESS_ONLY, THREAD_ONLY, type RenderContext } from './columns.js';
import type { FormatNode } from './format.js';
import { cellsOf } from './text.js';

/** procps OUTBUF_SIZE: the widest line ps will ever print */
export const OUTBUF_SIZE = 131072;
const SPACE_AMOUNT = 144;

export interface Layout {
  nodes: FormatNode[];
  activeCols: number;
  wideSignals: boolean;
}

/** check_header_width: the smallest multiple of the screen width that fits every column. */
export function layout(nodes: FormatNode[], screenCols: number): Layout {
  let total = 0;
  let sigs = 0;
  nodes.forEach((n, i) => {
    if (n.just === 'S') sigs++;
    if (n.just === 'X' && i === nodes.length - 1) total += 3;
    else total += n.width;
    if (i > 0) total += 1;
  });
  let activeCols = screenCols;
  for (let i = 1; ; i++) {
    activeCols = screenCols * i;
    if (activeCols >= total) break;
    if (screenCols * i >= OUTBUF_SIZE / 2) break;
  }
  return { nodes, activeCols, wideSignals: total + sigs * 7 <= activeCols };
}

const PAD = ' '.repeat(SPACE_AMOUNT);
const spaces = (n: number): string => (n > 0 ? PAD.slice(0, n) : '');

/** One output line (without newline); p undefined renders the header. */
/** the columns procps draws the forest in front of */
const FOREST_COLUMNS = new Set(['args', 'cmd', 'command', 'comm', 'ucmd', 'ucomm', 'fname']);

/** which line of an m/-m listing a row is: its columns of the other kind print '-' */
export type LineKind = 'process' | 'task' | undefined;

export function renderRow(l: Layout, p: ProcessInfo | undefined, ctx: RenderContext, forestArt: string, kind?: LineKind): string {
  const { nodes, activeCols } = l;
  let correct = 0;
  let actual = 0;
  let dospace = 0;
  let line = '';
  ctx.wideSignals = l.wideSignals;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const last = i === nodes.length - 1;
    let legit = 0;
    let tmpspace = 0;
    if (!last) {
      ctx.maxRight = n.width;
    } else {
      tmpspace = correct - actual;
      if (tmpspace < 1) {
        tmpspace = dospace;
        ctx.maxRight = activeCols - actual - tmpspace;
      } else {
        ctx.maxRight = activeCols - Math.max(correct, actual);
      }
    }
    // procps keeps this (max_rightward) and active_cols unsigned: a line already past the screen
    // wraps below zero to the whole buffer, and the last column prints whole
    if (ctx.maxRight < 0 || ctx.maxRight >= OUTBUF_SIZE) ctx.maxRight = OUTBUF_SIZE - 1;
    let text: string;
    let amount: number;
    if (p) {
      ctx.forestPrefix = FOREST_COLUMNS.has(n.col.name) && (n.just === 'X' || n.col.name === 'fname') ? forestArt : '';
      const nop = kind === 'process' ? THREAD_ONLY.has(n.col.name) : kind === 'task' && PROCESS_ONLY.has(n.col.name);
      text = nop ? '-' : n.col.print(p, ctx);
      amount = !nop && n.col.claims ? n.col.claims(text, ctx) : cellsOf(text);
    } else {
      text = n.head;
      // procps pads headers by their length in bytes
      amount = Buffer.byteLength(text);
    }
    let leftpad = 0;
    switch (n.just) {
      case 'R':
        leftpad = Math.max(0, n.width - amount);
        break;
      case 'S':
        if (l.wideSignals) {
          leftpad = 16 - amount;
          legit = 7;
        } else leftpad = 9 - amount;
        if (leftpad < 0) leftpad = 0;
        break;
      case 'U':
        leftpad = ctx.numeric ? Math.max(0, n.width - amount) : 0;
        break;
      // biome-ignore lint/suspicious/noFallthroughSwitchClause: without n, wchan is cut like X
      case 'W':
        // BSD n right-aligns wchan like a number
        if (ctx.numeric) {
          leftpad = Math.max(0, n.width - amount);
          break;
        }
      // falls through
      case 'X':
        // no room at all (exactly none: the unsigned difference is never below zero): procps keeps one
        // character of the column, and still counts the whole text as printed
        if (activeCols - actual - tmpspace === 0) text = text.slice(0, 1);
        break;
      default:
        leftpad = 0;
    }
    let space = correct - actual + leftpad;
    if (space < 1) space = dospace;
    if (space > SPACE_AMOUNT) space = SPACE_AMOUNT;
    line += spaces(space) + text;
    if (last) break;
    actual += space + amount;
    correct += n.width + legit + 1;
    dospace = 1;
  }
  return line;
}
