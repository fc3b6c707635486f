/**
 * Extended attributes Node cannot read (getxattr through koffi, loaded on
 * the first call): a socket's system.sockprotoname, the protocol it names
 * itself by, is how lsof names a socket no /proc/net table of its network
 * namespace holds.
 */
import { loadLibc } from './libc.js';

const value = Buffer.alloc(256);

/** The protocol name of the socket a path leads to (/proc/PID/fd/N), or undefined (not a socket, gone, no koffi). */
export function sockProtoName(path: string): string | undefined {
  try {
    const n = loadLibc().getxattr(path, 'system.sockprotoname', value, value.length);
    if (n <= 0) return undefined;
    // the name ends at its NUL
    const text = value.toString('latin1', 0, n);
    const nul = text.indexOf('\0');
    return (nul < 0 ? text : text.slice(0, nul)) || undefined;
  } catch {
    return undefined;
  }
}
