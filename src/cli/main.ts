/**
 * The dk executable. `dk TOOL ...` (or a symlink named after the tool) goes
 * straight to the tool with the raw arguments: each parses its own, as the
 * program it replaces does (ps has three syntaxes a generic option library
 * must not touch). Only `dk`, `dk --help`, `dk --version` and `dk links`
 * load commander.
 */
import * as fs from 'node:fs';
import { basename } from 'node:path';
import { isatty } from 'node:tty';
import { runPs } from '../ps/run.js';
import { runPstree } from '../pstree/run.js';
import { runExecInfo } from '../execinfo/run.js';
import { runLsof } from '../lsof/run.js';
import { runTop } from '../top/run.js';
import { runSyslogd } from '../syslog/run.js';
import { runLogger } from '../syslog/logger.js';
import { runLogs } from '../logs/run.js';
import { runInetd } from '../inetd/run.js';
import { runDaemonize, runUpdate } from '../daemon/run.js';
import { runInit, runInitctl } from '../init/run.js';
import { runRpcbind } from '../rpcbind/run.js';
import { runRpcinfo } from '../rpcinfo/run.js';
import { runStatus } from '../status/run.js';

type Tool = (argv: string[]) => number | Promise<number>;

function stdoutTty(): { columns: number; rows: number } | undefined {
  // only a terminal needs the stream object, for its window size
  return isatty(1) ? { columns: process.stdout.columns, rows: process.stdout.rows } : undefined;
}

/**
 * Writes straight to the file descriptor: creating process.stdout costs
 * ~7 ms (stream and tty/pipe setup), more than formatting a whole listing.
 * A reader that went away (`dk ps | head`) ends the output quietly.
 */
function writeFd(fd: number, s: string): void {
  let buf = Buffer.from(s);
  while (buf.length) {
    try {
      buf = buf.subarray(fs.writeSync(fd, buf));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    }
  }
}
const write = (s: string): void => writeFd(1, s);
const error = (s: string): void => writeFd(2, s);

export const TOOLS: Record<string, Tool> = {
  ps: (argv) => runPs(argv, { write, error, env: process.env, tty: stdoutTty() }),
  pstree: (argv) => runPstree(argv, { write, error, env: process.env, tty: stdoutTty() }),
  'exec-info': (argv) => runExecInfo(argv, { write, error, env: process.env }),
  lsof: (argv) => runLsof(argv, { write, error, env: process.env }),
  top: (argv) => runTop(argv, { write, error, env: process.env, tty: stdoutTty() }),
  syslogd: (argv) => runSyslogd(argv, { write, error }),
  logs: (argv) => runLogs(argv, { write, error }),
  inetd: (argv) => runInetd(argv, { write, error }),
  daemonize: (argv) => runDaemonize(argv, { write, error }),
  update: (argv) => runUpdate(argv, { write, error }),
  init: (argv) => runInit(argv, { write, error }),
  initctl: (argv) => runInitctl(argv, { write, error }),
  rpcbind: (argv) => runRpcbind(argv, { write, error }),
  rpcinfo: (argv) => runRpcinfo(argv, { write, error }),
  status: (argv) => runStatus(argv, { write, error }),
  // fastify and the console's modules are loaded by this command only
  console: (argv) => import('../console/run.js').then((m) => m.runConsole(argv, { write, error })),
  logger: (argv) =>
    runLogger(argv, {
      write,
      error,
      stdin: () =>
        new Promise((res) => {
          let s = '';
          process.stdin.setEncoding('utf8');
          process.stdin.on('data', (d) => (s += d));
          process.stdin.on('end', () => res(s));
        }),
    }),
};

const invokedAs = basename(process.argv[1] ?? 'dk').replace(/\.c?js$/, '');
const direct = TOOLS[invokedAs];
const finish = (code: number | Promise<number>): void => {
  if (typeof code === 'number') process.exitCode = code;
  else void code.then((c) => (process.exitCode = c));
};
if (direct) {
  finish(direct(process.argv.slice(2)));
} else {
  const sub = process.argv[2];
  const tool = sub !== undefined ? TOOLS[sub] : undefined;
  if (tool) finish(tool(process.argv.slice(3)));
  else {
    // commander is only loaded for the commands that need it
    void import('./program.js').then(({ program }) => program(TOOLS).parse(process.argv));
  }
}
