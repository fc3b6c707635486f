/**
 * Starting a server for a connection (nowait) or a listening socket
 * (wait): the socket on fds 0, 1, 2 (and 3 with LISTEN_FDS), the
 * configured user with the groups initgroups(3) would give, umask, nice,
 * resource limits and the environment xinetd gives.
 *
 * Node's spawn sets uid and gid but clears the supplementary groups and has
 * no way to run code between fork and exec, so when groups, nice, umask or
 * LISTEN_PID must be set in the child, sys/execwrap does it and then execs
 * the server with its own argv[0] (tcpd depends on it).
 */
import { spawn, type StdioOptions } from 'node:child_process';
import type * as net from 'node:net';
import { systemAccount, type Account } from '../../proc/users.js';
import { wrapExec } from '../../sys/execwrap.js';
import { socketFd } from '../../sys/peercred.js';
import { loadLibc } from '../../sys/libc.js';
import type { Readiness } from '../../sys/readiness.js';
import { onExit, posixSpawn } from '../../sys/spawn.js';
import type { ServiceConfig } from '../config/service.js';

export interface LaunchOptions {
  svc: ServiceConfig;
  /** the accepted connection (nowait) or the listening socket's fd (wait) */
  io: net.Socket | number;
  /** client address, for REMOTE_HOST/REMOTE_ADDR */
  remote?: string;
  /** also pass the socket as fd 3 with LISTEN_FDS=1 (sd_listen_fds(3)) */
  listenFds: boolean;
}

/** A running server, however it was started. */
export interface Server {
  pid: number;
  kill(signal?: NodeJS.Signals): void;
}

export type Launched = { server: Server } | { error: string };
export type ExitHandler = (code: number | null, signal: NodeJS.Signals | null) => void;

// As xinetd does, users and groups are looked up when the configuration is
// read (forgetAccounts on every load), not once per connection.
const accounts = new Map<string, Account | string>();

export function forgetAccounts(): void {
  accounts.clear();
}

function cachedAccount(user: string, group: string | undefined): Account | string {
  const key = `${user}:${group ?? ''}`;
  let a = accounts.get(key);
  if (a === undefined) accounts.set(key, (a = systemAccount(user, group)));
  return a;
}

const RLIMIT_CPU = 0;
const RLIMIT_AS = 9;

/** The descriptor to hand over: the wait-mode socket's, or the accepted connection's (never one of our 0-2). */
function fdOf(io: net.Socket | number): number | undefined {
  const fd = typeof io === 'number' ? io : socketFd(io);
  return fd !== undefined && fd > 2 ? fd : undefined;
}

/** Starts the server; exited runs once, when it has ended (or could not start after all). */
export async function launch(o: LaunchOptions, ready: Readiness, exited: ExitHandler): Promise<Launched> {
  const { svc } = o;
  const root = process.getuid?.() === 0;
  let acct: Account | undefined;
  if (root) {
    const got = cachedAccount(svc.user, svc.group);
    if (typeof got === 'string') return { error: got };
    acct = got;
  }
  const env: NodeJS.ProcessEnv = { PATH: '/usr/local/bin:/usr/bin:/bin' };
  if (o.remote) Object.assign(env, { REMOTE_HOST: o.remote, REMOTE_ADDR: o.remote });
  for (const k of svc.passenv ?? []) if (process.env[k] !== undefined) env[k] = process.env[k];
  for (const kv of svc.env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (o.listenFds) Object.assign(env, { LISTEN_FDS: '1', LISTEN_FDNAMES: svc.id });
  const limits = svc.rlimitAs !== undefined || svc.rlimitCpu !== undefined;
  // nobody needs the wrapper for plain root or for an unprivileged inetd
  const switching = acct !== undefined && (acct.uid !== 0 || acct.gid !== 0 || acct.groups.some((g) => g !== 0));
  const wrap = switching || o.listenFds || svc.nice !== undefined || svc.umask !== undefined || limits;
  const stdio: StdioOptions = [o.io, o.io, o.io];
  if (o.listenFds) stdio.push(o.io);
  // the wrapper waits for the limits to be set on it before it execs
  const gate = limits ? stdio.length : undefined;
  if (limits) stdio.push('pipe');
  const [file, args, argv0] = wrap
    ? [
        ...wrapExec(
          {
            uid: switching ? acct!.uid : undefined,
            gid: switching ? acct!.gid : undefined,
            groups: acct?.groups,
            nice: svc.nice,
            umask: svc.umask,
            listenPid: o.listenFds,
            gateFd: gate,
          },
          svc.server!,
          svc.args,
        ),
        'perl',
      ]
    : [svc.server!, svc.args.slice(1), svc.args[0]];
  try {
    const fd = fdOf(o.io);
    if (!wrap && fd !== undefined) {
      // the fast path: nothing to do between fork and exec. libuv made the
      // socket non-blocking, and that flag belongs to the socket, not to our
      // descriptor: servers expect blocking reads (Node's spawn clears it too)
      blocking(fd);
      const p = await posixSpawn(
        svc.server!,
        svc.args,
        Object.entries(env).map(([k, v]) => `${k}=${v}`),
        [fd, fd, fd],
      );
      onExit(p, ready, exited);
      return { server: p };
    }
    const child = spawn(file, args, { argv0, stdio, env });
    let done = false;
    const end: ExitHandler = (code, signal) => {
      if (!done) exited(code, signal);
      done = true;
    };
    child.on('exit', end);
    if (child.pid === undefined) {
      // spawn failed: the caller reports it; the 'error' event that follows is expected
      child.on('error', () => {});
      return { error: `cannot start ${svc.server}` };
    }
    if (limits) {
      // set while the wrapper waits on its gate descriptor, so the server starts with them
      const set = (res: number, v: number) => {
        const lim = Buffer.alloc(16);
        lim.writeBigUInt64LE(BigInt(v), 0);
        lim.writeBigUInt64LE(BigInt(v), 8);
        loadLibc().prlimit(child.pid!, res, lim, null);
      };
      if (svc.rlimitAs !== undefined) set(RLIMIT_AS, svc.rlimitAs);
      if (svc.rlimitCpu !== undefined) set(RLIMIT_CPU, svc.rlimitCpu);
      (child.stdio[gate!] as NodeJS.WritableStream | null)?.end();
    }
    const pid = child.pid;
    return { server: { pid, kill: (sig) => child.kill(sig) } };
  } catch (e) {
    return { error: `cannot start ${svc.server}: ${(e as Error).message}` };
  }
}

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

function blocking(fd: number): void {
  const c = loadLibc();
  const fl = c.fcntl(fd, F_GETFL, 'int', 0);
  if (fl >= 0 && fl & O_NONBLOCK) c.fcntl(fd, F_SETFL, 'int', fl & ~O_NONBLOCK);
}
