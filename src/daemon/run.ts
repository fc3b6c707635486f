/**
 * dk daemonize [OPTIONS] -- CMD [ARGS...]   run CMD as a daemon
 * dk update [-i SECONDS] [-v] [-n COUNT] [PATH...]   the update daemon
 */
import * as fs from 'node:fs';
import { daemonize, logRelay, stage1, stage2, type DaemonizeOptions } from './daemonize.js';
import { runUpdate, UPDATE_HELP } from './update.js';

export const DAEMONIZE_HELP = `Usage: dk daemonize [--pidfile F] [--user U] [--chdir DIR] [--umask M]
                    [--stdout syslog|FILE] [--tag T] [--syslog-socket P] [-v] -- CMD [ARGS...]

  Runs CMD as a daemon: new session, double fork (re-parented to init, never
  a session leader, so no controlling terminal), directory / (or --chdir),
  umask 022 (or --umask), stdin /dev/null, stdout and stderr to /dev/null,
  a file, or syslog (one message per line, tagged with the command's name).
  --pidfile F is written with the daemon's PID and stays locked while it
  runs: a second instance finds the lock and refuses (exit status 1).
  -v prints the daemon's PID.
`;

export interface DaemonIO {
  write(s: string): void;
  error(s: string): void;
}

export async function runDaemonize(argv: string[], io: DaemonIO): Promise<number> {
  // the stages end the process themselves (exit, or execve)
  if (argv[0] === '--stage1') {
    stage1(JSON.parse(argv[1]) as DaemonizeOptions);
    return 0;
  }
  if (argv[0] === '--stage2') {
    stage2(JSON.parse(argv[1]) as DaemonizeOptions);
    return 0;
  }
  if (argv[0] === '--log-relay') {
    logRelay(argv[1], argv[2]);
    return new Promise<number>((resolve) => process.stdin.on('close', () => resolve(0)));
  }
  const o: DaemonizeOptions = { command: [] };
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string | undefined => argv[++i];
    if (a === '--') {
      o.command = argv.slice(i + 1);
      break;
    }
    const value = (): string => {
      const x = v();
      if (x === undefined) throw new Error(`option '${a}' needs a value`);
      return x;
    };
    try {
      if (a === '--pidfile') o.pidfile = value();
      else if (a === '--user') o.user = value();
      else if (a === '--chdir') o.chdir = value();
      else if (a === '--umask') {
        const m = value();
        if (!/^[0-7]{1,4}$/.test(m)) throw new Error(`--umask takes an octal mask, not '${m}'`);
        o.umask = parseInt(m, 8);
      } else if (a === '--stdout') o.stdout = value();
      else if (a === '--tag') o.tag = value();
      else if (a === '--syslog-socket') o.syslogSocket = value();
      else if (a === '-v') verbose = true;
      else if (a === '-h' || a === '--help') {
        io.write(DAEMONIZE_HELP);
        return 0;
      } else if (!a.startsWith('-')) {
        o.command = argv.slice(i);
        break;
      } else throw new Error(`unknown option '${a}' (see 'dk daemonize --help')`);
    } catch (e) {
      io.error(`dk daemonize: ${(e as Error).message}\n`);
      return 1;
    }
  }
  if (!o.command.length) {
    io.error('dk daemonize: no command (dk daemonize [OPTIONS] -- CMD [ARGS...])\n');
    return 1;
  }
  // relative paths are the caller's, not those of the daemon's directory
  if (o.pidfile) o.pidfile = `${fs.realpathSync(o.pidfile.includes('/') ? o.pidfile.replace(/\/[^/]*$/, '') || '/' : '.')}/${o.pidfile.split('/').pop()}`;
  if (o.stdout && o.stdout !== 'syslog' && !o.stdout.startsWith('/')) o.stdout = `${process.cwd()}/${o.stdout}`;
  try {
    const pid = await daemonize(o);
    if (verbose) io.write(`dk daemonize: ${o.command[0]} running as pid ${pid}\n`);
    return 0;
  } catch (e) {
    io.error(`dk daemonize: ${(e as Error).message}\n`);
    return 1;
  }
}

export { runUpdate, UPDATE_HELP };
