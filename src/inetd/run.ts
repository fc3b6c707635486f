/**
 * dk inetd [-d] [-f] [-p PIDFILE] [--xinetd] [--services FILE]
 *          [--hosts-allow FILE] [--hosts-deny FILE] [--check] [CONFIG]
 * Reads inetd.conf (or xinetd.conf, given --xinetd or when the file looks
 * like one), reports every problem as file:line: reason, serves the rest.
 * SIGHUP reloads (a config that cannot be read keeps the old one running),
 * SIGTERM stops.
 */
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { absolutePaths, runDaemon, type DaemonCore } from '../daemon/runtime.js';
import { parseWrappers, type WrapperRule } from './access/tcpwrappers.js';
import { parseInetdConf } from './config/inetdconf.js';
import { formatProblem, type ConfigProblem, type ServiceConfig } from './config/service.js';
import { parseServices } from './config/services.js';
import { parseXinetd } from './config/xinetd.js';
import { Inetd } from './server/inetd.js';
import { ConnLogger } from './server/connlog.js';
import { renderInetdStatus, summarizeInetd, type InetdStatus } from './server/status.js';

export const INETD_HELP = `Usage: dk inetd [-d] [-f] [-p PIDFILE] [--xinetd] [--services FILE] [--hosts-allow FILE]
                [--hosts-deny FILE] [--listen-fds] [--per-source N] [--grace SECS] [--control SOCK] [--state-dir DIR]
                [--check] [CONFIG]

  CONFIG           inetd.conf (default /etc/inetd.conf), or xinetd.conf with --xinetd
  -f, -d           stay in the foreground (-d: connections logged to stderr too)
  --syslog-socket PATH   where connection logs go (default /dev/log; a dk syslogd's -p socket works)
  --services FILE  service names and ports (default /etc/services)
  --hosts-allow F, --hosts-deny F   TCP wrappers files (default /etc/hosts.allow, /etc/hosts.deny)
  --listen-fds     also give every server its socket as fd 3 with LISTEN_FDS=1, LISTEN_PID
                   (xinetd: flags = LISTEN_FDS per service)
  --ident-port N   where clients' identd is asked for USERID logging (default 113)
  --per-source N   connections one address may hold at once on a service that sets no
                   per_source (default 256; 0: no limit); one more is refused and logged
  --grace SECS     on TERM, how long running servers may finish before they get TERM (default 5)
  --control SOCK   the control socket (default STATE-DIR/control.sock, else /run/dk/inetd.sock as root)
  --check          report each problem as file:line: reason; exit 1 if any
Signals: HUP reloads (unchanged services keep their sockets; a configuration with problems
is refused and the running one stays), TERM stops, USR1 writes the status to stderr.
`;

export interface InetdIO {
  write(s: string): void;
  error(s: string): void;
}

interface Loaded {
  xinetd: boolean;
  services: ServiceConfig[];
  /** accepted, but not acted on: said once, never a reason to refuse */
  warnings: ConfigProblem[];
  problems: ConfigProblem[];
  wrappers: { allow: WrapperRule[]; deny: WrapperRule[] };
}

function load(config: string, xinetd: boolean | undefined, servicesFile: string, allowFile: string, denyFile: string): Loaded | undefined {
  let text: string;
  try {
    text = fs.readFileSync(config, 'utf8');
  } catch {
    return undefined;
  }
  let servicesText = '';
  try {
    servicesText = fs.readFileSync(servicesFile, 'utf8');
  } catch {
    // numeric ports still work
  }
  const table = parseServices(servicesText);
  const isX = xinetd ?? /^\s*(defaults|service\s+\S+|includedir\s)/m.test(text);
  const parsed = isX
    ? parseXinetd(config, { read: (p) => (p === config ? text : readOrUndefined(p)), list: (d) => listOrUndefined(d) }, table)
    : parseInetdConf(text, config, table);
  const wrap = (f: string) => {
    const t = readOrUndefined(f);
    return t === undefined ? { rules: [], problems: [] } : parseWrappers(t, f);
  };
  const allow = wrap(allowFile);
  const deny = wrap(denyFile);
  return {
    xinetd: isX,
    services: parsed.services,
    warnings: isX ? (parsed as ReturnType<typeof parseXinetd>).warnings : [],
    problems: [...parsed.problems, ...allow.problems, ...deny.problems],
    wrappers: { allow: allow.rules, deny: deny.rules },
  };
}

