/**
 * dk syslogd: options as sysklogd/rsyslogd users know them, --check, signals.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { reexecWith } from '../sys/reexec.js';
import { sdNotify } from '../sys/sdnotify.js';
import { removeStaleSocket } from '../sys/stalesocket.js';
import { formatError, loadConfig, type Listener } from './config/conf.js';
import { DEFAULT_MAX_MESSAGE } from './protocol/parse.js';
import { Syslogd } from './daemon/syslogd.js';

export interface SyslogdIO {
  write(s: string): void;
  error(s: string): void;
}

export const SYSLOGD_HELP = `Usage: dk syslogd [-n] [-f FILE] [-p SOCKET] [-a SOCKET]... [--udp [ADDR:]PORT]... [--tcp [ADDR:]PORT]...
                  [-r] [-m MINUTES] [--kernel] [--max-size BYTES] [--pidfile FILE] [--no-local] [--check]
                  [--db FILE] [--state-dir DIR] [--db-keep-days N] [--db-max-size SIZE]
                  [--tls [ADDR:]PORT] [--tls-cert FILE] [--tls-key FILE] [--tls-ca FILE] [--control SOCK] [--stats]

  -f FILE        configuration (default /etc/syslog.conf)
  -p SOCKET      the local log socket (default /dev/log);  -a SOCKET  one more
  --udp/--tcp    listen there (IPv4 or [IPv6]); -r: UDP on port 514
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
  --control SOCK the control socket (default STATE-DIR/control.sock); --stats asks it
Signals: HUP re-reads the configuration and reopens files, TERM writes everything
accepted and exits, USR1 prints statistics to stderr.
`;

class UsageError extends Error {}

/** The control socket: whoever connects gets the statistics, then end of file. */
function serveStats(file: string, stats: () => string, io: SyslogdIO): net.Server | undefined {
  removeStaleSocket(file);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const server = net.createServer((c) => c.end(`${stats()}\n`));
  server.on('error', (e) => io.error(`dk syslogd: control socket ${file}: ${e.message}\n`));
  server.listen(file, () => fs.chmodSync(file, 0o600));
  return server;
}

