/**
 * dk rpcbind [-adfilrw] [-h ADDR]... [-p PORT] [--socket PATH] [--state-dir DIR]
 * The port mapper: programs register their addresses, clients ask for
 * them. Options as Debian's rpcbind 1.2.6 (where -h works), plus -p for a
 * port other than 111 and -r to allow remote calls, which are off.
 */
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { absolutePaths, runDaemon, type DaemonCore } from '../daemon/runtime.js';
import { SyslogClient, LOG_DAEMON, LOG_PID, LOG_INFO } from '../syslog/client.js';
import type { Rpcb } from '../rpc/pmap.js';
import { udpDropsByPort } from '../proc/net.js';
import { RpcbindAccess } from './access.js';
import { nameCache, systemAccount } from '../proc/users.js';
import { becomeUser } from '../sys/process.js';
import { renderRpcbindStatus, summarizeRpcbind, type RpcbindStatus } from './status.js';
import { PortMapper } from './procs.js';
import { Registry } from './registry.js';
import { forwardToLocal, RpcbindServer } from './server.js';
import { Stats } from './stats.js';

export const RPCBIND_HELP = `Usage: dk rpcbind [-dfilrw] [-h ADDR]... [-p PORT] [--socket PATH] [--state-dir DIR] [--rate N]
                  [--user USER] [--hosts-allow FILE] [--hosts-deny FILE] [--control SOCK]

  -h ADDR          listen on this address only, UDP and TCP (repeatable; 127.0.0.1 and ::1 are added)
  -p PORT          port for UDP and TCP (default 111)
  -f               stay in the foreground;  -d  foreground, and log to stderr
  -i               accept SET/UNSET from other hosts (default: this host only)
  -l               log every SET and UNSET
  -r               forward CALLIT/INDIRECT to local services (default: refused)
  -w               warm start: registrations saved at the last exit come back
  --socket PATH    the local socket (default /run/rpcbind.sock; "none" for none)
  --state-dir DIR  where -w state lives (default /run/rpcbind)
  --rate N         calls per second answered per remote address (default 2000; this host: no limit)
  --user USER      give up root for USER once the sockets are open (Debian runs rpcbind as _rpc)
  --hosts-allow F, --hosts-deny F   TCP wrappers (default /etc/hosts.allow, /etc/hosts.deny):
                   every call but NULL from an address is checked under the name "rpcbind";
                   a denied one gets AUTH_ERROR (too weak) and is logged, as Debian's rpcbind
  --control SOCK   the control socket (default STATE-DIR/control.sock with --state-dir, else
                   /run/dk/rpcbind.sock as root)
Signals: TERM and INT save the registrations and stop; HUP reads the TCP wrappers files again;
USR1 writes the status to stderr.
`;

export interface RpcbindIO {
  write(s: string): void;
  error(s: string): void;
}

const STATE_FILE = 'dk-rpcbind.json';

