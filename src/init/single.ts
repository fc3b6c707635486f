/**
 * Single-user and emergency mode: a root shell on the console, and the boot
 * goes on to the default target once it exits (the seed's single-user
 * story). The shell comes through util-linux sulogin(8) as on Debian, which
 * asks for root's password from /etc/shadow, opens a shell without asking
 * when it is empty, and, root being locked, says so and lets the boot go on
 * (unless told --force, as SYSTEMD_SULOGIN_FORCE tells Debian's); without
 * sulogin, or with --no-password, the shell is started directly.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import type { Reaper } from './reaper.js';

export interface ConsoleShell {
  /** the terminal: /dev/console as PID 1, or the one given */
  console: string;
  /** a shell without a password (tests, containers without a root password) */
  noPassword: boolean;
  /** sulogin --force: a locked root account gets a shell all the same */
  force: boolean;
  sulogin?: string;
  shell?: string;
}

const SULOGIN = ['/usr/sbin/sulogin', '/sbin/sulogin'];

const SETSID = ['/usr/bin/setsid', '/bin/setsid'];

/**
 * The program and its arguments that put a root shell on the console.
 * sulogin makes the console its controlling terminal itself; a shell
 * started directly gets it from util-linux setsid --ctty, so that job
 * control and Control-C work in it.
 */
export function shellCommand(o: ConsoleShell): { file: string; args: string[]; ownSession: boolean } {
  const sulogin = o.sulogin ?? SULOGIN.find((p) => existsSync(p));
  if (!o.noPassword && sulogin) return { file: sulogin, args: [...(o.force ? ['--force'] : []), o.console], ownSession: true };
  const shell = o.shell ?? '/bin/sh';
  const setsid = SETSID.find((p) => existsSync(p));
  return setsid ? { file: setsid, args: ['--ctty', shell, '-i'], ownSession: false } : { file: shell, args: ['-i'], ownSession: true };
}

/**
 * Runs the shell on the console (its own session, the console as its
 * terminal) and resolves with how it ended once it has. what: why, for the
 * line written on the console first.
 */
export function runConsoleShell(o: ConsoleShell, what: string, log: (s: string) => void, reaper: Reaper): Promise<string> {
  let fd: number;
  try {
    fd = openSync(o.console, constants.O_RDWR | constants.O_NOCTTY);
  } catch (e) {
    log(`dk init: cannot open ${o.console} for the ${what} shell: ${(e as Error).message}; going on`);
    return Promise.resolve('no console');
  }
  const { file, args, ownSession } = shellCommand(o);
  try {
    writeSync(fd, `\r\ndk init: ${what}. Leave the shell (exit or Control-D) to continue the boot.\r\n`);
  } catch {
    // a console that takes no output still takes a shell
  }
  log(`dk init: ${what}: ${file} ${args.join(' ')} on ${o.console}`);
  return new Promise((resolve) => {
    const c = spawn(file, args, {
      stdio: [fd, fd, fd],
      // setsid --ctty makes the session itself (it may not be a group leader for that)
      detached: ownSession,
      env: {
        HOME: '/root',
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        TERM: process.env.TERM ?? 'linux',
        SHELL: o.shell ?? '/bin/sh',
      },
    });
    // Node waits for its own children: the reaper must leave this one alone
    if (c.pid) reaper.ownedByNode(c.pid);
    const done = (how: string) => {
      if (c.pid) reaper.nodeDone(c.pid);
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
      resolve(how);
    };
    c.on('error', (e) => done(`${file}: ${e.message}`));
    c.on('exit', (code, sig) => done(sig ? `killed by ${sig}` : `exited ${code}`));
  });
}
