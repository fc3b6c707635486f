/**
 * A forwarding action's queue of octet-counted frames: in memory while the
 * peer keeps up; once memory holds `memBytes`, new frames go to segment
 * files in `dir` (the wire format itself, "LEN SP MSG"), read back oldest
 * first when memory has drained. Memory always holds the oldest frames,
 * disk the newer ones. save() writes memory out as the front segment, so a
 * restarted daemon resumes with the same queue, in order. The total is
 * bounded by `maxBytes`: the oldest go first, and are counted.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';

interface Segment {
  n: number;
  bytes: number;
  count: number;
}

const SEGMENT_BYTES = 4 << 20;
const name = (n: number) => `${String(n).padStart(10, '0')}.seg`;

/** Frames of a segment file ("LEN SP MSG" repeated); a torn tail is ignored. */
export function readFrames(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p < buf.length) {
    let q = p;
    let len = 0;
    while (q < buf.length && buf[q] >= 0x30 && buf[q] <= 0x39 && q - p < 10) len = len * 10 + buf[q++] - 0x30;
    if (q === p || buf[q] !== 0x20 || q + 1 + len > buf.length) break;
    out.push(buf.subarray(p, q + 1 + len));
    p = q + 1 + len;
  }
  return out;
}

export class FrameQueue {
  private mem: Buffer[] = [];
  private head = 0;
  memBytesUsed = 0;
  private segments: Segment[] = [];
  private spill: { fd: number; seg: Segment } | undefined;
  dropped = 0;

  constructor(private readonly o: { dir?: string; memBytes: number; maxBytes: number; segmentBytes?: number }) {
    if (!o.dir) return;
    fs.mkdirSync(o.dir, { recursive: true });
    for (const f of fs
      .readdirSync(o.dir)
      .filter((f) => /^\d{10}\.seg$/.test(f))
      .sort()) {
      const buf = fs.readFileSync(join(o.dir, f));
      this.segments.push({ n: Number(f.slice(0, 10)), bytes: buf.length, count: readFrames(buf).length });
    }
  }

  get length(): number {
    return this.mem.length - this.head + this.segments.reduce((a, s) => a + s.count, 0);
  }

  get diskBytes(): number {
    return this.segments.reduce((a, s) => a + s.bytes, 0);
  }

  push(frames: Buffer[]): void {
    if (!frames.length) return;
    const size = frames.reduce((a, f) => a + f.length, 0);
    if (this.o.dir && (this.segments.length || this.memBytesUsed + size > this.o.memBytes)) this.toDisk(frames, size);
    else {
      for (const f of frames) this.mem.push(f);
      this.memBytesUsed += size;
    }
    this.bound();
  }

  private toDisk(frames: Buffer[], size: number): void {
    if (!this.spill || this.spill.seg.bytes >= (this.o.segmentBytes ?? SEGMENT_BYTES)) {
      this.closeSpill();
      const n = this.segments.length ? this.segments[this.segments.length - 1].n + 1 : 1_000_000_000;
      const seg = { n, bytes: 0, count: 0 };
      this.spill = { fd: fs.openSync(join(this.o.dir!, name(n)), 'a'), seg };
      this.segments.push(seg);
    }
    const buf = Buffer.concat(frames, size);
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.spill.fd, buf, off);
    this.spill.seg.bytes += size;
    this.spill.seg.count += frames.length;
  }

  private closeSpill(): void {
    if (this.spill) fs.closeSync(this.spill.fd);
    this.spill = undefined;
  }

  /** The oldest frames, up to about maxBytes (at least one); they leave the queue. */
  shift(maxBytes: number): Buffer[] {
    if (this.head === this.mem.length) this.load();
    const out: Buffer[] = [];
    let size = 0;
    while (this.head < this.mem.length && (size < maxBytes || !out.length)) {
      const f = this.mem[this.head++];
      out.push(f);
      size += f.length;
    }
    this.memBytesUsed -= size;
    if (this.head === this.mem.length) {
      this.mem = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.mem.length) {
      this.mem = this.mem.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Frames sent but not acknowledged go back to the front, in order. */
  unshift(frames: Buffer[]): void {
    if (!frames.length) return;
    this.mem = [...frames, ...this.mem.slice(this.head)];
    this.head = 0;
    this.memBytesUsed += frames.reduce((a, f) => a + f.length, 0);
  }

  /** Memory is empty: the oldest segment comes in, and its file goes. */
  private load(): void {
    const seg = this.segments[0];
    if (!seg || !this.o.dir) return;
    if (this.spill?.seg === seg) this.closeSpill();
    const path = join(this.o.dir, name(seg.n));
    const frames = readFrames(fs.readFileSync(path));
    fs.rmSync(path, { force: true });
    this.segments.shift();
    this.mem = frames;
    this.head = 0;
    this.memBytesUsed = frames.reduce((a, f) => a + f.length, 0);
  }

  /** Over the bound: the oldest go (memory first, then whole segments). */
  private bound(): void {
    while (this.memBytesUsed + this.diskBytes > this.o.maxBytes) {
      if (this.head < this.mem.length) {
        this.memBytesUsed -= this.mem[this.head++].length;
        this.dropped++;
      } else if (this.segments.length) {
        // whole segments go, the oldest first (the one being written too, if it is the only one)
        if (this.spill?.seg === this.segments[0]) this.closeSpill();
        const seg = this.segments.shift()!;
        fs.rmSync(join(this.o.dir!, name(seg.n)), { force: true });
        this.dropped += seg.count;
      } else break;
    }
  }

  /** For shutdown: what is in memory goes to disk in front of the rest (a no-op without a dir). */
  save(): void {
    this.closeSpill();
    if (!this.o.dir || this.head === this.mem.length) return;
    const frames = this.mem.slice(this.head);
    const n = this.segments.length ? this.segments[0].n - 1 : 1_000_000_000;
    const buf = Buffer.concat(frames);
    fs.writeFileSync(join(this.o.dir, name(n)), buf);
    this.segments.unshift({ n, bytes: buf.length, count: frames.length });
    this.mem = [];
    this.head = 0;
    this.memBytesUsed = 0;
  }
}
