/**
 * A forwarding action's queue of frames: in memory while the peer keeps up;
 * once memory holds `memBytes`, new frames go to segment files in `dir`
 * (checksummed records, see segment.ts), read back oldest first when memory
 * has drained. Memory holds the oldest frames, disk the newer ones, and when
 * the disk refuses a write (full, quota, I/O error) the newest wait in a
 * memory tail of up to `holdBytes` until a write works again (tried at most
 * once a second), so the order holds through a full disk. save() writes
 * memory out as the front segment, so a restarted daemon resumes with the
 * same queue, in order. The total is bounded by `maxBytes`: the oldest go
 * first, and are counted; past a full tail the newest are refused, counted.
 * A damaged segment found at start gives up its good frames; the bytes
 * that held none are moved aside to NAME.bad and counted.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { decodeRecords, encodeRecords } from './segment.js';

interface Segment {
  n: number;
  bytes: number;
  count: number;
}

const SEGMENT_BYTES = 4 << 20;
const RETRY_MS = 1000;
const name = (n: number) => `${String(n).padStart(10, '0')}.seg`;
const sum = (frames: Buffer[]) => frames.reduce((a, f) => a + f.length, 0);

export interface QueueOptions {
  dir?: string;
  memBytes: number;
  maxBytes: number;
  segmentBytes?: number;
  /** the tail's bound: what waits in memory while the disk refuses writes (default memBytes) */
  holdBytes?: number;
  /** says once when the disk starts and stops refusing, and what was damaged at start */
  log?: (line: string) => void;
  /** how the log names this queue */
  name?: string;
}

export class FrameQueue {
  private mem: Buffer[] = [];
  private head = 0;
  memBytesUsed = 0;
  private segments: Segment[] = [];
  private spill: { fd: number; seg: Segment } | undefined;
  /** newer than every segment, waiting for the disk to take writes again */
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private retryAt = 0;
  /** the disk's refusal, while it lasts */
  diskError: string | undefined;
  dropped = 0;
  /** found at start: byte ranges of segments that held no good frame, and their bytes */
  damaged = 0;
  damagedBytes = 0;

  constructor(private readonly o: QueueOptions) {
    if (!o.dir) return;
    try {
      fs.mkdirSync(o.dir, { recursive: true });
    } catch (e) {
      this.refused(e);
      return;
    }
    for (const f of fs
      .readdirSync(o.dir)
      .filter((f) => /^\d{10}\.seg$/.test(f))
      .sort())
      this.adopt(f);
  }

  /** A segment left by the last run: counted, and if damaged, its good frames kept and the rest moved aside. */
  private adopt(f: string): void {
    const path = join(this.o.dir!, f);
    const buf = fs.readFileSync(path);
    const { frames, bad } = decodeRecords(buf);
    if (bad.length) {
      const badBytes = bad.reduce((a, [s, e]) => a + e - s, 0);
      this.damaged += bad.length;
      this.damagedBytes += badBytes;
      try {
        fs.writeFileSync(`${path}.bad`, Buffer.concat(bad.map(([s, e]) => buf.subarray(s, e))));
        const good = encodeRecords(frames);
        fs.writeFileSync(`${path}.tmp`, good);
        fs.renameSync(`${path}.tmp`, path);
      } catch (e) {
        this.o.log?.(`dk syslogd: ${this.o.name ?? 'queue'}: cannot set aside the damage in ${path}: ${(e as Error).message}`);
      }
      this.o.log?.(
        `dk syslogd: ${this.o.name ?? 'queue'}: ${path}: ${bad.length} damaged part${bad.length > 1 ? 's' : ''} (${badBytes} bytes) kept in ${f}.bad; ${frames.length} good messages queued`,
      );
    }
    const bytes = frames.length ? encodedSize(frames) : 0;
    if (!frames.length) fs.rmSync(path, { force: true });
    else this.segments.push({ n: Number(f.slice(0, 10)), bytes, count: frames.length });
  }

  get length(): number {
    return this.mem.length - this.head + this.segments.reduce((a, s) => a + s.count, 0) + this.tail.length;
  }

  get diskBytes(): number {
    return this.segments.reduce((a, s) => a + s.bytes, 0);
  }

  private get holdBytes(): number {
    return this.o.holdBytes ?? this.o.memBytes;
  }

  /** the tail is near its bound: the inputs that can wait should */
  get full(): boolean {
    return this.tailBytes >= this.holdBytes * 0.75;
  }

  push(frames: Buffer[]): void {
    if (!frames.length) return;
    const size = sum(frames);
    if (this.o.dir && (this.segments.length || this.tail.length || this.memBytesUsed + size > this.o.memBytes)) this.toDisk(frames);
    else {
      for (const f of frames) this.mem.push(f);
      this.memBytesUsed += size;
    }
    this.bound();
  }

  private toDisk(frames: Buffer[]): void {
    if (this.tail.length && Date.now() < this.retryAt) return this.toTail(frames);
    const all = this.tail.length ? [...this.tail, ...frames] : frames;
    if (this.write(all)) {
      this.tail = [];
      this.tailBytes = 0;
      if (this.diskError) this.o.log?.(`dk syslogd: ${this.o.name ?? 'queue'}: the disk queue takes writes again`);
      this.diskError = undefined;
    } else this.toTail(frames);
  }

  private toTail(frames: Buffer[]): void {
    for (const f of frames) {
      if (this.tailBytes + f.length > this.holdBytes) {
        this.dropped++;
        continue;
      }
      this.tail.push(f);
      this.tailBytes += f.length;
    }
  }

