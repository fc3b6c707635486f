/**
 * dk syslogd's status: what its inputs took, what each action did with
 * it, and whether the inputs are held back. Read through the control
 * socket (dk status, the console); USR1 writes the text rendering below.
 */
import type { Action } from '../config/conf.js';
import type { Failure } from './failure.js';
import type { Rates } from '../../daemon/rate.js';

export interface InputStatus {
  kind: 'unix' | 'udp' | 'tcp' | 'tls' | 'kernel';
  /** the socket path, or ADDRESS:PORT as bound */
  address: string;
  /** messages received */
  messages: number;
  bytes: number;
  /** messages cut at --max-size, and socket errors */
  errors: number;
  /** UDP: datagrams the kernel dropped because the receive buffer was full (/proc/net/udp) */
  kernelDrops?: number;
  /** UDP: the kernel's receive buffer for the socket, bytes (8 MiB asked, past rmem_max when root) */
  recvBuffer?: number;
  /** TCP and TLS: connections open now */
  connections?: number;
  /** TCP and TLS: connections refused because their source held --tcp-per-source already */
  refused?: number;
  /** TCP and TLS: connections closed because a frame did not end within --tcp-frame-timeout */
  cut?: number;
}

export interface ActionStatus {
  /** as syslog.conf writes it (passwords left out) */
  action: string;
  kind: Action['kind'];
  /** file:line of every rule that feeds it */
  rules: string[];
  /** messages written (forwarders to a dk syslogd: acknowledged by it) */
  written: number;
  /** messages given up (an unwritable file, a full queue) */
  dropped: number;
  /** messages waiting in memory or on disk, for forwarders and stores */
  queued?: number;
  /** bytes of the disk queue */
  diskBytes?: number;
  /** parts of disk-queue segments found damaged at start (kept aside as NAME.bad in the queue directory) */
  damaged?: number;
  /** failed deliveries tried again */
  retries?: number;
  /** messages the peer acknowledged as written (forwarding to a dk syslogd) */
  acknowledged?: number;
  lastError?: Failure;
}

export interface SyslogdStatus {
  config: string;
  /** messages received by every input together */
  received: number;
  /** messages per second received */
  rate: Rates;
  inputs: InputStatus[];
  actions: ActionStatus[];
  /** the inputs stop being read while an action holds more than 4 MiB it cannot hand on */
  flowControl: { paused: boolean; pauses: number; backlogBytes: number };
  /** SQLite databases written */
  stores: string[];
  memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; arrayBuffersBytes: number };
}

const mib = (n: number) => (n / 1048576).toFixed(1);

/** The text of SIGUSR1 (one line per input and per action). */
export function renderSyslogdStatus(s: SyslogdStatus): string {
  const lines = ['dk syslogd statistics:'];
  for (const i of s.inputs) {
    lines.push(
      `  input ${i.kind}:${i.address}: received ${i.messages}, ${i.bytes} bytes${i.errors ? `, ${i.errors} errors` : ''}${i.connections !== undefined ? `, ${i.connections} connections` : ''}${i.kernelDrops !== undefined ? `, kernel dropped ${i.kernelDrops}` : ''}${i.recvBuffer !== undefined ? `, receive buffer ${(i.recvBuffer / 1048576).toFixed(1)} MiB` : ''}`,
    );
  }
  lines.push(`  rate: ${s.rate.last1s.toFixed(0)}/s last second, ${s.rate.last10s.toFixed(0)}/s last 10 s, ${s.rate.last60s.toFixed(0)}/s last minute`);
  lines.push(
    `  memory: rss ${mib(s.memory.rssBytes)} MiB, heap ${mib(s.memory.heapUsedBytes)}/${mib(s.memory.heapTotalBytes)} MiB, buffers ${mib(s.memory.arrayBuffersBytes)} MiB`,
  );
  lines.push(`  flow control: inputs paused ${s.flowControl.pauses} times${s.flowControl.paused ? ' (paused now)' : ''}`);
  for (const a of s.actions) {
    lines.push(
      `  action ${a.action}: written ${a.written}, dropped ${a.dropped}${a.queued !== undefined ? `, queued ${a.queued}` : ''}${a.diskBytes !== undefined ? `, on disk ${a.diskBytes} bytes` : ''}${a.damaged ? `, damaged ${a.damaged}` : ''}${a.retries !== undefined ? `, retries ${a.retries}` : ''}${a.acknowledged !== undefined ? `, acknowledged ${a.acknowledged}` : ''}${a.lastError ? `, last error ${a.lastError.message}` : ''}`,
    );
  }
  return lines.join('\n');
}

export function summarizeSyslogd(s: SyslogdStatus): string {
  const waiting = s.actions.reduce((n, a) => n + (a.queued ?? 0), 0);
  return `${s.inputs.length} inputs, ${s.actions.length} actions, ${s.received} messages (${s.rate.last10s.toFixed(0)}/s)${waiting ? `, ${waiting} queued` : ''}${s.flowControl.paused ? ', inputs paused' : ''}`;
}
