/**
 * dk status [NAME|SOCKET...] [--json] [--state-dir DIR]... [-n LINES] [--db FILE]
 * dk status syslogd --route FACILITY.LEVEL [--tag T] [-v]
 *
 * What runs, as systemctl status tells it: every dk daemon found through
 * its control socket, its process figures, its own key figures and its
 * last log lines from the log store. --json prints the status objects as
 * the daemons gave them.
 */
import { resolve } from 'node:path';
import { ask } from '../daemon/control.js';
import type { DaemonStatus } from '../daemon/runtime.js';
import { collect, openReader, type LogReader } from '../logstore/reader.js';
import type { LogRecord } from '../logstore/record.js';
import { formatRecord } from '../logs/format.js';
import { formatRoute, type Route } from '../syslog/config/route.js';
import type { SyslogdStatus } from '../syslog/server/status.js';
import { askStatus, controlSockets, named, type Found } from './discover.js';
import { formatStatus } from './format.js';

export const STATUS_HELP = `Usage: dk status [NAME|SOCKET...] [--json] [--state-dir DIR]... [-n LINES] [--db FILE]
       dk status syslogd --route FACILITY.LEVEL [--tag T] [-v]

  Shows every running dk daemon (syslogd, inetd, rpcbind, init, update) found
  through its control socket: in /run/dk, the user's run directory, or the
  state directories given (DIR/control.sock and DIR/*/control.sock).
  NAME picks daemons by name (syslogd or dk-syslogd); SOCKET asks that socket.
  --json       the status objects as the daemons give them (an array)
  -n LINES     log lines shown per daemon (default 5; from --db, or the SQLite
               store of a running dk syslogd)
  --route P    where a message of facility.level P ends up under the running
               dk syslogd's configuration, rule by rule (-v: every rule)
Exit status: 0 when every daemon asked for answered, 3 when one is not running.
`;

export interface StatusIO {
  write(s: string): void;
  error(s: string): void;
}

interface Options {
  targets: string[];
  json: boolean;
  stateDirs: string[];
  lines: number;
  db?: string;
  route?: string;
  verbose: boolean;
}

function parse(argv: string[]): Options | string {
  const o: Options = { targets: [], json: false, stateDirs: [], lines: 5, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    try {
      if (a === '--json') o.json = true;
      else if (a === '--state-dir') o.stateDirs.push(resolve(v()));
      else if (a === '-n' || a === '--lines') {
        o.lines = Number(v());
        if (!Number.isInteger(o.lines) || o.lines < 0) return `${a} takes a number of lines`;
      } else if (a === '--db') o.db = v();
      else if (a === '--route') o.route = v();
      else if (a === '--tag') v();
      else if (a === '-v') o.verbose = true;
      else if (a.startsWith('-')) return `unknown option '${a}' (see 'dk status --help')`;
      else o.targets.push(a);
    } catch (e) {
      return (e as Error).message;
    }
  }
  return o;
}

export async function runStatus(argv: string[], io: StatusIO): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.write(STATUS_HELP);
    return 0;
  }
  const o = parse(argv);
  if (typeof o === 'string') {
    io.error(`dk status: ${o}\n`);
    return 1;
  }
  const sockets = o.targets.filter((t) => t.includes('/'));
  const names = o.targets.filter((t) => !t.includes('/'));
  const everywhere = controlSockets(o.stateDirs);
  const found: Found[] = await Promise.all(
    [...new Set([...sockets.map((s) => resolve(s)), ...(names.length || !sockets.length ? everywhere : [])])].map((s) => askStatus(s)),
  );
  const running = found.filter((f): f is Found & { status: DaemonStatus } => !!f.status);
  let code = 0;
  for (const f of found) {
    if (f.error && (sockets.includes(f.socket) || !o.targets.length)) {
      io.error(`dk status: ${f.socket}: ${f.error}\n`);
      code = 3;
    }
  }
  const chosen = running.filter((f) => !names.length || names.some((n) => named(f.status, n)) || sockets.some((s) => resolve(s) === f.socket));
  for (const n of names) {
    if (!running.some((f) => named(f.status, n))) {
      io.error(
        `dk status: no dk ${n.replace(/^dk-/, '')} answers (looked in ${everywhere.length ? everywhere.join(', ') : o.stateDirs.join(', ') || 'the run directories'})\n`,
      );
      code = 3;
    }
  }
  if (!o.targets.length && !chosen.length && !found.length) {
    io.error(`dk status: no dk daemon found${o.stateDirs.length ? ` in ${o.stateDirs.join(', ')}` : ''}\n`);
    return 3;
  }

  if (o.route !== undefined) return route(chosen, o, io);

  if (o.json) {
    io.write(
      `${JSON.stringify(
        chosen.map((f) => f.status),
        null,
        2,
      )}\n`,
    );
    return code;
  }
  const db =
    o.db ??
    running.map((f) => f.status).find((s): s is DaemonStatus<SyslogdStatus> => s.name === 'syslogd' && (s.detail as SyslogdStatus).stores?.length > 0)?.detail
      .stores[0];
  const logs =
    o.lines > 0 && db
      ? await lastLines(
          db,
          chosen.map((f) => f.status),
          o.lines,
          io,
        )
      : new Map<number, string[]>();
  io.write(chosen.map((f) => formatStatus(f.status, logs.get(f.status.pid))).join('\n'));
  return code;
}

/** The last lines each daemon logged: by its PID, or by its name as tag (what dk init tags its services' output with). */
async function lastLines(db: string, daemons: DaemonStatus[], n: number, io: StatusIO): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  let store: LogReader;
  try {
    store = await openReader(db);
  } catch (e) {
    io.error(`dk status: log store: ${(e as Error).message}\n`);
    return out;
  }
  try {
    for (const d of daemons) {
      const byPid = await collect(store.select({ pids: [String(d.pid)], newestFirst: true, limit: n }));
      const byTag = await collect(store.select({ apps: [d.name, d.comm], newestFirst: true, limit: n }));
      const rows = new Map<number, LogRecord>();
      for (const r of [...byPid, ...byTag]) rows.set(r.id ?? 0, r);
      const newest = [...rows.values()].sort((a, b) => (a.id ?? 0) - (b.id ?? 0)).slice(-n);
      out.set(
        d.pid,
        newest.map((r) => formatRecord(r, 'short')),
      );
    }
  } finally {
    await store.close();
  }
  return out;
}

async function route(chosen: (Found & { status: DaemonStatus })[], o: Options, io: StatusIO): Promise<number> {
  const syslogds = chosen.filter((f) => f.status.name === 'syslogd');
  if (!syslogds.length) {
    io.error('dk status: --route needs a running dk syslogd (or: dk syslogd --route P -f CONF)\n');
    return 3;
  }
  for (const f of syslogds) {
    const r = await ask(f.socket, { cmd: 'route', priority: o.route });
    if (typeof r.error === 'string') {
      io.error(`dk status: ${r.error}\n`);
      return 1;
    }
    if (o.json) io.write(`${JSON.stringify(r, null, 2)}\n`);
    else io.write(`${syslogds.length > 1 ? `${f.socket}: ` : ''}${formatRoute(r as unknown as Route, o.verbose)}`);
  }
  return 0;
}
