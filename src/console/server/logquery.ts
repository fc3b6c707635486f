/**
 * The Logs page's filters, journalctl's, from a query string: unit or tag,
 * priority range, facility, host, time window, regex, and the page (before
 * an id). Pure: bad input is an error text for a 400, never a throw later.
 */
import type { LogFilter } from '../../logstore/query.js';
import { facilityCode, severityCode } from '../../syslog/protocol/pri.js';

export interface LogQuery {
  filter: LogFilter;
  grep?: RegExp;
}

const MAX_LIMIT = 1000;

/** "err", "3", "warning..err" (a range, journalctl -p's way), "0..4" */
function priorities(text: string): number[] | string {
  const level = (s: string) => (/^[0-7]$/.test(s) ? Number(s) : severityCode(s.toLowerCase()));
  const [a, b] = text.split('..');
  const from = level(a);
  const to = b === undefined ? from : level(b);
  if (from === undefined || to === undefined) return `unknown priority '${text}' (emerg..debug or 0..7)`;
  // a single level means "this and more urgent", as journalctl -p
  const [lo, hi] = b === undefined ? [0, from] : [Math.min(from, to), Math.max(from, to)];
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

export function parseLogQuery(q: Record<string, string | undefined>): LogQuery | string {
  const filter: LogFilter = { newestFirst: true };
  const list = (s: string | undefined) =>
    s
      ? s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : undefined;
  const units = list(q.unit);
  if (units) filter.apps = units.map((u) => u.replace(/\.service$/, ''));
  const tags = list(q.tag);
  if (tags) filter.apps = [...(filter.apps ?? []), ...tags];
  if (q.priority) {
    const p = priorities(q.priority);
    if (typeof p === 'string') return p;
    filter.severities = p;
  }
  const facs = list(q.facility);
  if (facs) {
    const codes = facs.map((f) => facilityCode(f.toLowerCase()));
    const bad = facs.find((_, i) => codes[i] === undefined);
    if (bad !== undefined) return `unknown facility '${bad}'`;
    filter.facilities = codes as number[];
  }
  const hosts = list(q.host);
  if (hosts) filter.hosts = hosts;
  for (const k of ['since', 'until'] as const) {
    if (!q[k]) continue;
    const t = /^\d+$/.test(q[k]!) ? Number(q[k]) : Date.parse(q[k]!);
    if (!Number.isFinite(t)) return `${k}: cannot read '${q[k]}' as a time`;
    filter[k] = t;
  }
  if (q.before) {
    const m = /^(\d+):(\d+)$/.exec(q.before);
    if (!m) return `before: '${q.before}' is not a RECEIVED:ID cursor (the 'next' of the page before)`;
    filter.before = { received: Number(m[1]), id: Number(m[2]) };
  }
  const limit = q.limit ? Number(q.limit) : 200;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return `limit: a number from 1 to ${MAX_LIMIT}`;
  filter.limit = limit;
  let grep: RegExp | undefined;
  if (q.grep) {
    if (q.grep.length > 500) return 'grep: the pattern is too long';
    try {
      grep = new RegExp(q.grep, 'i');
    } catch (e) {
      return `grep: ${(e as Error).message}`;
    }
  }
  return { filter, grep };
}
