/**
 * dk syslogd: options as sysklogd/rsyslogd users know them, --check, signals.
 */
import * as path from 'node:path';
import { ask } from '../daemon/control.js';
import { defaultControl } from '../daemon/paths.js';
import { absolutePaths, runDaemon, type DaemonCore, type DaemonStatus } from '../daemon/runtime.js';
import { formatError, loadConfig, type Listener } from './config/conf.js';
import { formatRoute, parsePriority, route } from './config/route.js';
import { DEFAULT_MAX_MESSAGE } from './protocol/parse.js';
import { FACILITIES, SEVERITIES } from './protocol/pri.js';
import { Syslogd, type InheritedInput } from './server/syslogd.js';
import { setOpener } from './server/outputs.js';
import { PRIVSEP_ENV, runMonitor, type PrivsepHandoff } from './privsep/monitor.js';
import { monitorOpener } from './privsep/opener.js';
import { dieWithParent } from '../sys/process.js';
import { renderSyslogdStatus, summarizeSyslogd, type SyslogdStatus } from './server/status.js';

export interface SyslogdIO {
  write(s: string): void;
  error(s: string): void;
}

export const SYSLOGD_HELP = `Usage: dk syslogd [-n] [-f FILE] [-p SOCKET] [-a SOCKET]... [--udp [ADDR:]PORT]... [--tcp [ADDR:]PORT]...
                  [-r] [-m MINUTES] [--kernel] [--max-size BYTES] [--pidfile FILE] [--no-local] [--check]
                  [--db FILE] [--state-dir DIR] [--db-keep-days N] [--db-max-size SIZE]
                  [--tls [ADDR:]PORT] [--tls-cert FILE] [--tls-key FILE] [--tls-ca FILE] [--control SOCK] [--stats]
                  [--route FACILITY.LEVEL [-v]]

  -f FILE        configuration (default /etc/syslog.conf)
  -p SOCKET      the local log socket (default /dev/log);  -a SOCKET  one more
  --udp/--tcp    listen there (IPv4 or [IPv6]); -r: UDP on port 514
  --tcp-frame-timeout S   a TCP/TLS message begun must end within S seconds, or the connection
                 is closed (default 30; 0: no limit); quiet connections between messages stay
  --tcp-per-source N      connections one address may hold on a TCP/TLS input (default 256)
  -n             stay in the foreground (otherwise: detach, --pidfile)
  -m MINUTES     write "-- MARK --" that often
  --check        validate the configuration: file:line:col: reason, exit 1 on errors
  --db FILE      store every message in this SQLite database (also: ':sqlite:FILE' actions)
  --state-dir D  where ':sqlite:' without a file keeps its database (D/logs.db)
  --db-keep-days N, --db-max-size SIZE   retention of the stores, applied every minute
  --db-batch N, --db-delay MS   a SQLite transaction per N messages (1000) or MS ms (100)
  --tls [ADDR:]PORT   RFC 5425 listener (--tls-cert FILE --tls-key FILE; --tls-ca FILE: clients
                 must show a certificate it signed); @@(tls)host:port actions check the server
                 against --tls-ca (or the system CAs) and show --tls-cert/--tls-key if asked
  --queue-mem SIZE, --queue-max SIZE   forwarding queues: memory before spilling to STATE-DIR
                 (8M), total bound (1G; 16M without --state-dir)
  --user USER    privilege separation (started as root): this process stays root only to bind
                 the sockets and to open the files, ttys and pipes the configuration names;
                 the daemon, which reads and parses, runs as USER (as OpenBSD's syslogd)
  --hold-max SIZE   what a file or store action keeps in memory while its disk refuses writes
                 (full, quota, I/O error, database locked or damaged; 64M): tried again every
                 second; at 3/4 of it TCP and the local socket wait, past it UDP is dropped
  --control SOCK the control socket (default STATE-DIR/control.sock, else /run/dk/syslogd.sock
                 as root); --stats asks it (dk status syslogd shows more)
  --route FACILITY.LEVEL [-v]   which actions of -f FILE take such a message, in order, and
                 the rule that stops it (-v: every rule); --tag T is accepted, but selectors
                 do not look at tags
Signals: HUP re-reads the configuration (one with errors is refused: the running one
stays) and reopens files, TERM writes everything accepted and exits, USR1 writes the
status to stderr.
`;

class UsageError extends Error {}

/** dk syslogd --stats: asks a running daemon through its control socket. */
async function queryStats(file: string, io: SyslogdIO): Promise<number> {
  try {
    const r = await ask(file, { cmd: 'status' });
    if (typeof r.error === 'string') throw new Error(r.error);
    io.write(`${renderSyslogdStatus((r as unknown as DaemonStatus<SyslogdStatus>).detail)}\n`);
    return 0;
  } catch (e) {
    io.error(`dk syslogd: --stats: ${(e as Error).message}\n`);
    return 1;
  }
}

