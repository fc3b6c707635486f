/**
 * Turning a command into a daemon the classic way, in three processes
 * because Node cannot fork: the caller starts stage 1 in a new session
 * (setsid: no controlling terminal, its own process group); stage 1 starts
 * stage 2 and exits at once, so stage 2 is re-parented to init (or the
 * nearest subreaper) and, not being a session leader, can never acquire a
 * terminal again: the double fork. Stage 2 changes directory and umask,
 * takes the pidfile's lock (an open-file-description lock, kept across
 * exec, so a second instance finds it held and refuses), becomes the user,
 * lets no inherited descriptor through, and executes the command in its
 * own place: the daemon keeps the PID written in the pidfile. Its result
 * comes back to the caller on a pipe, so "already running" or "no such
 * command" is the caller's exit status, not a silent failure.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import type { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { SyslogClient, LOG_DAEMON, LOG_INFO, LOG_PID } from '../syslog/client.js';
import { closeOnExecInherited } from '../sys/cloexec.js';
import { becomeUser, execInPlace, keepOnExec, lockFile } from '../sys/process.js';
import { nameCache, systemAccount } from '../proc/users.js';
import { PIDFILE_FD_ENV } from './pidfile.js';

export interface DaemonizeOptions {
  command: string[];
  pidfile?: string;
  user?: string;
  /** default / */
  chdir?: string;
  /** default 022 */
  umask?: number;
  /** where stdout and stderr go: /dev/null (default), "syslog", or a file appended to */
  stdout?: string;
  /** syslog tag (default: the command's name) and socket */
  tag?: string;
  syslogSocket?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * The command is a dk daemon that says when it is ready: the status pipe
   * stays open across exec (fd DK_READY_FD) and the caller waits for its
   * READY, or for the reason it could not start.
   */
  ready?: boolean;
}

/** the descriptor a daemon started with ready: true reports READY or ERR on */
export const READY_FD_ENV = 'DK_READY_FD';

/** The executable a command name means, as execvp would find it. */
export function resolveCommand(cmd: string, path = process.env.PATH ?? '/usr/bin:/bin'): string | undefined {
  const ok = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return ok(cmd) ? cmd : undefined;
  for (const dir of path.split(delimiter)) if (dir && ok(join(dir, cmd))) return join(dir, cmd);
  return undefined;
}

/**
 * Starts the daemon; resolves with its PID once it runs the command, or
 * rejects with the reason it could not (the lock held, no such command, ...).
 */
export function daemonize(o: DaemonizeOptions, dk = process.argv[1]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [dk, 'daemonize', '--stage1', JSON.stringify({ ...o, env: o.env ?? process.env })], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    let got = '';
    const status = child.stdio[3] as NodeJS.ReadableStream;
    status.on('data', (b: Buffer) => (got += b.toString()));
    status.on('end', () => {
      const lines = got.split('\n');
      const ok = lines.find((l) => l.startsWith('OK '));
      const err = lines.find((l) => l.startsWith('ERR '));
      if (err) reject(new Error(err.slice(4)));
      else if (!ok) reject(new Error('the daemon did not start'));
      else if (o.ready && !lines.includes('READY')) reject(new Error(`pid ${ok.slice(3)} exited before it was ready`));
      else resolve(Number(ok.slice(3)));
    });
    child.unref();
  });
}

/** Stage 1: in the new session, start stage 2 and leave at once. */
export function stage1(o: DaemonizeOptions, dk = process.argv[1]): void {
  let out: 'ignore' | number | Writable = 'ignore';
  if (o.stdout === 'syslog') {
    const relay = spawn(process.execPath, [dk, 'daemonize', '--log-relay', o.tag ?? basename(o.command[0] ?? 'daemon'), o.syslogSocket ?? '/dev/log'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    relay.unref();
    out = relay.stdin!;
  } else if (o.stdout && o.stdout !== '/dev/null') {
    try {
      out = fs.openSync(o.stdout, 'a', 0o640);
    } catch (e) {
      fs.writeSync(3, `ERR cannot open ${o.stdout}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      process.exit(1);
    }
  }
  const c = spawn(process.execPath, [dk, 'daemonize', '--stage2', JSON.stringify(o)], { stdio: ['ignore', out, out, 3] });
  c.unref();
  process.exit(0);
}

/** Stage 2: become the daemon and execute the command in place. */
export function stage2(o: DaemonizeOptions): void {
  const fail = (why: string): never => {
    try {
      fs.writeSync(3, `ERR ${why}\n`);
    } catch {
      // the caller is gone
    }
    process.exit(1);
  };
  const path = resolveCommand(o.command[0] ?? '', o.env?.PATH);
  if (!path) fail(`${o.command[0]}: command not found`);
  try {
    process.chdir(o.chdir ?? '/');
  } catch {
    fail(`cannot change directory to ${o.chdir}`);
  }
  process.umask(o.umask ?? 0o022);
  let pidfd = -1;
  if (o.pidfile) {
    try {
      pidfd = fs.openSync(o.pidfile, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    } catch (e) {
      fail(`cannot open ${o.pidfile}: ${(e as NodeJS.ErrnoException).code}`);
    }
    if (!lockFile(pidfd)) {
      const other = fs.readFileSync(o.pidfile, 'utf8').trim();
      fail(`already running${other ? ` (pid ${other})` : ''}: ${o.pidfile} is locked`);
    }
    fs.ftruncateSync(pidfd, 0);
    fs.writeSync(pidfd, `${process.pid}\n`, 0);
  }
  if (o.user) {
    const a = systemAccount(o.user);
    if (typeof a === 'string') fail(a);
    const acct = a as Exclude<typeof a, string>;
    if (process.getuid?.() !== 0 && process.getuid?.() !== acct.uid) fail(`only root can run a daemon as ${o.user}`);
    try {
      // initgroups wants the name, also when the user was given as a number
      const name = nameCache().user(acct.uid) ?? o.user;
      if (process.getuid?.() === 0) becomeUser(name, acct.uid, acct.gid);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  // nothing inherited goes through but 0-2 and the pidfile (its lock lives in it)
  closeOnExecInherited();
  const env = { ...(o.env ?? process.env) };
  if (pidfd >= 0) {
    keepOnExec(pidfd);
    env[PIDFILE_FD_ENV] = String(pidfd);
  }
  fs.writeSync(3, `OK ${process.pid}\n`);
  if (o.ready) {
    keepOnExec(3);
    env[READY_FD_ENV] = '3';
  } else fs.closeSync(3);
  execInPlace(path!, o.command, env);
  process.stderr.write(`dk daemonize: cannot execute ${path}\n`);
  process.exit(127);
}

/** --stdout syslog: the daemon's output lines, each a message with its tag. */
export function logRelay(tag: string, socket: string): void {
  const c = new SyslogClient({ path: socket, ident: tag, option: LOG_PID, facility: LOG_DAEMON });
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => c.syslog(LOG_DAEMON | LOG_INFO, line));
  rl.on('close', () => c.closelog());
}
