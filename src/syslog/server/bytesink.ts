/** A growable byte buffer that file lines are appended to between writes. */
export class ByteSink {
  buf: Buffer = Buffer.allocUnsafe(1 << 16);
  len = 0;
  /** lines (messages) in it */
  count = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  bytes(src: Buffer, start: number, end: number): void {
    const n = end - start;
    this.room(n);
    // short pieces are cheaper copied here than through a native call
    if (n < 24) {
      const b = this.buf;
      let o = this.len;
      for (let i = start; i < end; i++) b[o++] = src[i];
    } else src.copy(this.buf, this.len, start, end);
    this.len += n;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.len++] = c;
  }

  text(s: string): void {
    const n = Buffer.byteLength(s);
    this.room(n);
    this.len += this.buf.write(s, this.len);
  }

  /** what was appended, valid until the next append: written synchronously by its one reader */
  take(): Buffer {
    const out = this.buf.subarray(0, this.len);
    this.len = 0;
    this.count = 0;
    // a burst made it large: do not keep the memory for good
    if (this.buf.length > 4 << 20) this.buf = Buffer.allocUnsafe(1 << 16);
    return out;
  }
}
