/** A ByteSource over an open file: 64 KiB blocks read on demand and kept. */
import * as fs from 'node:fs';
import type { ByteSource } from './elf.js';
import { openRead } from '../proc/read.js';

const BLOCK = 64 * 1024;

export class FileSource implements ByteSource {
  readonly length: number;
  private readonly blocks = new Map<number, Buffer>();

  private constructor(private readonly fd: number) {
    this.length = fs.fstatSync(fd).size;
  }

  /** Opens a regular file; undefined when it cannot be opened or is not a file. */
  static open(path: string): FileSource | undefined {
    const fd = openRead(path);
    if (fd === undefined) return undefined;
    try {
      if (!fs.fstatSync(fd).isFile()) {
        fs.closeSync(fd);
        return undefined;
      }
      return new FileSource(fd);
    } catch {
      fs.closeSync(fd);
      return undefined;
    }
  }

  private block(i: number): Buffer {
    let b = this.blocks.get(i);
    if (!b) {
      b = Buffer.alloc(Math.min(BLOCK, this.length - i * BLOCK));
      fs.readSync(this.fd, b, 0, b.length, i * BLOCK);
      this.blocks.set(i, b);
    }
    return b;
  }

  bytes(off: number, n: number): Buffer {
    const first = Math.floor(off / BLOCK);
    const last = Math.floor((off + n - 1) / BLOCK);
    if (n <= 0) return Buffer.alloc(0);
    if (first === last) return this.block(first).subarray(off - first * BLOCK, off - first * BLOCK + n);
    const out = Buffer.alloc(n);
    let w = 0;
    for (let i = first; i <= last; i++) {
      const b = this.block(i);
      const start = i === first ? off - first * BLOCK : 0;
      const end = Math.min(b.length, off + n - i * BLOCK);
      w += b.copy(out, w, start, end);
    }
    return out;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
