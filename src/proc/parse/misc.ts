/** Small /proc file parsers: cmdline, environ, statm, cgroup, uptime, btime, wchan. */

/**
 * Splits a NUL-separated argument vector. A trailing NUL terminates the last
 * argument; a program that rewrote its argv (sendmail, sshd) may have used
 * spaces instead, which then stay inside one element, as the kernel gives them.
 */
export function splitNul(text: string): string[] {
  if (text === '') return [];
  const end = text.endsWith('\0') ? text.length - 1 : text.length;
  return text.slice(0, end).split('\0');
}

export interface Statm {
  /** all in pages */
  size: number;
  resident: number;
  shared: number;
  text: number;
  data: number;
}

export function parseStatm(text: string): Statm | undefined {
  const p = text.trim().split(/\s+/).map(Number);
  if (p.length < 6 || p.some((x) => !Number.isFinite(x))) return undefined;
  return { size: p[0], resident: p[1], shared: p[2], text: p[3], data: p[5] };
}

/** cgroup v2 line "0::/path", or the v1 lines joined as procps joins them. */
/** The lines that name a cgroup below a hierarchy's root, joined by ',' as procps shows them; undefined when every one is a root. */
export function parseCgroup(text: string): string | undefined {
  const lines = text.split('\n').filter((l) => l !== '' && !l.endsWith('/'));
  return lines.length ? lines.join(',') : undefined;
}

/** First field of /proc/uptime, in seconds. */
export function parseUptime(text: string): number {
  const v = parseFloat(text);
  return Number.isFinite(v) ? v : 0;
}

/** The btime line of /proc/stat: boot time in seconds since the epoch. */
export function parseBootTime(text: string): number | undefined {
  const m = /^btime\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** MemTotal from /proc/meminfo, kB. */
export function parseMemTotal(text: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * /proc/PID/wchan holds a symbol name, or "0" when the task is running or the
 * kernel hides addresses. procps shows "-" for "0" and strips leading
 * underscores (and ppc64's leading dot).
 */
export function normalizeWchan(text: string): string {
  if (text === '') return '?';
  if (text === '0') return '-';
  let s = text;
  if (s.startsWith('.')) s = s.slice(1);
  s = s.replace(/^_+/, '');
  return s;
}
