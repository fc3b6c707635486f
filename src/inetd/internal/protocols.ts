/**
 * The internal services' wire formats, pure: daytime (RFC 867, the ctime
 * line inetd has always sent), time (RFC 868, seconds since 1900 as 32 bits
 * big-endian), chargen (RFC 864, 72-character lines rotating through the 95
 * printable ASCII characters).
 */
import { localOf } from '../../time/localtime.js';
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** "Wed Nov 25 15:40:07 2026\r\n" in local time. */
export function daytime(date: Date): string {
  const d = localOf(date);
  return `${DAYS[d.weekday]} ${MONTHS[d.month]} ${String(d.day).padStart(2)} ${p2(d.hours)}:${p2(d.minutes)}:${p2(d.seconds)} ${d.year}\r\n`;
}

/** Seconds since 1900-01-01 00:00 UTC, modulo 2^32 (RFC 868 wraps in 2036). */
export function timeBytes(ms: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE((Math.floor(ms / 1000) + 2_208_988_800) % 2 ** 32);
  return b;
}

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

/** Line n of the chargen pattern: 72 characters starting at n mod 95, then CR LF. */
export function chargenLine(n: number): string {
  const start = n % 95;
  return `${(PRINTABLE + PRINTABLE).slice(start, start + 72)}\r\n`;
}

/** A block of lines from line n on, for writing in large pieces. */
export function chargenBlock(n: number, lines: number): Buffer {
  let s = '';
  for (let i = 0; i < lines; i++) s += chargenLine(n + i);
  return Buffer.from(s, 'latin1');
}

/**
 * UDP internal services answer only sources that cannot be another
 * internal service: not a privileged port and not one of the ports our own
 * internal services use (two inetds would otherwise echo at each other
 * forever, or be used to reflect a flood at someone else).
 */
export function udpReplyAllowed(sourcePort: number, internalPorts: ReadonlySet<number>): boolean {
  return sourcePort >= 1024 && !internalPorts.has(sourcePort);
}