  /** Appends frames to the segment being written; on failure nothing of them stays in the file. */
  private write(frames: Buffer[]): boolean {
    try {
      if (!this.spill || this.spill.seg.bytes >= (this.o.segmentBytes ?? SEGMENT_BYTES)) {
        this.closeSpill();
        fs.mkdirSync(this.o.dir!, { recursive: true });
        const n = this.segments.length ? this.segments[this.segments.length - 1].n + 1 : 1_000_000_000;
        const seg = { n, bytes: 0, count: 0 };
        this.spill = { fd: fs.openSync(join(this.o.dir!, name(n)), 'a'), seg };
        this.segments.push(seg);
      }
    } catch (e) {
      this.refused(e);
      return false;
    }
    const { fd, seg } = this.spill;
    const buf = encodeRecords(frames);
    let off = 0;
    try {
      while (off < buf.length) off += fs.writeSync(fd, buf, off);
    } catch (e) {
      // a torn record would read back as damage: the file goes back to what it held
      try {
        if (off) fs.ftruncateSync(fd, seg.bytes);
      } catch {
        // the checksums will find the torn part at the next start
      }
      this.refused(e);
      return false;
    }
    seg.bytes += buf.length;
    seg.count += frames.length;
    return true;
  }

  private refused(e: unknown): void {
    const msg = (e as Error).message;
    if (!this.diskError)
      this.o.log?.(
        `dk syslogd: ${this.o.name ?? 'queue'}: the disk queue cannot be written (${msg}); new messages wait in memory (up to ${this.holdBytes} bytes)`,
      );
    this.diskError = msg;
    this.retryAt = Date.now() + RETRY_MS;
    // an empty segment just made would be read as nothing; it goes
    if (this.spill && this.spill.seg.count === 0) {
      const seg = this.spill.seg;
      this.closeSpill();
      this.segments.splice(this.segments.indexOf(seg), 1);
      fs.rmSync(join(this.o.dir!, name(seg.n)), { force: true });
    }
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
    this.memBytesUsed += sum(frames);
  }

  /** Memory is empty: the oldest segment comes in, and its file goes; after the last, the tail. */
  private load(): void {
    const seg = this.segments[0];
    if (!seg || !this.o.dir) {
      if (!this.tail.length) return;
      this.mem = this.tail;
      this.memBytesUsed = this.tailBytes;
      this.head = 0;
      this.tail = [];
      this.tailBytes = 0;
      return;
    }
    if (this.spill?.seg === seg) this.closeSpill();
    const path = join(this.o.dir, name(seg.n));
    let frames: Buffer[] = [];
    try {
      frames = decodeRecords(fs.readFileSync(path)).frames;
    } catch (e) {
      this.o.log?.(`dk syslogd: ${this.o.name ?? 'queue'}: ${path}: ${(e as Error).message}; its ${seg.count} messages are lost`);
      this.dropped += seg.count;
    }
    fs.rmSync(path, { force: true });
    this.segments.shift();
    this.mem = frames;
    this.head = 0;
    this.memBytesUsed = sum(frames);
  }

  /** Over the bound: the oldest go (memory first, then whole segments, then the tail). */
  private bound(): void {
    while (this.memBytesUsed + this.diskBytes + this.tailBytes > this.o.maxBytes) {
      if (this.head < this.mem.length) {
        this.memBytesUsed -= this.mem[this.head++].length;
        this.dropped++;
      } else if (this.segments.length) {
        // whole segments go, the oldest first (the one being written too, if it is the only one)
        if (this.spill?.seg === this.segments[0]) this.closeSpill();
        const seg = this.segments.shift()!;
        fs.rmSync(join(this.o.dir!, name(seg.n)), { force: true });
        this.dropped += seg.count;
      } else if (this.tail.length) {
        this.tailBytes -= this.tail.shift()!.length;
        this.dropped++;
      } else break;
    }
  }

  /**
   * For shutdown: memory goes to disk in front of the segments, the tail
   * behind them. Returns how many messages the disk now holds; without a
   * dir, or what the disk refuses, is counted as dropped.
   */
  save(): number {
    this.closeSpill();
    if (!this.o.dir) {
      this.dropped += this.length;
      this.mem = [];
      this.head = 0;
      this.memBytesUsed = 0;
      this.tail = [];
      this.tailBytes = 0;
      return 0;
    }
    if (this.tail.length) {
      const tail = this.tail;
      this.tail = [];
      this.tailBytes = 0;
      if (!this.write(tail)) this.lost(tail.length);
      this.closeSpill();
    }
    if (this.head < this.mem.length) {
      const frames = this.mem.slice(this.head);
      const n = this.segments.length ? this.segments[0].n - 1 : 1_000_000_000;
      const path = join(this.o.dir, name(n));
      const buf = encodeRecords(frames);
      try {
        fs.writeFileSync(path, buf);
        this.segments.unshift({ n, bytes: buf.length, count: frames.length });
      } catch (e) {
        fs.rmSync(path, { force: true });
        this.refused(e);
        this.lost(frames.length);
      }
      this.mem = [];
      this.head = 0;
      this.memBytesUsed = 0;
    }
    return this.length;
  }

  private lost(n: number): void {
    this.dropped += n;
    this.o.log?.(`dk syslogd: ${this.o.name ?? 'queue'}: ${n} messages could not be saved (${this.diskError})`);
  }
}

function encodedSize(frames: Buffer[]): number {
  return sum(frames) + 10 * frames.length;
}
