/**
 * RPC record marking over stream transports (RFC 5531 section 11): each
 * fragment is preceded by 4 bytes, the top bit marking the record's last
 * fragment and the rest its length. The decoder holds at most maxRecord
 * bytes of one record and reports a larger one as an error (the
 * connection is then closed), so a peer cannot make it grow without bound.
 */
const LAST = 0x80000000;

export function encodeRecord(msg: Buffer, maxFragment = 0x7fffffff): Buffer {
  const parts: Buffer[] = [];
  let o = 0;
  do {
    const n = Math.min(maxFragment, msg.length - o);
    const h = Buffer.allocUnsafe(4);
    h.writeUInt32BE((o + n >= msg.length ? LAST : 0) + n);
    parts.push(h, msg.subarray(o, o + n));
    o += n;
  } while (o < msg.length);
  return Buffer.concat(parts);
}

export class RecordDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private frags: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxRecord = 1 << 20) {}

  /** Complete records in the bytes so far, or an error once the stream is unusable. */
  push(chunk: Buffer): Buffer[] | { error: string } {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.buf.length >= 4) {
      const h = this.buf.readUInt32BE(0);
      const n = h & 0x7fffffff;
      if (this.size + n > this.maxRecord) return { error: `record over ${this.maxRecord} bytes` };
      if (this.buf.length < 4 + n) break;
      this.frags.push(this.buf.subarray(4, 4 + n));
      this.size += n;
      this.buf = this.buf.subarray(4 + n);
      if (h & LAST) {
        out.push(this.frags.length === 1 ? this.frags[0] : Buffer.concat(this.frags));
        this.frags = [];
        this.size = 0;
      }
    }
    return out;
  }
}
