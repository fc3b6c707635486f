/**
 * Small-file reading tuned for /proc: open + one read into a reused buffer +
 * close is three syscalls, where readFileSync adds an fstat (always size 0 on
 * /proc) and a second read. Every error comes back as undefined: a process
 * that exits mid-read (ENOENT, ESRCH) or a file we may not read (EACCES) is
 * "absent", never an exception.
 */
import * as fs from 'node:fs';

let shared = Buffer.allocUnsafe(64 * 1024);

/** open(path, O_RDONLY), or undefined for any error (gone, denied). */
export function openRead(path: string): number | undefined {
  try {
    return fs.openSync(path, 'r');
  } catch {
    return undefined;
  }
}

/**
 * Reads a whole file as bytes; returns a view valid until the next call.
 * single: the file is one record generated at open (stat, status, statm,
 * cmdline): a short read is then the end and the extra read() that would
 * return 0 is skipped. Multi-record seq files (maps, net/tcp) hand out a
 * page at a time and must be read until 0.
 */
export function readBytes(path: string, single = false): Buffer | undefined {
  const fd = openRead(path);
  if (fd === undefined) return undefined;
  try {
    let len = 0;
    for (;;) {
      if (len === shared.length) {
        const bigger = Buffer.allocUnsafe(shared.length * 2);
        shared.copy(bigger, 0, 0, len);
        shared = bigger;
      }
      const room = shared.length - len;
      const n = fs.readSync(fd, shared, len, room, null);
      if (n <= 0) break;
      len += n;
      if (single && n < room) break;
    }
    return shared.subarray(0, len);
  } catch {
    return undefined;
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      /* already gone */
    }
  }
}

/** Reads a file as UTF-8 text (invalid bytes become U+FFFD). */
export function readText(path: string, single = false): string | undefined {
  const b = readBytes(path, single);
  return b === undefined ? undefined : b.toString('utf8');
}

/** Reads a file whose content is ASCII, faster than UTF-8 decoding. */
export function readAscii(path: string, single = false): string | undefined {
  const b = readBytes(path, single);
  return b === undefined ? undefined : b.toString('latin1');
}

export function readLink(path: string): string | undefined {
  try {
    return fs.readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** Numeric directory entries (PIDs or TIDs): ascending, or as the kernel lists them (a task directory: leader first). */
export function listPids(dir: string, kernelOrder = false): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(n));
  }
  // a task directory lists the leader first, then threads in creation order, as ps and top show them
  return kernelOrder ? out : out.sort((a, b) => a - b);
}
