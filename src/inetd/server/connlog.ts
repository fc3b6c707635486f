/**
 * Connection logging as xinetd does it: "START: service pid=N from=ADDR",
 * "EXIT: service status=N pid=N duration=N(sec)", "FAIL: service reason
 * from=ADDR", with the fields log_on_success / log_on_failure choose; sent
 * to syslog (the service's log_type, else daemon.info / daemon.warning) on
 * any socket path, or appended to the log_type FILE.
 */
import { localOf } from '../../time/localtime.js';
import * as fs from 'node:fs';
import { SyslogClient, LOG_DAEMON, LOG_PID } from '../../syslog/client.js';
import { facilityCode, severityCode } from '../../syslog/protocol/pri.js';
import type { ServiceConfig } from '../config/service.js';

export interface ConnEvent {
  /** userid: the RFC 1413 answer; traffic: a redirect's bytes (log_on_success TRAFFIC); each a line of its own */
  kind: 'start' | 'exit' | 'fail' | 'userid' | 'traffic';
  svc: ServiceConfig;
  pid?: number;
  host?: string;
  status?: number | null;
  signal?: string | null;
  durationMs?: number;
  reason?: string;
  /** fail: xinetd's word for a refusal (address, libwrap, time, load, service_limit, per_source_limit, connections per second) */
  code?: string;
  /** userid: "OPSYS : user" (as xinetd 2.3.15 writes it) or the identd's error */
  userid?: string;
  /** traffic: bytes from and to the client */
  inBytes?: number;
  outBytes?: number;
}

/** inetd.conf services, which have no log_on_* lines, log everything */
const ALL_SUCCESS = ['PID', 'HOST', 'EXIT', 'DURATION'];
const ALL_FAILURE = ['HOST'];

export function formatEvent(e: ConnEvent): string {
  const ok = e.svc.logOnSuccess ?? ALL_SUCCESS;
  const fail = e.svc.logOnFailure ?? ALL_FAILURE;
  const parts: string[] = [];
  if (e.kind === 'start') {
    parts.push(`START: ${e.svc.id}`);
    if (ok.includes('PID') && e.pid !== undefined) parts.push(`pid=${e.pid}`);
    if (ok.includes('HOST') && e.host) parts.push(`from=${e.host}`);
  } else if (e.kind === 'exit') {
    parts.push(`EXIT: ${e.svc.id}`);
    if (ok.includes('EXIT')) parts.push(e.signal ? `signal=${e.signal}` : `status=${e.status ?? 0}`);
    if (ok.includes('PID') && e.pid !== undefined) parts.push(`pid=${e.pid}`);
    if (ok.includes('DURATION') && e.durationMs !== undefined) parts.push(`duration=${Math.round(e.durationMs / 1000)}(sec)`);
  } else if (e.kind === 'traffic') {
    parts.push(`TRAFFIC: ${e.svc.id} in=${e.inBytes ?? 0}(bytes) out=${e.outBytes ?? 0}(bytes)`);
  } else if (e.kind === 'userid') {
    parts.push(`USERID: ${e.svc.id} ${e.userid ?? ''}`.trimEnd());
  } else {
    parts.push(`FAIL: ${e.svc.id} ${e.code ?? e.reason ?? ''}`.trimEnd());
    if (fail.includes('HOST') && e.host) parts.push(`from=${e.host}`);
  }
  return parts.join(' ');
}

const p2 = (n: number) => String(n).padStart(2, '0');
/** xinetd's file log stamp: 26/11/25@15:33:41 */
const fileStamp = (date: Date) => {
  const d = localOf(date);
  return `${p2(d.year % 100)}/${d.month + 1}/${d.day}@${p2(d.hours)}:${p2(d.minutes)}:${p2(d.seconds)}`;
};

/** Ours in full, for a refusal whose FAIL line has only xinetd's word: "id: reason (from=ADDR)". */
export function formatDetail(e: ConnEvent): string | undefined {
  if (e.kind !== 'fail' || !e.code || !e.reason) return undefined;
  return `${e.svc.id}: ${e.reason}${e.host ? ` (from=${e.host})` : ''}`;
}

export class ConnLogger {
  private readonly clients = new Map<string, SyslogClient>();

  constructor(private readonly o: { syslogPath: string; stderr?: (line: string) => void }) {}

  log(e: ConnEvent): void {
    this.write(e, formatEvent(e));
    const detail = formatDetail(e);
    if (detail) this.write(e, detail);
  }

  private write(e: ConnEvent, line: string): void {
    this.o.stderr?.(`dk inetd: ${line}`);
    const dest = e.svc.log;
    if (dest?.type === 'file') {
      try {
        fs.appendFileSync(dest.path, `${fileStamp(new Date())}: ${line}\n`);
      } catch {
        // an unwritable log file must not stop the service
      }
      return;
    }
    const facility = dest?.type === 'syslog' ? (facilityCode(dest.facility) ?? 3) << 3 : LOG_DAEMON;
    const level = dest?.type === 'syslog' ? (severityCode(dest.level) ?? 6) : e.kind === 'fail' ? 4 : 6;
    let c = this.clients.get(this.o.syslogPath);
    if (!c) this.clients.set(this.o.syslogPath, (c = new SyslogClient({ path: this.o.syslogPath, ident: 'dk-inetd', option: LOG_PID, facility: LOG_DAEMON })));
    c.syslog(facility | level, line);
  }

  close(): void {
    for (const c of this.clients.values()) c.closelog();
  }
}
