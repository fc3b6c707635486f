/**
 * RFC 3164 ("BSD syslog") as real senders write it, which is looser than the
 * RFC: glibc syslog(3) sends "<PRI>Mmm dd hh:mm:ss TAG[PID]: text" without a
 * hostname; logger, rsyslog and network devices add or drop parts. Anything
 * unrecognised stays in the text; nothing here throws.
 */
import { localOf } from '../../time/localtime.js';
import type { SyslogMessage } from './message.js';
import { formatRfc5424Time } from './rfc5424.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DEFAULT_PRI = 13; // user.notice

/** "<PRI>" at the start: [value, length consumed], or undefined. */
export function parsePri(s: string): [number, number] | undefined {
  const m = /^<(\d{1,3})>/.exec(s);
  if (!m) return undefined;
  const v = Number(m[1]);
  if (v > 191 || (m[1].length > 1 && m[1][0] === '0')) return undefined;
  return [v, m[0].length];
}

/** "Mmm dd hh:mm:ss" (day space-padded or not), with optional year or fraction some senders add. */
const TS = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(\.\d{1,6})?(?: (\d{4}))?(?= |$)/;
const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d))(?= |$)/;

export function parseRfc3164(input: string, now = new Date()): SyslogMessage {
  let s = input;
  let value = DEFAULT_PRI;
  const p = parsePri(s);
  if (p) {
    value = p[0];
    s = s.slice(p[1]);
  }
  const out: SyslogMessage = { facility: value >> 3, severity: value & 7, structuredData: [], msg: '', format: 'rfc3164' };

  const t = TS.exec(s);
  const iso = t ? undefined : ISO.exec(s);
  if (t) {
    const month = MONTHS.indexOf(t[1]);
    if (month >= 0) {
      // no year in the stamp: the one that puts it nearest to now (December logs read in January)
      let year = t[7] ? Number(t[7]) : now.getFullYear();
      const d = new Date(year, month, Number(t[2]), Number(t[3]), Number(t[4]), Number(t[5]), t[6] ? Math.floor(Number(t[6]) * 1000) : 0);
      if (!t[7] && d.getTime() - now.getTime() > 31 * 86400_000) d.setFullYear(--year);
      out.timestamp = d;
      out.timestampText = t[0];
      s = s.slice(t[0].length).replace(/^ /, '');
    }
  } else if (iso) {
    out.timestamp = new Date(iso[1]);
    out.timestampText = iso[1];
    s = s.slice(iso[1].length).replace(/^ /, '');
  }

  // HOSTNAME only when a timestamp was present and the next word is followed
  // by another word that looks like a tag (glibc sends no hostname)
  if (out.timestamp) {
    const h = /^([A-Za-z0-9][A-Za-z0-9._:-]*) (?=\S)/.exec(s);
    if (h && !/[:[]/.test(h[1].slice(-1)) && !/^[^ ]*[[:]/.test(h[1]) && looksLikeTagged(s.slice(h[0].length))) {
      out.hostname = h[1];
      s = s.slice(h[0].length);
    }
  }

  // TAG[PID]: text
  const tag = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{1,32})\])?: ?/.exec(s);
  if (tag?.[0].includes(':')) {
    out.app = tag[1];
    if (tag[2] !== undefined) out.procId = tag[2];
    s = s.slice(tag[0].length);
  }
  out.msg = s;
  return out;
}

function looksLikeTagged(rest: string): boolean {
  return /^[^\s:[\]]{1,48}(\[[^\]\s]{1,32}\])?:/.test(rest);
}

/** The traditional wire form: "<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: text". */
export function formatRfc3164(m: SyslogMessage, o: { hostname?: boolean } = {}): string {
  const d = localOf(m.timestamp ?? new Date());
  const ts = `${MONTHS[d.month]} ${String(d.day).padStart(2)} ${[d.hours, d.minutes, d.seconds].map((x) => String(x).padStart(2, '0')).join(':')}`;
  const host = o.hostname !== false && m.hostname ? `${m.hostname} ` : '';
  const tag = m.app ? `${m.app}${m.procId ? `[${m.procId}]` : ''}: ` : '';
  return `<${m.facility * 8 + m.severity}>${ts} ${host}${tag}${m.msg}`;
}

export { formatRfc5424Time };
