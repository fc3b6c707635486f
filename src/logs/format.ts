/** One stored message as `dk logs` prints it, in journalctl's output modes. */
import { localTime } from '../time/localtime.js';
import { stamp3164 } from '../syslog/server/lines.js';
import { FACILITIES, SEVERITIES } from '../syslog/protocol/pri.js';
import { formatRfc5424 } from '../syslog/protocol/rfc5424.js';
import type { LogRecord } from '../logstore/record.js';
import type { OutputMode } from './args.js';

const p2 = (n: number) => String(n).padStart(2, '0');

/** "2026-11-25T13:05:07+0000", journalctl's short-iso stamp, local time. */
export function isoStamp(ms: number): string {
  const d = localTime(Math.floor(ms / 1000));
  const off = Math.round(d.offset / 60);
  const sign = off < 0 ? '-' : '+';
  return `${d.year}-${p2(d.month + 1)}-${p2(d.day)}T${p2(d.hours)}:${p2(d.minutes)}:${p2(d.seconds)}${sign}${p2(Math.floor(Math.abs(off) / 60))}${p2(Math.abs(off) % 60)}`;
}

export function formatRecord(r: LogRecord, mode: OutputMode): string {
  const tag = r.app ? `${r.app}${r.pid ? `[${r.pid}]` : ''}: ` : '';
  switch (mode) {
    case 'cat':
      return r.msg;
    case 'short':
      return `${stamp3164(new Date(r.received))} ${r.host} ${tag}${r.msg}`;
    case 'short-iso':
      return `${isoStamp(r.received)} ${r.host} ${tag}${r.msg}`;
    case 'rfc5424':
      return formatRfc5424({
        facility: r.facility,
        severity: r.severity,
        timestamp: new Date(r.reported ?? r.received),
        hostname: r.host,
        app: r.app,
        procId: r.pid,
        msgId: r.msgid,
        structuredData: r.sd ? (JSON.parse(r.sd) as never) : [],
        msg: r.msg,
        format: 'rfc5424',
      });
    case 'json':
      return JSON.stringify({
        id: r.id,
        received: new Date(r.received).toISOString(),
        reported: r.reported === undefined ? undefined : new Date(r.reported).toISOString(),
        host: r.host,
        facility: FACILITIES[r.facility] ?? r.facility,
        severity: SEVERITIES[r.severity],
        app: r.app,
        pid: r.pid,
        msgid: r.msgid,
        structuredData: r.sd ? JSON.parse(r.sd) : undefined,
        msg: r.msg,
        source: r.source,
      });
  }
}
