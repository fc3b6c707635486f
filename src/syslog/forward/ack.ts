/**
 * Delivery acknowledgement between dk syslogd peers over plain syslog TCP
 * (octet counting). A forwarding daemon opens each connection with one
 * request frame; a dk syslogd receiving it answers at once "ACK 0\n" on the
 * otherwise unused reverse direction, then "ACK n\n" where n counts the
 * messages of that connection it has written to its outputs (files and
 * SQLite committed). The sender keeps what is not acknowledged and sends it
 * again after a reconnect: at-least-once. Any other receiver logs the
 * request as one syslog.debug line and never answers; the sender then
 * stops waiting (3 s), unless that peer acknowledged on an earlier
 * connection.
 */
import { octetFrame } from '../protocol/framing.js';

export const ACK_REQUEST_TEXT = '<47>1 - - dk-syslogd - DKACK - delivery acknowledgement requested';
export const ACK_REQUEST = octetFrame(ACK_REQUEST_TEXT);
const MARK = Buffer.from(' dk-syslogd - DKACK ');
const MARK_AT = ACK_REQUEST_TEXT.indexOf(' dk-syslogd - DKACK ');

/** Is this frame (a range of b) the request? */
export function isAckRequest(b: Buffer, start: number, end: number): boolean {
  return end - start === ACK_REQUEST_TEXT.length && b[start] === 0x3c && b.indexOf(MARK, start) === start + MARK_AT;
}

/** Parses "ACK n\n" lines out of what came back; returns the last count and the unfinished rest. */
export function parseAcks(text: string): { last?: number; rest: string } {
  let last: number | undefined;
  const lines = text.split('\n');
  const rest = lines.pop() ?? '';
  for (const l of lines) {
    const m = /^ACK (\d+)$/.exec(l);
    if (m) last = Number(m[1]);
  }
  return { last, rest: rest.length > 64 ? '' : rest };
}
