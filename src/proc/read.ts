/**
 * Small-file reading tuned for /proc: open + one read into a reused buffer +
 * close is three syscalls, where readFileSync adds an fstat (always size 0 on
 * /proc) and a second read. Every error comes back as undefined: a process
 * that exits mid-read (ENOENT, ESRCH) or a file we may not read (EACCES) is
 * "absent", never an exception.
 */
import { closeSync, opendirSync, openSync, read, readSync, readdirSync, readlinkSync, statSync } from 'node:fs';

/** Node's Buffer has these slice decoders (what toString uses underneath, without its argument checks) */
type FastBuffer = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string };

let shared = Buffer.allocUnsafe(64 * 1024) as FastBuffer;

/** open(path, O_RDONLY), or undefined for any error (gone, denied). */
export function openRead(path: string): number | undefined {
  try {
    return openSync(path, 'r');
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
  const len = fill(path, single);
  return len < 0 ? undefined : shared.subarray(0, len);
}

/** The read loop behind every reader: the file into the shared buffer, its length or -1. */
function fill(path: string, single: boolean): number {
  const fd = openRead(path);
  if (fd === undefined) return -1;
  try {
    let len = 0;
    for (;;) {
      if (len === shared.length) {
        const bigger = Buffer.allocUnsafe(shared.length * 2) as FastBuffer;
        shared.copy(bigger, 0, 0, len);
        shared = bigger;
      }
      const room = shared.length - len;
      const n = readSync(fd, shared, len, room, null);
      if (n <= 0) break;
      len += n;
      if (single && n < room) break;
    }
    return len;
  } catch {
    return -1;
  } finally {
    try {
      closeSync(fd);
    } catch {
      /* already gone */
    }
  }
}

/** Reads a file as UTF-8 text (invalid bytes become U+FFFD). */
export function readText(path: string, single = false): string | undefined {
  const len = fill(path, single);
  return len < 0 ? undefined : shared.utf8Slice(0, len);
}

/** Reads a file whose content is ASCII, faster than UTF-8 decoding. */
export function readAscii(path: string, single = false): string | undefined {
  const len = fill(path, single);
  return len < 0 ? undefined : shared.latin1Slice(0, len);
}

/**
 * Reads an ASCII file with its first read() on a pool thread, for files
 * whose first read blocks in the kernel without using a CPU (/proc/locks
 * waits for an RCU grace period). open() is done here and the read is one
 * pool request, so it overlaps with whatever this thread does next; the
 * rest, if any, is read synchronously once the promise settles. Returns
 * the descriptor (open until text settles) and the text, undefined for
 * any error.
 */
export function readAsciiAhead(path: string): { fd?: number; text: Promise<string | undefined> } {
  const fd = openRead(path);
  if (fd === undefined) return { text: Promise.resolve(undefined) };
  let buf = Buffer.allocUnsafe(64 * 1024) as FastBuffer;
  const text = new Promise<string | undefined>((resolve) => {
    read(fd, buf, 0, buf.length, null, (err, n) => {
      let len = err ? -1 : n;
      try {
        while (len === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2) as FastBuffer;
          buf.copy(bigger, 0, 0, len);
          buf = bigger;
          const more = readSync(fd, buf, len, buf.length - len, null);
          if (more <= 0) break;
          len += more;
        }
      } catch {
        len = -1;
      }
      closeSync(fd);
      resolve(len < 0 ? undefined : buf.latin1Slice(0, len));
    });
  });
  return { fd, text };
}

/** The owner of a file (a task's /proc directory: its euid and egid), or undefined for any error. */
export function ownerOf(path: string): { uid: number; gid: number } | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

export function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** Numeric directory entries (PIDs or TIDs): ascending, or as the kernel lists them (a task directory: leader first). */
export function listPids(dir: string, kernelOrder = false): number[] {
  let names: string[];
  try {
    // readdirSync sorts names as strings (libuv's scandir); opendir keeps the kernel's order
    names = kernelOrder ? inKernelOrder(dir) : readdirSync(dir);
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

function inKernelOrder(dir: string): string[] {
  const d = opendirSync(dir);
  const out: string[] = [];
  try {
    for (let e = d.readSync(); e; e = d.readSync()) out.push(e.name);
  } finally {
    d.closeSync();
  }
  return out;
}
