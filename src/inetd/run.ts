/**
 * dk inetd [-d] [-f] [-p PIDFILE] [--xinetd] [--services FILE]
 *          [--hosts-allow FILE] [--hosts-deny FILE] [--check] [CONFIG]
 * Reads inetd.conf (or xinetd.conf, given --xinetd or when the file looks
 * like one), reports every problem as file:line: reason, serves the rest.
 * SIGHUP reloads (a config that cannot be read keeps the old one running),
 * SIGTERM stops.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

import { closeOnExecInherited } from '../sys/cloexec.js';
import { sdNotify } from '../sys/sdnotify.js';
import { parseWrappers, type WrapperRule } from './access/tcpwrappers.js';
import { parseInetdConf } from './config/inetdconf.js';
import { formatProblem, type ConfigProblem, type ServiceConfig } from './config/service.js';
import { parseServices } from './config/services.js';
import { parseXinetd } from './config/xinetd.js';
import { Inetd } from './server/inetd.js';
import { ConnLogger } from './server/connlog.js';

export const INETD_HELP = `Usage: dk inetd [-d] [-f] [-p PIDFILE] [--xinetd] [--services FILE] [--hosts-allow FILE]
                [--hosts-deny FILE] [--listen-fds] [--grace SECS] [--check] [CONFIG]

  CONFIG           inetd.conf (default /etc/inetd.conf), or xinetd.conf with --xinetd
  -f, -d           stay in the foreground (-d: connections logged to stderr too)
  --syslog-socket PATH   where connection logs go (default /dev/log; a dk syslogd's -p socket works)
  --services FILE  service names and ports (default /etc/services)
  --hosts-allow F, --hosts-deny F   TCP wrappers files (default /etc/hosts.allow, /etc/hosts.deny)
  --listen-fds     also give every server its socket as fd 3 with LISTEN_FDS=1, LISTEN_PID
                   (xinetd: flags = LISTEN_FDS per service)
  --ident-port N   where clients' identd is asked for USERID logging (default 113)
  --grace SECS     on TERM, how long running servers may finish before they get TERM (default 5)
  --check          report each problem as file:line: reason; exit 1 if any
Signals: HUP reloads (unchanged services keep their sockets), TERM stops.
`;

export interface InetdIO {
  write(s: string): void;
  error(s: string): void;
}

interface Loaded {
  services: ServiceConfig[];
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
  return { services: parsed.services, problems: [...parsed.problems, ...allow.problems, ...deny.problems], wrappers: { allow: allow.rules, deny: deny.rules } };
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
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string | undefined => argv[++i];
    switch (a) {
      case '-d': foreground = true; debug = true; break;
      case '-f': foreground = true; break;
      case '--syslog-socket': syslogSocket = v() ?? syslogSocket; break;
      case '--xinetd': xinetd = true; if (config === '/etc/inetd.conf') config = '/etc/xinetd.conf'; break;
      case '--services': servicesFile = v() ?? servicesFile; break;
      case '--hosts-allow': allowFile = v() ?? allowFile; break;
      case '--hosts-deny': denyFile = v() ?? denyFile; break;
      case '--check': check = true; break;
      case '--listen-fds': listenFds = true; break;
      case '--ident-port': {
        const p = Number(v());
        if (!Number.isInteger(p) || p < 1 || p > 65535) {
          io.error(`dk inetd: --ident-port takes a port number, not '${argv[i]}'\n`);
          return 1;
        }
        identPort = p;
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
      case '-p': pidfile = v(); break;
      case '-h': case '--help': io.write(INETD_HELP); return 0;
      default:
        if (a.startsWith('-')) {
          io.error(`dk inetd: unknown option '${a}' (see 'dk inetd --help')\n`);
          return 1;
        }
        config = a;
    }
  }
  const first = load(config, xinetd, servicesFile, allowFile, denyFile);
  if (!first) {
    io.error(`dk inetd: cannot read ${config}\n`);
    return 1;
  }
  for (const p of first.problems) io.error(`dk inetd: ${formatProblem(p)}\n`);
  if (check) {
    if (!first.problems.length) io.write(`${config}: ${first.services.length} services, OK\n`);
    return first.problems.length ? 1 : 0;
  }
  if (!foreground) {
    const child = spawn(process.execPath, [process.argv[1], 'inetd', ...argv, '-f'], { detached: true, stdio: 'ignore' });
    child.unref();
    if (pidfile) fs.writeFileSync(pidfile, `${child.pid}\n`);
    return 0;
  }
  const log = (line: string) => io.error(`${line}\n`);
  closeOnExecInherited();
  // connections go to syslog (or the services' log files); -d also shows them here
  const events = new ConnLogger({ syslogPath: syslogSocket, stderr: debug ? log : undefined });
  const d = new Inetd({ wrappers: first.wrappers, log, events, listenFds, identPort });
  await d.apply(first.services);
  sdNotify(`READY=1\nSTATUS=${d.addresses().size} services`);
  if (pidfile) fs.writeFileSync(pidfile, `${process.pid}\n`);
  return new Promise<number>((resolve) => {
    process.on('SIGHUP', () => {
      const next = load(config, xinetd, servicesFile, allowFile, denyFile);
      if (!next) return log(`dk inetd: ${config} cannot be read; keeping the running configuration`);
      for (const p of next.problems) log(`dk inetd: ${formatProblem(p)}`);
      void d.apply(next.services, next.wrappers).then(() => log('dk inetd: reloaded'));
    });
    const stop = () => {
      void d.stop(graceMs).then(() => {
        events.close();
        if (pidfile) fs.rmSync(pidfile, { force: true });
        resolve(0);
        setImmediate(() => process.exit(0));
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

