/**
 * XDR (RFC 4506): big-endian 4-byte units, opaque data and strings padded
 * to a multiple of four. The reader never trusts a length it reads: every
 * count is checked against the bytes that remain (and a caller's limit)
 * before anything is allocated, and any shortfall is an XdrError.
 */
export class XdrError extends Error {}

export class XdrReader {
  private o = 0;
  constructor(private readonly b: Buffer) {}

  get offset(): number {
    return this.o;
  }

  get remaining(): number {
    return this.b.length - this.o;
  }

  private need(n: number): void {
    if (n > this.b.length - this.o) throw new XdrError(`truncated: need ${n} bytes at ${this.o}, have ${this.b.length - this.o}`);
  }

  uint(): number {
    this.need(4);
    const v = this.b.readUInt32BE(this.o);
    this.o += 4;
    return v;
  }

  int(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.o);
    this.o += 4;
    return v;
  }

  hyper(): bigint {
    this.need(8);
    const v = this.b.readBigUInt64BE(this.o);
    this.o += 8;
    return v;
  }

  bool(): boolean {
    const v = this.uint();
    if (v > 1) throw new XdrError(`bad boolean ${v}`);
    return v === 1;
  }

  /** An enum: one of the allowed values, else an error. */
  enumOf<T extends number>(allowed: readonly T[]): T {
    const v = this.int();
    if (!allowed.includes(v as T)) throw new XdrError(`bad enum value ${v}`);
    return v as T;
  }

  fixed(n: number): Buffer {
    // arithmetic, not bit operations: a length near 2^32 must not wrap to a negative number
    const padded = n + ((4 - (n % 4)) % 4);
    this.need(padded);
    const v = this.b.subarray(this.o, this.o + n);
    this.o += padded;
    return v;
  }

  opaque(max = 0xffffffff): Buffer {
    const n = this.uint();
    if (n > max) throw new XdrError(`opaque of ${n} bytes over its limit of ${max}`);
    return this.fixed(n);
  }

  string(max = 0xffffffff): string {
    return this.opaque(max).toString('latin1');
  }

  /** A counted array; count is checked against what is left (each element takes at least 4 bytes). */
  array<T>(item: (r: XdrReader) => T, max = 0xffffffff): T[] {
    const n = this.uint();
    if (n > max) throw new XdrError(`array of ${n} over its limit of ${max}`);
    if (n * 4 > this.remaining) throw new XdrError(`array of ${n} cannot fit in ${this.remaining} bytes`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }

  /** XDR optional-data lists (*next pointers): bool, item, bool, item, ..., false. */
  list<T>(item: (r: XdrReader) => T, max = 100_000): T[] {
    const out: T[] = [];
    while (this.bool()) {
      if (out.length >= max) throw new XdrError(`list over its limit of ${max}`);
      out.push(item(this));
    }
    return out;
  }

  rest(): Buffer {
    const v = this.b.subarray(this.o);
    this.o = this.b.length;
    return v;
  }
}

export class XdrWriter {
  private parts: Buffer[] = [];
  private cur = Buffer.allocUnsafe(256);
  private o = 0;

  private room(n: number): void {
    if (this.o + n <= this.cur.length) return;
    this.parts.push(this.cur.subarray(0, this.o));
    this.cur = Buffer.allocUnsafe(Math.max(256, n));
    this.o = 0;
  }

  uint(v: number): this {
    this.room(4);
    this.cur.writeUInt32BE(v >>> 0, this.o);
    this.o += 4;
    return this;
  }

  int(v: number): this {
    this.room(4);
    this.cur.writeInt32BE(v | 0, this.o);
    this.o += 4;
    return this;
  }

  hyper(v: bigint): this {
    this.room(8);
    this.cur.writeBigUInt64BE(BigInt.asUintN(64, v), this.o);
    this.o += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.uint(v ? 1 : 0);
  }

  fixed(b: Buffer): this {
    const padded = b.length + ((4 - (b.length % 4)) % 4);
    this.room(padded);
    b.copy(this.cur, this.o);
    this.cur.fill(0, this.o + b.length, this.o + padded);
    this.o += padded;
    return this;
  }

  opaque(b: Buffer): this {
    return this.uint(b.length).fixed(b);
  }

  string(s: string): this {
    return this.opaque(Buffer.from(s, 'latin1'));
  }

  array<T>(items: readonly T[], item: (w: XdrWriter, v: T) => void): this {
    this.uint(items.length);
    for (const v of items) item(this, v);
    return this;
  }

  list<T>(items: readonly T[], item: (w: XdrWriter, v: T) => void): this {
    for (const v of items) {
      this.bool(true);
      item(this, v);
    }
    return this.bool(false);
  }

  raw(b: Buffer): this {
    this.room(b.length);
    b.copy(this.cur, this.o);
    this.o += b.length;
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat([...this.parts, this.cur.subarray(0, this.o)]);
  }
}