/** "500M", "2G", "1048576": bytes */
function parseSize(s: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]i?B?)?$/i.exec(s.trim());
  if (!m) throw new UsageError(`${option}: cannot read '${s}' as a size (like 500M or 2G)`);
  const unit = (m[2] ?? '').toUpperCase()[0];
  return Math.round(Number(m[1]) * (unit === 'K' ? 1024 : unit === 'M' ? 1 << 20 : unit === 'G' ? 1 << 30 : 1));
}

function listener(proto: 'udp' | 'tcp' | 'tls', spec: string): Listener {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(spec);
  // port 0 asks the kernel for a free port; the daemon says which on stderr
  if (!m || Number(m[2]) > 65535) throw new UsageError(`bad --${proto} address '${spec}'`);
  return { proto, host: m[1]?.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export async function runSyslogd(argv: string[], io: SyslogdIO): Promise<number> {
  let config = '/etc/syslog.conf';
  let socket = '/dev/log';
  const extra: string[] = [];
  const listeners: Listener[] = [];
  let foreground = false;
  let check = false;
  let pidfile: string | undefined;
  let mark: number | undefined;
  let kernel = false;
  let local = true;
  let maxSize = DEFAULT_MAX_MESSAGE;
  let frameTimeout: number | undefined;
  let perSource: number | undefined;
  let db: string | undefined;
  let stateDir: string | undefined;
  let keepDays: number | undefined;
  let maxDbBytes: number | undefined;
  const tlsFiles: { cert?: string; key?: string; ca?: string } = {};
  let queueMem: number | undefined;
  let dbBatch: number | undefined;
  let dbDelay: number | undefined;
  let queueMax: number | undefined;
  let holdMax: number | undefined;
  let user: string | undefined;
  let control: string | undefined;
  let statsOnly = false;
  let routeOf: string | undefined;
  let verbose = false;
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      const v = (): string => {
        const x = argv[++i];
        if (x === undefined) throw new UsageError(`${a} needs a value`);
        return x;
      };
      switch (a) {
        case '-f':
          config = v();
          break;
        case '-p':
          socket = v();
          break;
        case '-a':
          extra.push(v());
          break;
        case '--udp':
          listeners.push(listener('udp', v()));
          break;
        case '--tcp':
          listeners.push(listener('tcp', v()));
          break;
        case '--tls':
          listeners.push(listener('tls', v()));
          break;
        case '--tls-cert':
          tlsFiles.cert = path.resolve(v());
          break;
        case '--tls-key':
          tlsFiles.key = path.resolve(v());
          break;
        case '--tls-ca':
          tlsFiles.ca = path.resolve(v());
          break;
        case '--control':
          control = path.resolve(v());
          break;
        case '--user':
          user = v();
          break;
        case '--stats':
          statsOnly = true;
          break;
        case '--route':
          routeOf = v();
          break;
        case '--tag':
          v();
          break;
        case '-v':
          verbose = true;
          break;
        case '-r':
          listeners.push({ proto: 'udp', port: 514 });
          break;
        case '-n':
          foreground = true;
          break;
        case '--check':
          check = true;
          break;
        case '--pidfile':
          pidfile = v();
          break;
        case '-m':
          mark = Number(v());
          break;
        case '--kernel':
          kernel = true;
          break;
        case '--no-local':
          local = false;
          break;
        case '--tcp-frame-timeout':
          frameTimeout = Number(v());
          if (!Number.isFinite(frameTimeout) || frameTimeout < 0) throw new UsageError('--tcp-frame-timeout takes seconds (0: no limit)');
          break;
        case '--tcp-per-source':
          perSource = Number(v());
          if (!Number.isInteger(perSource) || perSource < 1) throw new UsageError('--tcp-per-source takes a number of connections, 1 or more');
          break;
        case '--max-size':
          maxSize = Number(v());
          break;
        case '--db':
          db = path.resolve(v());
          break;
        case '--state-dir':
          stateDir = path.resolve(v());
          break;
        case '--db-keep-days':
          keepDays = Number(v());
          if (!(keepDays > 0)) throw new UsageError(`--db-keep-days needs a positive number of days`);
          break;
        case '--db-max-size':
          maxDbBytes = parseSize(v(), a);
          break;
        case '--queue-mem':
          queueMem = parseSize(v(), a);
          break;
        case '--db-batch':
          dbBatch = Number(v());
          if (!Number.isInteger(dbBatch) || dbBatch < 1) throw new UsageError('--db-batch needs a positive number of messages');
          break;
        case '--db-delay':
          dbDelay = Number(v());
          if (!Number.isInteger(dbDelay) || dbDelay < 0) throw new UsageError('--db-delay needs milliseconds');
          break;
        case '--queue-max':
          queueMax = parseSize(v(), a);
          break;
        case '--hold-max':
          holdMax = parseSize(v(), a);
          break;
        case '-h':
        case '--help':
          io.write(SYSLOGD_HELP);
          return 0;
        default:
          throw new UsageError(`unknown option '${a}'`);
      }
    }
    if (!Number.isInteger(maxSize) || maxSize < 64) throw new UsageError('--max-size must be at least 64');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.error(`dk syslogd: ${e.message} (see 'dk syslogd --help')\n`);
    return 1;
  }

  if (routeOf !== undefined) return routeOffline(config, routeOf, verbose, io);
  if (statsOnly) return queryStats(control ?? defaultControl('syslogd', stateDir), io);

  const store = {
    defaultPath: path.join(stateDir ?? '/var/lib/dk-syslogd', 'logs.db'),
    stateDir,
    queueMem,
    queueMax,
    holdMax,
    batch: dbBatch,
    delayMs: dbDelay,
    retention: { maxAgeMs: keepDays !== undefined ? keepDays * 86_400_000 : undefined, maxBytes: maxDbBytes },
  };
  const log = (l: string) => io.error(`${l}\n`);
  const sockets = local ? [socket, ...extra] : extra;
  // --user: in the foreground this process becomes the privileged part, and the daemon its child
  const handoff = process.env[PRIVSEP_ENV];
  if (user && foreground && !handoff && !check) {
    return runMonitor({
      user,
      config,
      sockets,
      listeners,
      argv: ['syslogd', ...absolutePaths(withoutOptions(argv, ['--user', '--pidfile']), PATH_OPTIONS)],
      pidfile: pidfile && path.resolve(pidfile),
      ownDirs: stateDir ? [path.resolve(stateDir)] : [],
      log,
    });
  }
  let inherited: InheritedInput[] | undefined;
  if (handoff) {
    const h = JSON.parse(handoff) as PrivsepHandoff;
    // without its privileged part the daemon could open nothing new: it goes when that part goes
    dieWithParent();
    setOpener(monitorOpener(h.opener));
    inherited = h.inherited;
  }
  const d = new Syslogd({
    inherited,
    tls: tlsFiles,
    db,
    store,
    configPath: config,
    sockets,
    listeners,
    maxSize,
    frameTimeout,
    perSource,
    markMinutes: mark,
    kernel,
    log,
  });
  if (check) {
    const problems = d.check();
    for (const p of problems) io.error(`${p}\n`);
    if (!problems.length) {
      const cfg = loadConfig(config);
      io.write(`${config}: ${cfg.rules.length} rules, ${cfg.files.length} files, OK\n`);
    }
    return problems.length ? 1 : 0;
  }
  return runDaemon(syslogdCore(d, config), {
    foreground,
    foregroundArgv: ['syslogd', ...absolutePaths(argv, PATH_OPTIONS), ...(foreground ? [] : ['-n'])],
    pidfile: pidfile && path.resolve(pidfile),
    control,
    stateDir,
    log,
    error: io.error,
  });
}

