/** `dk logs` arguments (journalctl's names where it has them), parsed without I/O. */
import { facilityCode, severityCode } from '../syslog/protocol/pri.js';
import type { LogFilter } from '../logstore/query.js';
import { parseTimeSpec } from './time.js';

export type OutputMode = 'short' | 'short-iso' | 'json' | 'rfc5424' | 'cat';
const MODES: OutputMode[] = ['short', 'short-iso', 'json', 'rfc5424', 'cat'];

export interface LogsOptions {
  db: string;
  follow: boolean;
  /** the last N (journalctl -n); undefined: everything that matches */
  lines?: number;
  reverse: boolean;
  output: OutputMode;
  grep?: RegExp;
  pager: boolean;
  filter: LogFilter;
}

export class LogsUsageError extends Error {}

const fail = (arg: string, why: string): never => {
  throw new LogsUsageError(`${arg}: ${why}`);
};

/** "err" -> 0..3; "3" -> 0..3; "info..err" or "3..6" -> that range, either order. */
export function parsePriority(s: string): number[] {
  const level = (x: string): number => {
    const n = /^\d$/.test(x) ? Number(x) : severityCode(x);
    if (n === undefined || n > 7) fail('-p', `unknown level '${x}' (emerg alert crit err warning notice info debug, or 0-7)`);
    return n!;
  };
  const range = s.split('..');
  if (range.length > 2) fail('-p', `cannot read '${s}' as a level or FROM..TO`);
  const [a, b] = range.length === 2 ? [level(range[0]), level(range[1])] : [0, level(s)];
  const out: number[] = [];
  for (let i = Math.min(a, b); i <= Math.max(a, b); i++) out.push(i);
  return out;
}

export function parseLogsArgs(argv: string[], now: number, defaultDb: string): LogsOptions {
  const o: LogsOptions = { db: defaultDb, follow: false, reverse: false, output: 'short', pager: true, filter: {} };
  const list = (key: 'apps' | 'hosts' | 'pids', v: string) => (o.filter[key] = [...(o.filter[key] ?? []), ...v.split(',')]);
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const v = (): string => {
      if (inline !== undefined) return inline;
      const x = argv[++i];
      if (x === undefined) fail(a, 'needs a value');
      return x;
    };
    switch (a) {
      case '--db':
        o.db = v();
        break;
      case '-f':
      case '--follow':
        o.follow = true;
        break;
      case '-n':
      case '--lines': {
        // journalctl: -n alone means 10
        const next = inline ?? argv[i + 1];
        if (next !== undefined && /^\d+$/.test(next)) {
          o.lines = Number(next);
          if (inline === undefined) i++;
        } else if (inline !== undefined) fail(a, `'${inline}' is not a number of lines`);
        else o.lines = 10;
        break;
      }
      case '-r':
      case '--reverse':
        o.reverse = true;
        break;
      case '-S':
      case '--since': {
        const t = v();
        o.filter.since = parseTimeSpec(t, now) ?? fail('--since', `cannot read '${t}' as a time (like 2026-11-25 13:00, -1h, yesterday)`);
        break;
      }
      case '-U':
      case '--until': {
        const t = v();
        o.filter.until = parseTimeSpec(t, now) ?? fail('--until', `cannot read '${t}' as a time (like 2026-11-25 13:00, -1h, yesterday)`);
        break;
      }
      case '-p':
      case '--priority':
        o.filter.severities = parsePriority(v());
        break;
      case '--facility': {
        const fs = v()
          .split(',')
          .map((x) => facilityCode(x) ?? (/^\d+$/.test(x) ? Number(x) : fail('--facility', `unknown facility '${x}'`)));
        o.filter.facilities = [...(o.filter.facilities ?? []), ...fs];
        break;
      }
      case '-t':
      case '--identifier':
        list('apps', v());
        break;
      case '-H':
      case '--host':
        list('hosts', v());
        break;
      case '--pid': {
        const p = v();
        if (!/^\d+(,\d+)*$/.test(p)) fail('--pid', `'${p}' is not a process id`);
        list('pids', p);
        break;
      }
      case '-g':
      case '--grep': {
        const g = v();
        try {
          // journalctl's smart case: a pattern without capitals matches either case
          o.grep = new RegExp(g, g === g.toLowerCase() ? 'i' : '');
        } catch (e) {
          fail('--grep', `bad regular expression: ${(e as Error).message}`);
        }
        break;
      }
      case '-o':
      case '--output': {
        const m = v();
        if (!MODES.includes(m as OutputMode)) fail('--output', `unknown format '${m}' (${MODES.join(', ')})`);
        o.output = m as OutputMode;
        break;
      }
      case '--no-pager':
        o.pager = false;
        break;
      default:
        fail(a, 'unknown option');
    }
  }
  if (o.filter.since !== undefined && o.filter.until !== undefined && o.filter.since > o.filter.until) fail('--since', 'is later than --until');
  return o;
}
