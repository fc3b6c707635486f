/**
 * One entry point for whatever arrives: RFC 5424 when the header says so,
 * otherwise the tolerant RFC 3164 reader. Input longer than the maximum
 * message size is cut and marked. Never throws.
 */
import type { SyslogMessage } from './message.js';
import { parseRfc3164 } from './rfc3164.js';
import { parseRfc5424, Rfc5424Error } from './rfc5424.js';

export const DEFAULT_MAX_MESSAGE = 8192;

export function parseMessage(raw: Buffer | string, o: { maxSize?: number; now?: Date } = {}): SyslogMessage {
  const max = o.maxSize ?? DEFAULT_MAX_MESSAGE;
  let buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  let truncated = false;
  if (buf.length > max) {
    buf = buf.subarray(0, max);
    truncated = true;
  }
  // senders end lines with LF or NUL; neither is part of the message
  let end = buf.length;
  while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x00 || buf[end - 1] === 0x0d)) end--;
  const text = buf.toString('utf8', 0, end);
  let m: SyslogMessage;
  if (/^<\d{1,3}>1 /.test(text)) {
    try {
      m = parseRfc5424(text);
    } catch (e) {
      if (!(e instanceof Rfc5424Error)) throw e;
      m = parseRfc3164(text, o.now);
    }
  } else m = parseRfc3164(text, o.now);
  if (truncated) m.truncated = true;
  return m;
}
