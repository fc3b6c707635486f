/**
 * The hot path of the daemon: recognises, over raw bytes, the RFC 3164
 * messages that glibc syslog(3), logger and rsyslog send most of the time
 * ("<PRI>Mmm dd hh:mm:ss [HOST ]TAG[PID]: text") and whose traditional file
 * line is the received time, the host and the bytes from TAG on, unchanged.
 * No string or object is made per message. Anything else (RFC 5424, other
 * time stamps, non-ASCII, a tag without the space after its colon ...)
 * returns false and goes through parseMessage, which this must agree with.
 */

export interface Scan {
  pri: number;
  /** HOSTNAME field, or hostStart === -1 when the sender gave none */
  hostStart: number;
  hostEnd: number;
  /** from TAG (or the text when there is no tag) to the end, trailing LF/CR/NUL cut */
  restStart: number;
  end: number;
}

const MONTH_OK = new Set(
  ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map(
    (m) => (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2),
  ),
);

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
/** characters a TAG may hold: not space, ':', '[' or ']' */
const isTagChar = (c: number): boolean => c > 0x20 && c !== 0x3a && c !== 0x5b && c !== 0x5d;

/** Length of "TAG[PID]:" at i (colon included), 0 when there is none. */
function tagLength(b: Buffer, i: number, end: number): number {
  let j = i;
  while (j < end && j - i < 49 && isTagChar(b[j])) j++;
  const n = j - i;
  if (n < 1 || n > 48 || j >= end) return 0;
  if (b[j] === 0x5b) {
    let k = j + 1;
    while (k < end && b[k] !== 0x5d && b[k] > 0x20 && k - j <= 33) k++;
    if (k >= end || b[k] !== 0x5d || k - j - 1 < 1 || k - j - 1 > 32) return 0;
    j = k + 1;
  }
  return j < end && b[j] === 0x3a ? j + 1 - i : 0;
}

export function scan3164(b: Buffer, start: number, stop: number, out: Scan): boolean {
  let end = stop;
  while (end > start && (b[end - 1] === 0x0a || b[end - 1] === 0x00 || b[end - 1] === 0x0d)) end--;
  // printable ASCII only: then bytes and the full parser's UTF-8 text agree
  for (let i = start; i < end; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  let p = start;
  out.pri = 13;
  if (b[p] === 0x3c) {
    let v = 0;
    let q = p + 1;
    while (q < end && isDigit(b[q]) && q - p <= 3) v = v * 10 + b[q++] - 0x30;
    const digits = q - p - 1;
    if (digits < 1 || digits > 3 || b[q] !== 0x3e || v > 191 || (digits > 1 && b[p + 1] === 0x30)) return false;
    out.pri = v;
    p = q + 1;
  }
  // "Mmm dd hh:mm:ss " exactly; "Mmm  d" padded days too; no fraction, no year
  if (p + 16 >= end) return false;
  if (!MONTH_OK.has((b[p] << 16) | (b[p + 1] << 8) | b[p + 2]) || b[p + 3] !== 0x20) return false;
  if (!(b[p + 4] === 0x20 || isDigit(b[p + 4])) || !isDigit(b[p + 5]) || b[p + 6] !== 0x20) return false;
  if (!isDigit(b[p + 7]) || !isDigit(b[p + 8]) || b[p + 9] !== 0x3a || !isDigit(b[p + 10]) || !isDigit(b[p + 11])) return false;
  if (b[p + 12] !== 0x3a || !isDigit(b[p + 13]) || !isDigit(b[p + 14]) || b[p + 15] !== 0x20) return false;
  p += 16;
  // a year after the stamp ("... 12:00:00 2026 ") belongs to it: not for us
  if (isDigit(b[p]) && isDigit(b[p + 1]) && isDigit(b[p + 2]) && isDigit(b[p + 3]) && (p + 4 === end || b[p + 4] === 0x20)) return false;

  // HOSTNAME: a word of [A-Za-z0-9._-] starting alphanumeric, one space, then something tag-shaped
  out.hostStart = -1;
  out.hostEnd = -1;
  if (isAlnum(b[p])) {
    let q = p + 1;
    while (q < end && (isAlnum(b[q]) || b[q] === 0x2e || b[q] === 0x5f || b[q] === 0x2d)) q++;
    if (q < end - 1 && b[q] === 0x20 && b[q + 1] !== 0x20 && tagLength(b, q + 1, end) > 0) {
      out.hostStart = p;
      out.hostEnd = q;
      p = q + 1;
    } else if (q < end && b[q] === 0x3a && q + 1 < end && b[q + 1] !== 0x20 && b[q + 1] !== 0x3a) {
      // "word:x" could be a host with a colon or a tag glued to its text: let the full parser decide
      return false;
    }
  }
  const t = tagLength(b, p, end);
  // the traditional line puts exactly one space after the tag's colon
  if (t > 0 && (p + t >= end || b[p + t] !== 0x20 || (p + t + 1 < end && b[p + t + 1] === 0x20))) return false;
  out.restStart = p;
  out.end = end;
  return true;
}
