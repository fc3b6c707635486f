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

export class FrameDecoder {
  private mode: 'unknown' | 'octet' | 'lf' = 'unknown';
  private buf: Buffer = Buffer.alloc(0);
  /** bytes of an oversize frame still to skip (octet counting) */
  private skip = 0;
  /** an oversize LF frame is being discarded up to its LF */
  private discarding = false;

  constructor(private readonly max = 8192) {}

  /** Feeds bytes; returns the frames completed by them. */
  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.skip) {
        const n = Math.min(this.skip, this.buf.length);
        this.buf = this.buf.subarray(n);
        this.skip -= n;
        if (this.skip) break;
      }
      if (!this.buf.length) break;
      if (this.mode === 'unknown') this.mode = this.buf[0] >= 0x30 && this.buf[0] <= 0x39 ? 'octet' : 'lf';
      if (this.mode === 'octet') {
        const sp = this.buf.indexOf(0x20);
        if (sp < 0) {
          if (this.buf.length > 10) {
            // not a length after all: treat the rest of the connection as LF framed
            this.mode = 'lf';
            continue;
          }
          break;
        }
        const lenText = this.buf.toString('latin1', 0, sp);
        if (!/^[1-9]\d{0,9}$/.test(lenText)) {
          this.mode = 'lf';
          continue;
        }
        const len = Number(lenText);
        const start = sp + 1;
        if (len > this.max) {
          // hand on the first max bytes once they are here, skip the rest
          if (this.buf.length - start < this.max) break;
          out.push({ data: Buffer.from(this.buf.subarray(start, start + this.max)), truncated: true });
          this.buf = this.buf.subarray(start + this.max);
          this.skip = len - this.max;
          continue;
        }
        if (this.buf.length - start < len) break;
        out.push({ data: Buffer.from(this.buf.subarray(start, start + len)), truncated: false });
        this.buf = this.buf.subarray(start + len);
        continue;
      }
      // LF (or NUL) terminated
      let end = -1;
      for (let i = 0; i < this.buf.length; i++) {
        if (this.buf[i] === 0x0a || this.buf[i] === 0x00) {
          end = i;
          break;
        }
      }
      if (end < 0) {
        if (this.buf.length > this.max) {
          if (!this.discarding) out.push({ data: Buffer.from(this.buf.subarray(0, this.max)), truncated: true });
          this.discarding = true;
          this.buf = Buffer.alloc(0);
        }
        break;
      }
      if (this.discarding) this.discarding = false;
      else if (end > 0) {
        const cut = end > this.max;
        out.push({ data: Buffer.from(this.buf.subarray(0, cut ? this.max : end)), truncated: cut });
      }
      this.buf = this.buf.subarray(end + 1);
      // a sender may switch framing between connections, not within one; stay in LF mode
    }
    return out;
  }

  /** What is left when the connection closes: a last unterminated LF frame. */
  end(): Frame[] {
    if (this.mode !== 'octet' && this.buf.length && !this.discarding) {
      const f = { data: Buffer.from(this.buf.subarray(0, this.max)), truncated: this.buf.length > this.max };
      this.buf = Buffer.alloc(0);
      return [f];
    }
    return [];
  }
}

/** "LEN SP MSG" */
export function octetFrame(msg: string | Buffer): Buffer {
  const b = typeof msg === 'string' ? Buffer.from(msg, 'utf8') : msg;
  return Buffer.concat([Buffer.from(`${b.length} `), b]);
}
