/**
 * Machine-wide /proc files read through descriptors kept open: a pread at
 * offset 0 makes the kernel generate the file afresh, and skips the open and
 * close that cost more than half of each read (/proc/stat: 4.3 us instead of
 * 10.5 us here). A handful of descriptors (stat, meminfo, vmstat, diskstats,
 * net/dev), opened close-on-exec on first use; one that stops working is
 * reopened once.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { readAll } from '../procat.js';

const held = new Map<string, number>();

/** The file's text now ('' when it cannot be read). */
export function readHeld(path: string): string {
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd = held.get(path);
    try {
      if (fd === undefined) held.set(path, (fd = openSync(path, 'r')));
      const open = fd;
      // pread at the offset reached: the kernel makes the file afresh at offset 0
      return readAll(false, (into, at, room) => readSync(open, into, at, room, at)).toString('latin1');
    } catch {
      if (fd !== undefined) {
        held.delete(path);
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      }
    }
  }
  return '';
}
