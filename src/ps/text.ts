/**
 * Terminal-safe text the way procps prints it: every string that came from a
 * process (command names, arguments, user names) is escaped and measured in
 * screen cells, because a hostile argv must not move the cursor and a wide
 * character must not shift the columns after it.
 */
import { utf8Locale } from '../sys/locale.js';

export type Charset = 'utf8' | 'ascii';

/** The charset ps would use for this environment: UTF-8 when glibc would load a UTF-8 locale for it. */
export function charsetFromEnv(env: NodeJS.ProcessEnv): Charset {
  return utf8Locale(env) ? 'utf8' : 'ascii';
}

const PLAIN = /^[\x20-\x7e]*$/;

/** Width in cells of one printable code point (wcwidth for the common cases). */
export function codePointCells(cp: number): number {
  if (cp < 0x300) return 1;
  if (isZeroWidth(cp)) return 0;
  if (isWide(cp)) return 2;
  return 1;
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]$/u;
function isZeroWidth(cp: number): boolean {
  return ZERO_WIDTH.test(String.fromCodePoint(cp));
}

// East Asian Wide and Fullwidth blocks plus the emoji planes, as wcwidth() has them.
const WIDE: Array<[number, number]> = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];
function isWide(cp: number): boolean {
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE[mid];
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

const UNPRINTABLE = /^[\p{Cc}\p{Cs}\p{Co}\p{Cn}]$/u;

export interface Escaped {
  text: string;
  /** screen cells the text occupies */
  cells: number;
}

/**
 * Escapes s and cuts it to at most maxCells cells. In a UTF-8 locale control
 * characters and undecodable bytes (U+FFFD from the decoder) become '?'; in
 * the C locale control characters become '.' and every non-ASCII byte '?'.
 */
export function escapeText(s: string, maxCells: number, charset: Charset): Escaped {
  if (PLAIN.test(s)) {
    return s.length <= maxCells ? { text: s, cells: s.length } : { text: s.slice(0, Math.max(0, maxCells)), cells: Math.max(0, maxCells) };
  }
  let out = '';
  let cells = 0;
  for (const ch of s) {
    if (cells >= maxCells) break;
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) {
      out += cp >= 0x20 && cp < 0x7f ? ch : charset === 'utf8' ? '?' : '.';
      cells++;
      continue;
    }
    if (charset === 'ascii') {
      // One '?' per byte the character had in the original UTF-8 bytes.
      const n = cp === 0xfffd ? 1 : Buffer.byteLength(ch);
      const take = Math.min(n, maxCells - cells);
      out += '?'.repeat(take);
      cells += take;
      continue;
    }
    if (cp === 0xfffd || (cp >= 0x80 && cp < 0xa0) || UNPRINTABLE.test(ch)) {
      out += '?';
      cells++;
      continue;
    }
    const w = codePointCells(cp);
    if (cells + w > maxCells) break;
    out += ch;
    cells += w;
  }
  return { text: out, cells };
}

/** Cells of an already escaped string. */
export function cellsOf(s: string): number {
  if (PLAIN.test(s)) return s.length;
  let n = 0;
  for (const ch of s) n += codePointCells(ch.codePointAt(0)!);
  return n;
}
