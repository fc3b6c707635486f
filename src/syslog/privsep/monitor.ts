/**
 * dk syslogd --user USER: privilege separation as OpenBSD's syslogd does
 * it. This part stays root and does two things only: it binds the sockets
 * (the log socket, privileged ports) before the daemon starts, and while
 * the daemon runs it opens files, ttys and pipes by name, only those the
 * configuration names (and terminals, for user and wall actions), handing
 * the descriptors back over a socket pair. The daemon itself, which reads
 * the network and parses what comes, is started as USER with those
 * sockets and never holds root. Signals are passed on; HUP makes this part
 * read the configuration again first, so a new file in it can be opened.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { loadConfig, type Listener } from '../config/conf.js';
import { listenerKey, type InheritedInput } from '../server/syslogd.js';
import { bindLogSocket } from '../../sys/unixsock.js';
import { closeFd, rawListen, setReceiveBuffer } from '../../sys/rawsocket.js';
import { FdChannel, seqpacketPair } from '../../sys/fdpass.js';
import { systemAccount } from '../../proc/users.js';
import { DAEMON_NODE_FLAGS } from '../../daemon/runtime.js';

/** the environment variable that tells the daemon it is the unprivileged part, and what it was given */
export const PRIVSEP_ENV = 'DK_SYSLOGD_PRIVSEP';

export interface PrivsepHandoff {
  /** the descriptor to ask for files on */
  opener: number;
  inherited: InheritedInput[];
}

export interface MonitorOptions {
  user: string;
  config: string;
  sockets: string[];
  listeners: Listener[];
  /** the daemon's own dk arguments (without --user) */
  argv: string[];
  /** --pidfile: holds this part's pid, the one to signal */
  pidfile?: string;
  /** directories the daemon writes itself (--state-dir: stores, queues, its control socket) */
  ownDirs: string[];
  log(line: string): void;
}

const UDP_RECEIVE_BUFFER = 16 << 20;
/** what may be asked for: writing, appending, creating, without blocking or becoming our terminal */
const FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;
const TERMINAL = /^\/dev\/(pts\/\d+|tty[A-Za-z]*\d*|console)$/;

/** The paths the configuration lets the daemon open: its file and pipe actions. */
function allowedPaths(config: string): Set<string> {
  const cfg = loadConfig(config);
  const out = new Set<string>();
  for (const r of cfg.rules) if (r.action.kind === 'file' || r.action.kind === 'pipe') out.add(r.action.path);
  return out;
}

/**
 * One request from the daemon, "OPEN FLAGS MODE PATH": a path the
 * configuration names (or a terminal) is opened with the flags a log
 * output needs and no others (no O_TRUNC, no reading); the answer, and the
 * descriptor to pass (the caller closes its copy).
 */
export function answerOpen(req: string, allowed: ReadonlySet<string>, refused: (path: string) => void): [Buffer] | [Buffer, number] {
  const m = /^OPEN (\d+) (\d+) (.+)$/s.exec(req);
  if (!m) return [Buffer.from('ERR EINVAL not a request')];
  const [flags, mode, path] = [Number(m[1]), Number(m[2]), m[3]];
  if (!allowed.has(path) && !TERMINAL.test(path)) {
    refused(path);
    return [Buffer.from(`ERR EACCES ${path} is not named in the configuration`)];
  }
  try {
    return [Buffer.from('OK'), fs.openSync(path, (flags & FLAGS) | fs.constants.O_WRONLY, mode & 0o666)];
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return [Buffer.from(`ERR ${err.code ?? 'EIO'} ${err.message}`)];
  }
}

export async function runMonitor(o: MonitorOptions): Promise<number> {
  const who = systemAccount(o.user);
  if (typeof who === 'string') {
    o.log(`dk syslogd: --user: ${who}`);
    return 1;
  }
  if (process.getuid?.() !== 0) {
    o.log(`dk syslogd: --user: only root can run the daemon as ${o.user}`);
    return 1;
  }
  let allowed = allowedPaths(o.config);
  const listeners = [...o.listeners, ...loadConfig(o.config).listeners];
  // the sockets, bound as root
  const inherited: InheritedInput[] = [];
  const fds: number[] = [];
  try {
    for (const path of o.sockets) {
      fds.push(bindLogSocket(path));
      inherited.push({ key: listenerKey({ path }), fd: 0, address: path });
    }
    for (const l of listeners) {
      const host = l.host ?? (l.proto === 'udp' ? '0.0.0.0' : '::');
      const raw = rawListen({ type: l.proto === 'udp' ? 'dgram' : 'stream', host, port: l.port, backlog: 1024 });
      fds.push(raw.fd);
      inherited.push({
        key: listenerKey(l),
        fd: 0,
        address: raw.address,
        recvBuffer: l.proto === 'udp' ? setReceiveBuffer(raw.fd, UDP_RECEIVE_BUFFER) : undefined,
      });
    }
  } catch (e) {
    o.log(`dk syslogd: ${(e as Error).message}`);
    return 1;
  }
  for (const d of o.ownDirs) {
    fs.mkdirSync(d, { recursive: true });
    fs.chownSync(d, who.uid, who.gid);
  }
  const [mine, theirs] = seqpacketPair();
  // in the child: fd 3 asks for files, 4... are the sockets in order
  for (const [k, i] of inherited.entries()) i.fd = 4 + k;
  const handoff: PrivsepHandoff = { opener: 3, inherited };
  const dk = fs.realpathSync(process.argv[1] ?? '');
  // with the daemon's node flags already: it would otherwise exec itself once more to get them
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, dk, ...o.argv], {
    stdio: ['ignore', 'inherit', 'inherit', theirs, ...fds],
    env: { ...process.env, [PRIVSEP_ENV]: JSON.stringify(handoff) },
    uid: who.uid,
    gid: who.gid,
  });
  closeFd(theirs);
  for (const fd of fds) closeFd(fd);
  o.log(`dk syslogd: privileged part (pid ${process.pid}) started the daemon as ${o.user} (pid ${child.pid})`);
  if (o.pidfile) fs.writeFileSync(o.pidfile, `${process.pid}\n`);

  const channel = new FdChannel(mine);
  const serve = (): void =>
    channel.recvAsync((m) => {
      if (!m) return;
      const [data, fd] = answerOpen(m.data.toString(), allowed, (path) =>
        o.log(`dk syslogd: refused to open ${path} for the daemon: not named in ${o.config}`),
      );
      channel.send(data, fd);
      if (fd !== undefined) closeFd(fd);
      serve();
    });
  serve();

  const pass = (sig: NodeJS.Signals) => () => {
    if (sig === 'SIGHUP') {
      try {
        allowed = allowedPaths(o.config);
      } catch {
        // the daemon reports a bad configuration; the old list stays
      }
    }
    child.kill(sig);
  };
  for (const sig of ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1'] as const) process.on(sig, pass(sig));
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      for (const path of [...o.sockets, ...(o.pidfile ? [o.pidfile] : [])]) fs.rmSync(path, { force: true });
      resolve(code ?? (signal ? 128 : 1));
    }),
  );
}
