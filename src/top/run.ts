/**
 * dk top: batch frames compatible with procps-ng top -b (the first frame
 * against the priming read, as procps does), --json per frame, and the
 * interactive screen on a terminal.
 */
import { nameCache } from '../proc/users.js';
import { UNITS } from './format.js';
import { runInteractive } from './interactive.js';
import { Session, SORT_FIELDS, type SessionOptions } from './session.js';

export interface TopIO {
  write(s: string): void;
  error(s: string): void;
  env: NodeJS.ProcessEnv;
  tty?: { columns: number; rows: number };
}

export const TOP_HELP = `Usage:
 dk top [-b] [-n N] [-d SECS] [-p PID,...] [-u|-U USER] [-H] [-o [+-]FIELD]
        [-w [COLS]] [-c] [-i] [-1] [-E k|m|g|t|p|e] [-e k|m|g|t|p|e] [--thrash] [--json]

  -b         batch mode (default when not on a terminal)
  -n N       number of frames            -d SECS   delay between frames
  -p PIDS    only these processes        -u USER   effective user (-U: any uid)
  -H         threads                     -o FIELD  sort field (PID, %CPU, %MEM, RES, TIME+ ...)
  -c         command lines               -i        hide idle tasks
  -S         cumulative time (dead children's too)
  -1         one %Cpu line per CPU       -E/-e     summary / task memory unit
  -w [COLS]  output width                --thrash  paging line: swap in/out, major faults, kswapd
  --json     one JSON document per frame

Keys on the screen: P M T N sort, < > move the sort column, R reverse, k kill,
r renice, H threads, V forest, c command line, u user, o filter, = clear filters,
1 per-CPU, i idle, d or s delay, t paging line, q quit.
`;

export class TopError extends Error {}

interface TopOptions extends SessionOptions {
  batch: boolean;
  iterations: number;
  delay: number;
  user?: string;
  width?: number;
  json: boolean;
}

function parse(argv: string[]): TopOptions {
  const o: TopOptions = {
    batch: false,
    iterations: Infinity,
    delay: 3,
    anyUid: false,
    threads: false,
    sort: { field: '%CPU', ascending: false },
    cmdline: false,
    idle: true,
    perCpu: false,
    summaryUnit: 'm',
    taskUnit: 'k',
    thrash: false,
    json: false,
    forest: false,
    filters: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') {
      o.json = true;
      continue;
    }
    if (a === '--thrash') {
      o.thrash = true;
      continue;
    }
    if (!a.startsWith('-') || a.length < 2) throw new TopError(`unknown argument '${a}'`);
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      const rest = a.slice(j + 1);
      const value = (): string => {
        if (rest) return rest;
        const v = argv[++i];
        if (v === undefined) throw new TopError(`option requires an argument -- '${c}'`);
        return v;
      };
      switch (c) {
        case 'b':
          o.batch = true;
          continue;
        case 'c':
          o.cmdline = true;
          continue;
        case 'H':
          o.threads = true;
          continue;
        case 'i':
          o.idle = false;
          continue;
        case 'S':
          o.cumulative = true;
          continue;
        case '1':
          o.perCpu = true;
          continue;
        case 'n': {
          const v = value();
          if (!/^\d+$/.test(v) || Number(v) < 1) throw new TopError(`bad iterations argument '${v}'`);
          o.iterations = Number(v);
          break;
        }
        case 'd': {
          const v = value();
          const n = Number(v.replace(',', '.'));
          if (!Number.isFinite(n) || n < 0) throw new TopError(`bad delay interval '${v}'`);
          o.delay = n;
          break;
        }
        case 'p': {
          if (o.user !== undefined) throw new TopError('conflicting process selections (U/p/u)');
          const v = value();
          const pids = v.split(',').map(Number);
          if (pids.some((p) => !Number.isInteger(p) || p < 0)) throw new TopError(`bad pid '${v}'`);
          o.pids = [...(o.pids ?? []), ...pids];
          break;
        }
        case 'u':
        case 'U':
          if (o.pids || o.user !== undefined) throw new TopError('conflicting process selections (U/p/u)');
          o.user = value();
          o.anyUid = c === 'U';
          break;
        case 'o': {
          const v = value();
          const ascending = v.startsWith('-');
          const field = v.replace(/^[+-]/, '').toUpperCase();
          if (!SORT_FIELDS.includes(field) && field !== 'TIME') throw new TopError(`unrecognized field name '${v}'`);
          o.sort = { field, ascending };
          break;
        }
        case 'w': {
          const v = rest || (argv[i + 1] && /^\d+$/.test(argv[i + 1]) ? argv[++i] : '');
          o.width = v ? Number(v) : 512;
          if (!Number.isInteger(o.width) || o.width < 1) throw new TopError(`bad width arg '${v}'`);
          break;
        }
        case 'E':
        case 'e': {
          const v = value().toLowerCase();
          if (!UNITS.includes(v)) throw new TopError(`bad memory scaling arg '${v}'`);
          if (c === 'E') o.summaryUnit = v;
          else o.taskUnit = v;
          break;
        }
        default:
          throw new TopError(`invalid option -- '${c}'`);
      }
      break;
    }
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runTop(argv: string[], io: TopIO): Promise<number> {
  let o: TopOptions;
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.write(TOP_HELP);
      return 0;
    }
    o = parse(argv);
  } catch (e) {
    if (!(e instanceof TopError)) throw e;
    io.error(`dk top: ${e.message}\n`);
    return 1;
  }
  if (o.user !== undefined) {
    o.uid = /^\d+$/.test(o.user) ? Number(o.user) : nameCache('/etc').uidOf(o.user);
    if (o.uid === undefined) {
      io.error('dk top: Invalid user\n');
      return 1;
    }
  }
  if (!o.batch && !o.json && io.tty) return runInteractive(o, o.delay, o.iterations);

  const width = o.width ?? (io.env.COLUMNS && Number(io.env.COLUMNS) > 0 ? Number(io.env.COLUMNS) : (io.tty?.columns ?? 80));
  const session = new Session(o);
  for (let frame = 0; frame < o.iterations; frame++) {
    if (frame > 0) await sleep(o.delay * 1000);
    const f = session.next();
    if (o.json) {
      io.write(`${session.json(f)}\n`);
      continue;
    }
    const lines = [...(frame > 0 ? [''] : []), ...session.summary(f, width), '', session.header(f, width), ...session.rows(f, width)];
    io.write(`${lines.join('\n')}\n`);
  }
  return 0;
}
