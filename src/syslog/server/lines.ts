/** How a message is written by an action: traditional, RFC 5424 or JSON lines. */
import { localOf } from '../../time/localtime.js';
import type { OutputFormat } from '../config/conf.js';
import type { Received } from '../../logstore/record.js';
import { formatRfc5424 } from '../protocol/rfc5424.js';
import { FACILITIES, SEVERITIES } from '../protocol/pri.js';

export type { Received };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** "Nov 25 13:48:03" in local time, as syslogd stamps what it writes. */
export function stamp3164(date: Date): string {
  const d = localOf(date);
  return `${MONTHS[d.month]} ${String(d.day).padStart(2)} ${p2(d.hours)}:${p2(d.minutes)}:${p2(d.seconds)}`;
}

/** "Nov 25 13:48:03 host tag[pid]: text", the sysklogd/rsyslog traditional file line. */
export function traditionalLine(r: Received): string {
  const ts = stamp3164(r.at);
  const m = r.msg;
  const tag = m.app ? `${m.app}${m.procId ? `[${m.procId}]` : ''}:` : '';
  const text = m.msg.replace(/\n$/, '');
  return `${ts} ${m.hostname ?? r.host} ${tag}${tag && !text.startsWith(' ') ? ' ' : ''}${text}${m.truncated ? ' [truncated]' : ''}`;
}

export function formatLine(r: Received, f: OutputFormat): string {
  if (f === 'rfc5424') return formatRfc5424({ ...r.msg, hostname: r.msg.hostname ?? r.host, timestamp: r.msg.timestamp ?? r.at });
  if (f === 'json') {
    const m = r.msg;
    return JSON.stringify({
      time: r.at.toISOString(),
      sent: m.timestamp?.toISOString(),
      host: m.hostname ?? r.host,
      facility: FACILITIES[m.facility] ?? m.facility,
      severity: SEVERITIES[m.severity],
      app: m.app,
      procId: m.procId,
      msgId: m.msgId,
      structuredData: m.structuredData.length ? m.structuredData : undefined,
      msg: m.msg,
      truncated: m.truncated || undefined,
      pid: r.pid,
      uid: r.uid,
      input: r.input,
    });
  }
  return traditionalLine(r);
}