function readOrUndefined(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function listOrUndefined(d: string): string[] | undefined {
  try {
    return fs.readdirSync(d);
  } catch {
    return undefined;
  }
}

export async function runInetd(argv: string[], io: InetdIO): Promise<number> {
  let config = '/etc/inetd.conf';
  let xinetd: boolean | undefined;
  let servicesFile = '/etc/services';
  let allowFile = '/etc/hosts.allow';
  let denyFile = '/etc/hosts.deny';
  let foreground = false;
  let check = false;
  let pidfile: string | undefined;
  let syslogSocket = '/dev/log';
  let debug = false;
  let listenFds = false;
  let graceMs = 5000;
  let identPort: number | undefined;
  let perSource: number | undefined;
  let control: string | undefined;
  let stateDir: string | undefined;
  let configAt = -1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string | undefined => argv[++i];
    switch (a) {
      case '-d':
        foreground = true;
        debug = true;
        break;
      case '-f':
        foreground = true;
        break;
      case '--syslog-socket':
        syslogSocket = v() ?? syslogSocket;
        break;
      case '--xinetd':
        xinetd = true;
        if (config === '/etc/inetd.conf') config = '/etc/xinetd.conf';
        break;
      case '--services':
        servicesFile = v() ?? servicesFile;
        break;
      case '--hosts-allow':
        allowFile = v() ?? allowFile;
        break;
      case '--hosts-deny':
        denyFile = v() ?? denyFile;
        break;
      case '--check':
        check = true;
        break;
      case '--listen-fds':
        listenFds = true;
        break;
      case '--ident-port': {
        const p = Number(v());
        if (!Number.isInteger(p) || p < 1 || p > 65535) {
          io.error(`dk inetd: --ident-port takes a port number, not '${argv[i]}'\n`);
          return 1;
        }
        identPort = p;
        break;
      }
      case '--per-source': {
        const n = Number(v());
        if (!Number.isInteger(n) || n < 0) {
          io.error(`dk inetd: --per-source takes a number of connections (0: no limit), not '${argv[i]}'\n`);
          return 1;
        }
        perSource = n;
        break;
      }
      case '--grace': {
        const g = Number(v());
        if (!(g >= 0)) {
          io.error(`dk inetd: --grace takes seconds, not '${argv[i]}'\n`);
          return 1;
        }
        graceMs = g * 1000;
        break;
      }
      case '-p':
        pidfile = v();
        break;
      case '--control':
        control = v();
        break;
      case '--state-dir':
        stateDir = v();
        break;
      case '-h':
      case '--help':
        io.write(INETD_HELP);
        return 0;
      default:
        if (a.startsWith('-')) {
          io.error(`dk inetd: unknown option '${a}' (see 'dk inetd --help')\n`);
          return 1;
        }
        config = a;
        configAt = i;
    }
  }
  const first = load(config, xinetd, servicesFile, allowFile, denyFile);
  if (!first) {
    io.error(`dk inetd: cannot read ${config}\n`);
    return 1;
  }
  for (const p of [...first.problems, ...first.warnings]) io.error(`dk inetd: ${formatProblem(p)}\n`);
  if (check) {
    if (!first.problems.length) io.write(`${config}: ${first.services.length} services, OK\n`);
    return first.problems.length ? 1 : 0;
  }
  const log = (line: string) => io.error(`${line}\n`);
  let running = first;
  // connections go to syslog (or the services' log files); -d also shows them here
  const events = new ConnLogger({ syslogPath: syslogSocket, stderr: debug ? log : undefined });
  const d = new Inetd({ wrappers: first.wrappers, log, events, listenFds, identPort, perSource });
  const core: DaemonCore<InetdStatus> = {
    name: 'inetd',
    configPath: config,
    check: () => {
      const next = load(config, xinetd, servicesFile, allowFile, denyFile);
      return next ? next.problems.map(formatProblem) : [`cannot read ${config}`];
    },
    start: () => d.apply(first.services),
    async reload() {
      const next = load(config, xinetd, servicesFile, allowFile, denyFile);
      if (!next) return { ok: false, problems: [`cannot read ${config}`] };
      if (next.problems.length) return { ok: false, problems: next.problems.map(formatProblem) };
      for (const w of next.warnings) log(`dk inetd: ${formatProblem(w)}`);
      await d.apply(next.services, next.wrappers);
      running = next;
      return { ok: true, problems: [] };
    },
    async stop(graceMs) {
      await d.stop(graceMs);
      events.close();
    },
    status: () => ({ config, format: running.xinetd ? 'xinetd' : 'inetd', ...d.status(), problems: running.problems.map(formatProblem) }),
    summary: summarizeInetd,
    render: renderInetdStatus,
  };
  const fg = absolutePaths(argv, PATH_OPTIONS).map((x, i) => (i === configAt ? resolve(x) : x));
  return runDaemon(core, {
    foreground,
    foregroundArgv: ['inetd', ...fg, ...(foreground ? [] : ['-f'])],
    pidfile: pidfile && resolve(pidfile),
    control,
    stateDir,
    graceMs,
    log,
    error: io.error,
  });
}

/** Options of dk inetd whose value is a path: made absolute before a detached daemon changes to /. */
const PATH_OPTIONS = new Set(['-p', '--syslog-socket', '--services', '--hosts-allow', '--hosts-deny', '--control', '--state-dir']);