/** argv without the given options and their values: what the root part keeps to itself */
function withoutOptions(argv: string[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (names.includes(argv[i])) i++;
    else out.push(argv[i]);
  }
  return out;
}

/** Options of dk syslogd whose value is a path: made absolute before a detached daemon changes to /. */
const PATH_OPTIONS = new Set(['-f', '-p', '-a', '--pidfile', '--db', '--state-dir', '--tls-cert', '--tls-key', '--tls-ca', '--control']);

/** The daemon as the runtime sees it. */
export function syslogdCore(d: Syslogd, config: string): DaemonCore<SyslogdStatus> {
  return {
    name: 'syslogd',
    configPath: config,
    check: () => d.check(),
    start: () => d.start(),
    reload: async () => d.load(true),
    stop: () => d.stop(),
    status: () => d.status(),
    summary: summarizeSyslogd,
    render: renderSyslogdStatus,
    verbs: () => ({
      route: {
        changes: false,
        run: (req) => {
          const p = parsePriority(String(req.priority ?? ''));
          if (typeof p === 'string') throw new Error(p);
          return d.route(p.facility, p.severity);
        },
      },
    }),
  };
}

/** dk syslogd --route FACILITY.LEVEL -f CONF: the same answer without a running daemon. */
function routeOffline(config: string, priority: string, verbose: boolean, io: SyslogdIO): number {
  const p = parsePriority(priority);
  if (typeof p === 'string') {
    io.error(`dk syslogd: --route: ${p}\n`);
    return 1;
  }
  const cfg = loadConfig(config);
  if (!cfg.files.length) {
    io.error(`dk syslogd: cannot read ${config}\n`);
    return 1;
  }
  for (const e of cfg.errors) io.error(`${formatError(e)}\n`);
  io.write(formatRoute(route(cfg.rules, p.facility, p.severity, { facility: FACILITIES[p.facility], level: SEVERITIES[p.severity] }), verbose));
  return 0;
}
