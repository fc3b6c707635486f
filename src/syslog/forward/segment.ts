/**
 * The disk queue's segment format: each frame is written as a record
 * "MAGIC LEN CRC PAYLOAD" (2 + 4 + 4 bytes of header, big-endian, CRC-32 of
 * the payload), so a segment torn by a crash or damaged on disk is read
 * back up to the damage and past it: after a bad record the reader looks
 * for the next header whose checksum holds. Segments from before the
 * checksums ("LEN SP MSG" frames of syslog lines or JSON records) are
 * still read.
 */
import { crc32 } from 'node:zlib';

const MAGIC0 = 0xdc;
const MAGIC1 = 0x4b;
const HEADER = 10;
/** no frame is bigger (syslogd's --max-size is far below): a larger length is damage */
const MAX_FRAME = 64 << 20;

export function encodeRecords(frames: Buffer[]): Buffer {
  let size = 0;
  for (const f of frames) size += HEADER + f.length;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const f of frames) {
    out[p] = MAGIC0;
    out[p + 1] = MAGIC1;
    out.writeUInt32BE(f.length, p + 2);
    out.writeUInt32BE(crc32(f), p + 6);
    f.copy(out, p + HEADER);
    p += HEADER + f.length;
  }
  return out;
}

export interface Decoded {
  frames: Buffer[];
  /** byte ranges [start, end) that held no good record: damage, or a torn tail */
  bad: [number, number][];
}

/** Is there a good record at p? Its end, or -1. */
function recordAt(buf: Buffer, p: number): number {
  if (p + HEADER > buf.length || buf[p] !== MAGIC0 || buf[p + 1] !== MAGIC1) return -1;
  const len = buf.readUInt32BE(p + 2);
  if (len > MAX_FRAME || p + HEADER + len > buf.length) return -1;
  return crc32(buf.subarray(p + HEADER, p + HEADER + len)) === buf.readUInt32BE(p + 6) ? p + HEADER + len : -1;
}

export function decodeRecords(buf: Buffer): Decoded {
  if (buf.length && buf[0] >= 0x30 && buf[0] <= 0x39) {
    // written before the checksums if its first frame reads as one (a syslog line or a store record)
    const old = decodeLegacy(buf);
    const first = old.frames[0];
    if (first && (first[first.indexOf(0x20) + 1] === 0x3c || first[first.indexOf(0x20) + 1] === 0x7b)) return old;
  }
  const frames: Buffer[] = [];
  const bad: [number, number][] = [];
  let p = 0;
  while (p < buf.length) {
    const end = recordAt(buf, p);
    if (end >= 0) {
      frames.push(buf.subarray(p + HEADER, end));
      p = end;
      continue;
    }
    // resynchronise on the next header whose record checks out
    let q = p + 1;
    for (;;) {
      q = buf.indexOf(MAGIC0, q);
      if (q < 0 || recordAt(buf, q) >= 0) break;
      q++;
    }
    const stop = q < 0 ? buf.length : q;
    bad.push([p, stop]);
    p = stop;
  }
  return { frames, bad };
}

/** "LEN SP MSG" repeated, as segments were written before checksums; the rest after a broken frame is bad. */
function decodeLegacy(buf: Buffer): Decoded {
  const frames: Buffer[] = [];
  let p = 0;
  while (p < buf.length) {
    let q = p;
    let len = 0;
    while (q < buf.length && buf[q] >= 0x30 && buf[q] <= 0x39 && q - p < 10) len = len * 10 + buf[q++] - 0x30;
    if (q === p || buf[q] !== 0x20 || q + 1 + len > buf.length) break;
    frames.push(buf.subarray(p, q + 1 + len));
    p = q + 1 + len;
  }
  return { frames, bad: p < buf.length ? [[p, buf.length]] : [] };
}
