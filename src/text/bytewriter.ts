/**
 * Text built in one growing byte buffer, for output made of many small
 * pieces: a listing of 10,000 rows made as strings (a padStart per column,
 * a template per line, a join, then UTF-8 encoding for write) allocates
 * tens of megabytes that the collector then copies and marks; this writes
 * each piece's bytes once. Padding counts UTF-16 units, as String#padStart
 * does, so output is the same as the string form's.
 */
/** Node's Buffer has these encoders (what write(s, at, encoding) uses underneath, without its argument checks) */
type FastBuffer = Buffer & { latin1Write(s: string, offset: number): number; utf8Write(s: string, offset: number): number };

/** Pieces shorter than this are copied a byte at a time: cheaper than a call into native code. */
const SHORT = 24;

export class ByteWriter {
  protected buf: Buffer;
  protected len = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  protected room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  /** One byte (an ASCII character code). */
  byte(c: number): void {
    this.room(1);
    this.buf[this.len++] = c;
  }

  spaces(n: number): void {
    if (n <= 0) return;
    this.room(n);
    const b = this.buf;
    for (let i = this.len, end = this.len + n; i < end; i++) b[i] = 0x20;
    this.len += n;
  }

  /** Text as UTF-8. */
  text(s: string): void {
    const n = s.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    this.room(n * 3);
    const b = this.buf;
    if (n >= SHORT) {
      this.len += (b as FastBuffer).utf8Write(s, this.len);
      return;
    }
    let at = this.len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.len = at + (b as FastBuffer).utf8Write(s.slice(i), at);
        return;
      }
      b[at++] = c;
    }
    this.len = at;
  }

  /** Text the caller knows to be one byte per character (ASCII): copied by the native encoder, unchecked. */
  latin1(s: string): void {
    this.room(s.length);
    this.len += (this.buf as FastBuffer).latin1Write(s, this.len);
  }

  /** Bytes made once and written many times (a prefix every line of a process shares). */
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** src[start, end) appended. */
  append(src: Buffer, start: number, end: number): void {
    const n = end - start;
    this.room(n);
    if (n < SHORT) {
      const b = this.buf;
      let o = this.len;
      for (let i = start; i < end; i++) b[o++] = src[i];
    } else src.copy(this.buf, this.len, start, end);
    this.len += n;
  }

  /** Makes room for about n more bytes at once, instead of doubling on the way. */
  reserve(n: number): void {
    this.room(n);
  }

  /** s.padStart(width) */
  right(s: string, width: number): void {
    this.spaces(width - s.length);
    this.text(s);
  }

  /** What has been written (a view of the buffer, valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** What has been written, and start again; a buffer a burst made large is not kept for good. */
  take(): Buffer {
    const out = this.view();
    this.len = 0;
    if (this.buf.length > 4 << 20) this.buf = Buffer.allocUnsafe(1 << 16);
    return out;
  }
}
