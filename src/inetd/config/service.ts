/**
 * One service as both config formats describe it, after parsing: what the
 * super-server listens on and what it does with a connection or datagram.
 */
export type SocketType = 'stream' | 'dgram' | 'raw' | 'seqpacket';

export interface ServiceConfig {
  /** service name as written (a /etc/services name, a port, or "addr:name") */
  name: string;
  /** xinetd "id", else name/protocol: unique within a configuration */
  id: string;
  socketType: SocketType;
  /** tcp, udp, tcp6, udp6, tcp46, udp46, unix */
  protocol: string;
  /** listening address (inetd "addr:service", xinetd bind/interface) */
  bind?: string;
  port?: number;
  /** unix: the socket path */
  path?: string;
  wait: boolean;
  /** nowait.max: spawns per minute (inetd) */
  maxPerMinute?: number;
  user: string;
  group?: string;
  /** an internal service (echo, discard, daytime, chargen, time) */
  internal?: string;
  server?: string;
  /** argv of the server, argv[0] included */
  args: string[];
  disabled: boolean;
  /** xinetd: also not looked up in /etc/services */
  unlisted?: boolean;
  instances?: number;
  perSource?: number;
  /** connections per second per source, and the pause when it is exceeded (xinetd cps) */
  cps?: [number, number];
  maxLoad?: number;
  onlyFrom?: string[];
  noAccess?: string[];
  accessTimes?: string[];
  log?: { type: 'syslog'; facility: string; level: string } | { type: 'file'; path: string };
  logOnSuccess?: string[];
  logOnFailure?: string[];
  redirect?: { host: string; port: number };
  env?: string[];
  passenv?: string[];
  nice?: number;
  umask?: number;
  /** printed on every connection, on accepted ones, on refused ones (xinetd banner*) */
  banner?: string;
  bannerSuccess?: string;
  bannerFail?: string;
  /** xinetd flags (upper case); LISTEN_FDS also passes the socket as fd 3 */
  flags?: string[];
  rlimitAs?: number;
  rlimitCpu?: number;
  /** where it was defined, for messages */
  file: string;
  line: number;
}

export interface ConfigProblem {
  file: string;
  line: number;
  reason: string;
}

export const formatProblem = (p: ConfigProblem): string => `${p.file}:${p.line}: ${p.reason}`;

export const INTERNAL_SERVICES = ['echo', 'discard', 'daytime', 'chargen', 'time'];

/** xinetd adds two of its own: the running servers and the configured services */
export const XINETD_INTERNAL = [...INTERNAL_SERVICES, 'servers', 'services'];