/** dk syslogd --stats: asks a running daemon through its control socket. */
function queryStats(file: string, io: SyslogdIO): Promise<number> {
  return new Promise((resolve) => {
    let text = '';
    const c = net.connect(file);
    c.on('data', (d) => (text += d.toString()));
    c.on('end', () => {
      io.write(text);
      resolve(0);
    });
    c.on('error', (e) => {
      io.error(`dk syslogd: --stats: no daemon answers on ${file}: ${e.message}\n`);
      resolve(1);
    });
  });
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
  let db: string | undefined;
  let stateDir: string | undefined;
  let keepDays: number | undefined;
  let maxDbBytes: number | undefined;
  const tlsFiles: { cert?: string; key?: string; ca?: string } = {};
  let queueMem: number | undefined;
  let dbBatch: number | undefined;
  let dbDelay: number | undefined;
  let queueMax: number | undefined;
  let control: string | undefined;
  let statsOnly = false;
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      const v = (): string => {
        const x = argv[++i];
        if (x === undefined) throw new UsageError(`${a} needs a value`);
        return x;
      };
      switch (a) {
        case '-f': config = v(); break;
        case '-p': socket = v(); break;
        case '-a': extra.push(v()); break;
        case '--udp': listeners.push(listener('udp', v())); break;
        case '--tcp': listeners.push(listener('tcp', v())); break;
        case '--tls': listeners.push(listener('tls', v())); break;
        case '--tls-cert': tlsFiles.cert = path.resolve(v()); break;
        case '--tls-key': tlsFiles.key = path.resolve(v()); break;
        case '--tls-ca': tlsFiles.ca = path.resolve(v()); break;
        case '--control': control = path.resolve(v()); break;
        case '--stats': statsOnly = true; break;
        case '-r': listeners.push({ proto: 'udp', port: 514 }); break;
        case '-n': foreground = true; break;
        case '--check': check = true; break;
        case '--pidfile': pidfile = v(); break;
        case '-m': mark = Number(v()); break;
        case '--kernel': kernel = true; break;
        case '--no-local': local = false; break;
        case '--max-size': maxSize = Number(v()); break;
        case '--db': db = path.resolve(v()); break;
        case '--state-dir': stateDir = path.resolve(v()); break;
        case '--db-keep-days': keepDays = Number(v()); if (!(keepDays > 0)) throw new UsageError(`--db-keep-days needs a positive number of days`); break;
        case '--db-max-size': maxDbBytes = parseSize(v(), a); break;
        case '--queue-mem': queueMem = parseSize(v(), a); break;
        case '--db-batch': dbBatch = Number(v()); if (!Number.isInteger(dbBatch) || dbBatch < 1) throw new UsageError('--db-batch needs a positive number of messages'); break;
        case '--db-delay': dbDelay = Number(v()); if (!Number.isInteger(dbDelay) || dbDelay < 0) throw new UsageError('--db-delay needs milliseconds'); break;
        case '--queue-max': queueMax = parseSize(v(), a); break;
        case '-h': case '--help': io.write(SYSLOGD_HELP); return 0;
        default: throw new UsageError(`unknown option '${a}'`);
      }
    }
    if (!Number.isInteger(maxSize) || maxSize < 64) throw new UsageError('--max-size must be at least 64');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.error(`dk syslogd: ${e.message} (see 'dk syslogd --help')\n`);
    return 1;
  }

  control ??= stateDir ? path.join(stateDir, 'control.sock') : undefined;
  if (statsOnly) {
    if (!control) {
      io.error('dk syslogd: --stats needs --control SOCKET (or --state-dir DIR) to find the daemon\n');
      return 1;
    }
    return queryStats(control, io);
  }

  if (check) {
    const cfg = loadConfig(config);
    for (const e of cfg.errors) io.error(`${formatError(e)}\n`);
    if (!cfg.errors.length) io.write(`${config}: ${cfg.rules.length} rules, ${cfg.files.length} files, OK\n`);
    return cfg.errors.length ? 1 : 0;
  }

  if (!foreground) {
    // detach: a new session, no terminal, the parent returns at once
    const child = spawn(process.execPath, [process.argv[1], 'syslogd', ...argv, '-n'], { detached: true, stdio: 'ignore' });
    child.unref();
    if (pidfile) fs.writeFileSync(pidfile, `${child.pid}\n`);
    return 0;
  }

  // a long-lived daemon: a 1 MB young generation and no V8 worker pool keep the
  // resident set ~5 MB lower at the same speed (bench/syslogd.mjs, peak RSS)
  reexecWith(['--max-semi-space-size=1', '--v8-pool-size=0']);
  const store = {
    defaultPath: path.join(stateDir ?? '/var/lib/dk-syslogd', 'logs.db'),
    stateDir,
    queueMem,
    queueMax,
    batch: dbBatch,
    delayMs: dbDelay,
    retention: { maxAgeMs: keepDays !== undefined ? keepDays * 86_400_000 : undefined, maxBytes: maxDbBytes },
  };
  const d = new Syslogd({ tls: tlsFiles, db, store, configPath: config, sockets: local ? [socket, ...extra] : extra, listeners, maxSize, markMinutes: mark, kernel, log: (l) => io.error(`${l}\n`) });
  try {
    await d.start();
  } catch (e) {
    io.error(`dk syslogd: ${(e as Error).message}\n`);
    await d.stop();
    return 1;
  }
  if (pidfile) fs.writeFileSync(pidfile, `${process.pid}\n`);
  sdNotify('READY=1\nSTATUS=accepting messages');
  const controlServer = control ? serveStats(control, () => d.statistics(), io) : undefined;
  return new Promise<number>((resolve) => {
    process.on('SIGHUP', () => {
      if (!d.load()) io.error(`dk syslogd: ${config} cannot be read; keeping the previous configuration\n`);
    });
    process.on('SIGUSR1', () => io.error(`${d.statistics()}\n`));
    const stop = () => {
      controlServer?.close();
      if (control) fs.rmSync(control, { force: true });
      void d.stop().then(() => {
        if (pidfile) fs.rmSync(pidfile, { force: true });
        resolve(0);
        // worker threads and sockets are closed; nothing else keeps us
        setImmediate(() => process.exit(0));
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