export async function runRpcbind(argv: string[], io: RpcbindIO): Promise<number> {
  const o = {
    control: undefined as string | undefined,
    explicitState: false,
    hosts: [] as string[],
    port: 111,
    foreground: false,
    debug: false,
    insecure: false,
    logCalls: false,
    remote: false,
    warm: false,
    socket: '/run/rpcbind.sock',
    stateDir: '/run/rpcbind',
    rate: 2000,
    user: undefined as string | undefined,
    hostsAllow: '/etc/hosts.allow',
    hostsDeny: '/etc/hosts.deny',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`option '${a}' needs a value`);
      return x;
    };
    try {
      if (a === '-h') o.hosts.push(v());
      else if (a === '-p') {
        o.port = Number(v());
        if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`bad port '${argv[i]}'`);
      } else if (a === '--socket') o.socket = v();
      else if (a === '--state-dir') {
        o.stateDir = v();
        o.explicitState = true;
      } else if (a === '--control') o.control = v();
      else if (a === '--user') o.user = v();
      else if (a === '--hosts-allow') o.hostsAllow = v();
      else if (a === '--hosts-deny') o.hostsDeny = v();
      else if (a === '--rate') {
        o.rate = Number(v());
        if (!Number.isInteger(o.rate) || o.rate < 1) throw new Error(`bad rate '${argv[i]}'`);
      } else if (a === '--help') {
        io.write(RPCBIND_HELP);
        return 0;
      } else if (/^-[adfilrw]+$/.test(a)) {
        for (const c of a.slice(1)) {
          if (c === 'd') o.debug = o.foreground = true;
          if (c === 'f') o.foreground = true;
          if (c === 'i') o.insecure = true;
          if (c === 'l') o.logCalls = true;
          if (c === 'r') o.remote = true;
          if (c === 'w') o.warm = true;
        }
      } else throw new Error(`unknown option '${a}' (see 'dk rpcbind --help')`);
    } catch (e) {
      io.error(`dk rpcbind: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const syslog = o.debug ? undefined : new SyslogClient({ ident: 'dk-rpcbind', option: LOG_PID, facility: LOG_DAEMON });
  const log = (line: string) => (o.debug ? io.error(`${line}\n`) : syslog?.syslog(LOG_DAEMON | LOG_INFO, line));
  const registry = new Registry();
  const stats = new Stats();
  const access = new RpcbindAccess({ allow: o.hostsAllow, deny: o.hostsDeny }, log);
  const pm = new PortMapper(registry, stats, {
    access,
    insecure: o.insecure,
    remoteCalls: o.remote,
    forward: forwardToLocal,
    log: o.logCalls || o.debug ? log : undefined,
  });
  const socketPath = o.socket === 'none' ? undefined : o.socket;
  const state = join(o.stateDir, STATE_FILE);
  let server: RpcbindServer | undefined;
  const listen = async (ipv6: boolean) => {
    const srv = new RpcbindServer(pm, { port: o.port, udpHosts: o.hosts, socketPath, ipv6, log, rate: o.rate });
    await srv.start();
    return srv;
  };
  const core: DaemonCore<RpcbindStatus> = {
    name: 'rpcbind',
    check: () => [],
    async start() {
      try {
        server = await listen(true);
      } catch (e) {
        // a host without IPv6 still gets IPv4 and the local socket
        if (!/EAFNOSUPPORT|EADDRNOTAVAIL/.test((e as Error).message)) throw new Error(`cannot listen: ${(e as Error).message}`);
        server = await listen(false);
      }
      if (o.warm) warmStart(registry, state, log);
      log(`dk rpcbind: listening on port ${o.port}${socketPath ? ` and ${socketPath}` : ''}`);
    },
    // registrations live in memory; the TCP wrappers files are read again
    reload: async () => {
      access.reload();
      return { ok: true, problems: [] };
    },
    async stop() {
      if (server) {
        try {
          fs.mkdirSync(o.stateDir, { recursive: true });
          fs.writeFileSync(state, JSON.stringify(registry.all().filter((b) => b.prog !== 100000)));
        } catch (e) {
          log(`dk rpcbind: cannot save ${state}: ${(e as Error).message}`);
        }
        await server.stop();
      }
      syslog?.closelog();
    },
    status: () => ({
      port: o.port,
      socket: socketPath,
      hosts: o.hosts,
      insecure: o.insecure,
      remoteCalls: o.remote,
      registrations: registry.all().map((b) => ({ program: b.prog, version: b.vers, netid: b.netid, address: b.addr, owner: b.owner })),
      stats: stats.snapshot().map((st, i) => ({ version: i + 2, ...st })),
      wrappers: { allow: o.hostsAllow, deny: o.hostsDeny, refused: access.refused },
      udp: { ...(server?.udpCounters ?? { received: 0, answered: 0, rateLimited: 0 }), kernelDrops: kernelDrops(server) },
      memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed },
    }),
    summary: summarizeRpcbind,
    render: renderRpcbindStatus,
  };
  return runDaemon(core, {
    foreground: o.foreground,
    // "--socket none" is a word, not a path
    foregroundArgv: ['rpcbind', ...absolutePaths(argv, PATH_OPTIONS).map((x, i) => (argv[i] === 'none' ? 'none' : x)), ...(o.foreground ? [] : ['-f'])],
    control: o.control,
    stateDir: o.explicitState ? resolve(o.stateDir) : undefined,
    log: (line) => log(line),
    error: io.error,
    dropPrivileges: o.user ? () => dropTo(o.user!, o.stateDir, log) : undefined,
  });
}

/**
 * --user: once port 111 and the sockets are open, root is given up for
 * USER (Debian's rpcbind runs as _rpc); the state directory becomes the
 * user's, so the registrations can still be saved at the end.
 */
function dropTo(user: string, stateDir: string, log: (line: string) => void): void {
  const a = systemAccount(user);
  if (typeof a === 'string') throw new Error(a);
  if (process.getuid?.() !== 0) throw new Error(`only root can become ${user}`);
  fs.mkdirSync(stateDir, { recursive: true });
  fs.chownSync(stateDir, a.uid, a.gid);
  becomeUser(nameCache().user(a.uid) ?? user, a.uid, a.gid);
  log(`dk rpcbind: running as ${user} (uid ${a.uid})`);
}

/** the kernel's drop counters of our UDP sockets (/proc/net/udp, udp6) */
function kernelDrops(server: RpcbindServer | undefined): number {
  if (!server) return 0;
  const drops = udpDropsByPort();
  return server.udpPorts().reduce((a, p) => a + (drops.get(p) ?? 0), 0);
}

/** Options of dk rpcbind whose value is a path: made absolute before a detached daemon changes to /. */
const PATH_OPTIONS = new Set(['--socket', '--state-dir', '--control', '--hosts-allow', '--hosts-deny']);

/** -w: the registrations saved at the last exit come back. */
function warmStart(registry: Registry, state: string, log: (line: string) => void): void {
  try {
    const saved = JSON.parse(fs.readFileSync(state, 'utf8')) as Rpcb[];
    let n = 0;
    for (const b of saved) if (b.prog !== 100000 && registry.set(b)) n++;
    log(`dk rpcbind: warm start: ${n} registrations from ${state}`);
  } catch (e) {
    log(`dk rpcbind: warm start: nothing usable in ${state} (${(e as Error).message})`);
  }
}
