/**
 * A pidfile that says the truth: it holds the daemon's PID and stays
 * locked (an open-file-description lock) while the daemon runs, so a second
 * instance finds the lock held and refuses, and a pidfile left by a crash
 * is not mistaken for a running daemon. When dk daemonize took the lock
 * before executing the daemon, the daemon adopts the descriptor it was
 * handed (DK_PIDFILE_FD) instead of opening the file again: a second open
 * would be a second open file description, refused by its own lock.
 */
import * as fs from 'node:fs';
import { lockFile } from '../sys/process.js';

export const PIDFILE_FD_ENV = 'DK_PIDFILE_FD';

export class Pidfile {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
  ) {}

  /** Takes the pidfile for this process; a string says why it cannot. */
  static take(path: string, env: NodeJS.ProcessEnv = process.env): Pidfile | string {
    const inherited = Number(env[PIDFILE_FD_ENV]);
    delete env[PIDFILE_FD_ENV];
    if (Number.isInteger(inherited) && inherited > 2 && sameFile(inherited, path)) {
      const p = new Pidfile(path, inherited);
      p.write();
      return p;
    }
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    } catch (e) {
      return `cannot open pidfile ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    if (!lockFile(fd)) {
      const other = fs.readFileSync(fd, 'utf8').trim();
      fs.closeSync(fd);
      return `already running${other ? ` (pid ${other})` : ''}: ${path} is locked`;
    }
    const p = new Pidfile(path, fd);
    p.write();
    return p;
  }

  private write(): void {
    if (this.fd === undefined) return;
    fs.ftruncateSync(this.fd, 0);
    fs.writeSync(this.fd, `${process.pid}\n`, 0);
  }

  /** At a clean exit: the file goes, then the lock with the descriptor. */
  remove(): void {
    if (this.fd === undefined) return;
    fs.rmSync(this.path, { force: true });
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function sameFile(fd: number, path: string): boolean {
  try {
    const a = fs.fstatSync(fd);
    const b = fs.statSync(path);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}
