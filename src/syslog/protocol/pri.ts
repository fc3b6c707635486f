/** Facility and severity names and numbers (RFC 5424 6.2.1, syslog.h). */

export const FACILITIES: readonly string[] = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];

export const SEVERITIES: readonly string[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** Other names syslog.conf and logger accept. */
const FACILITY_ALIASES: Record<string, number> = { security: 4, mark: 24 };
const SEVERITY_ALIASES: Record<string, number> = { panic: 0, error: 3, warn: 4 };

export function facilityCode(name: string): number | undefined {
  const n = name.toLowerCase();
  if (n in FACILITY_ALIASES) return FACILITY_ALIASES[n];
  const i = FACILITIES.indexOf(n);
  return i < 0 ? undefined : i;
}

export function severityCode(name: string): number | undefined {
  const n = name.toLowerCase();
  if (n in SEVERITY_ALIASES) return SEVERITY_ALIASES[n];
  const i = SEVERITIES.indexOf(n);
  return i < 0 ? undefined : i;
}

/** "<PRI>" value: facility * 8 + severity. */
export const pri = (facility: number, severity: number): number => facility * 8 + severity;
