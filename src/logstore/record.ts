/** One stored message: what every store keeps and `dk logs` shows. */
import type { SyslogMessage } from '../syslog/protocol/message.js';

/** A message as the daemon received it, before a store makes a record of it. */
export interface Received {
  msg: SyslogMessage;
  /** when we got it: the stamp used when the sender gave none, and for files as syslogd does */
  at: Date;
  /** hostname of the sender (ours for local input) */
  host: string;
  /** credentials from the unix socket */
  pid?: number;
  uid?: number;
  input: string;
}

export interface LogRecord {
  /** store's own increasing id (absent before insertion) */
  id?: number;
  /** when the daemon got it, ms since the epoch */
  received: number;
  /** the sender's own stamp, ms since the epoch, when it gave one */
  reported?: number;
  host: string;
  facility: number;
  severity: number;
  app?: string;
  /** PROCID / [PID] as sent (a string: RFC 5424 allows any token) */
  pid?: string;
  msgid?: string;
  /** structured data as JSON, when there was any */
  sd?: string;
  msg: string;
  /** where it came from: peer address, or unix:PATH with the sender's pid/uid */
  source?: string;
}

export function recordOf(r: Received): LogRecord {
  const m = r.msg;
  return {
    received: r.at.getTime(),
    reported: m.timestamp?.getTime(),
    host: m.hostname ?? r.host,
    facility: m.facility,
    severity: m.severity,
    app: m.app,
    pid: m.procId ?? (r.pid !== undefined && m.app === undefined ? String(r.pid) : undefined),
    msgid: m.msgId,
    sd: m.structuredData.length ? JSON.stringify(m.structuredData) : undefined,
    msg: m.msg.replace(/\n$/, ''),
    source: r.input,
  };
}

/** A row as either database returns it (numbers may come back as strings from PostgreSQL). */
export function recordFromRow(row: Record<string, unknown>): LogRecord {
  const s = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
  return {
    id: Number(row.id),
    received: Number(row.received),
    reported: row.reported === null || row.reported === undefined ? undefined : Number(row.reported),
    host: String(row.host),
    facility: Number(row.facility),
    severity: Number(row.severity),
    app: s(row.app),
    pid: s(row.pid),
    msgid: s(row.msgid),
    sd: s(row.sd),
    msg: String(row.msg),
    source: s(row.source),
  };
}

/** The values of a record in schema.ts's COLUMNS order, null for what is absent. */
export const columnValues = (r: LogRecord): (string | number | null)[] => [
  r.received,
  r.reported ?? null,
  r.host,
  r.facility,
  r.severity,
  r.app ?? null,
  r.pid ?? null,
  r.msgid ?? null,
  r.sd ?? null,
  r.msg,
  r.source ?? null,
];
