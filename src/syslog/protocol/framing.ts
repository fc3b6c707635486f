/**
 * RFC 6587 TCP framing, detected per connection from the first byte:
 * octet counting ("LEN SP MSG", starts with a digit) or non-transparent
 * framing (messages ended by LF, or NUL). Frames longer than the maximum are
 * cut and the rest of that frame skipped, so the stream never loses its place.
 */

export interface Frame {
  data: Buffer;
  truncated: boolean;
}

/** Called per frame with its bytes as a range of buf, valid only during the call. */
export type FrameSink = (buf: Buffer, start: number, end: number, truncated: boolean) => void;

export class FrameDecoder {
  private mode: 'unknown' | 'octet' | 'lf' = 'unknown';
  /** an incomplete frame carried over from the previous chunk */
  private rest: Buffer | undefined;
  /** bytes of an oversize frame still to skip (octet counting) */
  private skip = 0;
  /** an oversize LF frame is being discarded up to its LF */
  private discarding = false;

  constructor(private readonly max = 8192) {}

  /** A frame has begun and not ended: bytes are held for it, or its rest is being skipped. */
  get partial(): boolean {
    return this.rest !== undefined || this.skip > 0 || this.discarding;
  }

  /** Feeds bytes; returns the frames completed by them (copies). */
  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    this.feed(chunk, (b, s, e, truncated) => out.push({ data: Buffer.from(b.subarray(s, e)), truncated }));
    return out;
  }

  /** Feeds bytes; each completed frame goes to sink as a range, without copying. */
  feed(chunk: Buffer, sink: FrameSink): void {
    let b = chunk;
    let p = 0;
    const r = this.rest;
    this.rest = undefined;
    if (r) {
      // finish the frame cut by the previous chunk with only the bytes it can
      // need (a frame, its length and a LF), not a copy of the whole chunk
      const extra = Math.min(chunk.length, this.max + 16);
      const head = Buffer.concat([r, chunk.subarray(0, extra)]);
      const q = this.scan(head, 0, r.length, sink);
      if (q >= r.length) p = q - r.length;
      else if (extra === chunk.length) {
        this.rest = head.subarray(q);
        return;
      } else b = Buffer.concat([head.subarray(q), chunk.subarray(extra)]);
    }
    const q = this.scan(b, p, b.length, sink);
    if (q < b.length) this.rest = b.subarray(q);
  }

  /**
   * Decodes frames from p while p < limit (a frame may run past limit, up to
   * the end of b); returns where it stopped: limit or later, or the start of
   * an incomplete frame.
   */
  private scan(b: Buffer, from: number, limit: number, sink: FrameSink): number {
    let p = from;
    const n = b.length;
    while (p < limit) {
      if (this.skip) {
        const k = Math.min(this.skip, n - p);
        p += k;
        this.skip -= k;
        continue;
      }
      if (this.mode === 'unknown') this.mode = b[p] >= 0x30 && b[p] <= 0x39 ? 'octet' : 'lf';
      if (this.mode === 'octet') {
        // "LEN SP": 1-10 digits, no leading zero
        let q = p;
        let len = 0;
        while (q < n && q - p < 11 && b[q] >= 0x30 && b[q] <= 0x39) len = len * 10 + b[q++] - 0x30;
        if (q === n && q - p <= 10) return p; // the length itself is not complete yet
        if (q === p || q - p > 10 || b[q] !== 0x20 || b[p] === 0x30) {
          // not a length after all: treat the rest of the connection as LF framed
          this.mode = 'lf';
          continue;
        }
        const start = q + 1;
        if (len > this.max) {
          // hand on the first max bytes once they are here, skip the rest
          if (n - start < this.max) return p;
          sink(b, start, start + this.max, true);
          p = start + this.max;
          this.skip = len - this.max;
          continue;
        }
        if (n - start < len) return p;
        sink(b, start, start + len, false);
        p = start + len;
        continue;
      }
      // LF (or NUL) terminated; a sender does not switch framing within a connection
      let e = p;
      while (e < n && b[e] !== 0x0a && b[e] !== 0x00) e++;
      if (e === n) {
        if (n - p > this.max) {
          if (!this.discarding) sink(b, p, p + this.max, true);
          this.discarding = true;
          return n;
        }
        return p;
      }
      if (this.discarding) this.discarding = false;
      else if (e > p) sink(b, p, Math.min(e, p + this.max), e - p > this.max);
      p = e + 1;
    }
    return p;
  }

  /** What is left when the connection closes: a last unterminated LF frame. */
  end(): Frame[] {
    const out: Frame[] = [];
    this.finish((b, s, e, truncated) => out.push({ data: Buffer.from(b.subarray(s, e)), truncated }));
    return out;
  }

  finish(sink: FrameSink): void {
    const r = this.rest;
    this.rest = undefined;
    if (this.mode !== 'octet' && r && r.length && !this.discarding) sink(r, 0, Math.min(r.length, this.max), r.length > this.max);
  }
}

/** "LEN SP MSG" */
export function octetFrame(msg: string | Buffer): Buffer {
  const b = typeof msg === 'string' ? Buffer.from(msg, 'utf8') : msg;
  return Buffer.concat([Buffer.from(`${b.length} `), b]);
}
