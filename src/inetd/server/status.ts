/** dk inetd's status: per service, where it listens, who it serves now, and what it turned away. */

/** A connection being served (or a wait-mode server running). */
export interface ActiveConnection {
  /** the server's PID; 0 for internal services and redirects, answered in dk inetd itself */
  pid: number;
  /** the client's address (unknown for wait-mode stream services: their server accepts) */
  client?: string;
  /** ISO 8601 */
  since: string;
}

export interface InetdServiceStatus {
  /** xinetd id, or name/protocol */
  id: string;
  protocol: string;
  socketType: string;
  wait: boolean;
  user: string;
  /** "internal echo", "redirect HOST:PORT", or the server and its arguments */
  server: string;
  /** bound addresses (ADDRESS:PORT or a socket path) */
  listeners: string[];
  active: ActiveConnection[];
  /** servers started (or connections answered internally) since dk inetd started */
  started: number;
  /** connections refused, by xinetd's word for the reason (libwrap, address, time, load, service_limit, per_source_limit, connections per second) */
  refused: Record<string, number>;
  /** servers that could not be started (no such program, no such user, a redirect target away) */
  failed: number;
  limits: {
    instances?: number;
    perSource?: number;
    cps?: { perSecond: number; pauseSeconds: number };
    perMinute?: number;
    maxLoad?: number;
    accessTimes?: string[];
    onlyFrom?: string[];
    noAccess?: string[];
  };
  /** file:line of its definition */
  defined: string;
}

export interface InetdStatus {
  config: string;
  /** xinetd or inetd.conf */
  format: 'xinetd' | 'inetd';
  services: InetdServiceStatus[];
  /** connections served now, over all services */
  active: number;
  /** problems of the running configuration, file:line: reason */
  problems: string[];
}

export function summarizeInetd(s: InetdStatus): string {
  const refused = s.services.reduce((n, v) => n + Object.values(v.refused).reduce((a, b) => a + b, 0), 0);
  const started = s.services.reduce((n, v) => n + v.started, 0);
  return `${s.services.length} services, ${s.active} active, ${started} started, ${refused} refused`;
}

export function renderInetdStatus(s: InetdStatus): string {
  const lines = [`dk inetd status: ${summarizeInetd(s)}`];
  for (const v of s.services) {
    const refused = Object.entries(v.refused)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    lines.push(
      `  ${v.id} on ${v.listeners.join(' ')}: ${v.active.length} active, started ${v.started}, refused ${refused || '0'}${v.failed ? `, failed ${v.failed}` : ''}`,
    );
    for (const a of v.active) lines.push(`    pid ${a.pid || '-'} ${a.client ?? ''} since ${a.since}`);
  }
  return lines.join('\n');
}
