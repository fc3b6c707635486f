/**
 * The dk executable. `dk TOOL ...` (or a symlink named after the tool) goes
 * straight to the tool with the raw arguments: each parses its own, as the
 * program it replaces does (ps has three syntaxes a generic option library
 * must not touch). Only `dk`, `dk --help`, `dk --version` and `dk links`
 * load commander.
 */
import { fstatSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

declare const require: NodeJS.Require | undefined;
import { basename } from 'node:path';

type Tool = (argv: string[]) => number | Promise<number>;

function stdoutTty(): { columns: number; rows: number } | undefined {
  // node:tty pulls in net and streams (~5 ms): a pipe, a file or /dev/null (memory devices, major 1) is
  // no terminal, and only a character device that may be one is asked
  try {
    const st = fstatSync(1);
    if (!st.isCharacterDevice() || ((st.rdev >>> 8) & 0xfff) === 1) return undefined;
  } catch {
    return undefined;
  }
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const { isatty } = req('node:tty') as typeof import('node:tty');
  // only a terminal needs the stream object, for its window size
  return isatty(1) ? { columns: process.stdout.columns, rows: process.stdout.rows } : undefined;
}

/**
 * Writes straight to the file descriptor: creating process.stdout costs
 * ~7 ms (stream and tty/pipe setup), more than formatting a whole listing.
 * A reader that went away (`dk ps | head`) ends the output quietly.
 */
function writeFd(fd: number, s: string | Uint8Array): void {
  // bytes (lsof's listing, megabytes) go out as they are, not copied first
  let buf = typeof s === 'string' ? Buffer.from(s) : s;
  while (buf.length) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
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
const write = (s: string | Uint8Array): void => writeFd(1, s);
const error = (s: string): void => writeFd(2, s);

/**
 * Each tool's modules are imported when that tool runs: in the bundle the
 * dynamic imports become lazy module inits, so `dk ps` does not pay for
 * initialising syslogd's tables or inetd's attribute list (nor fastify).
 */
export const TOOLS: Record<string, Tool> = {
  ps: (argv) => import('../ps/run.js').then((m) => m.runPs(argv, { write, error, env: process.env, tty: stdoutTty() })),
  pstree: (argv) => import('../pstree/run.js').then((m) => m.runPstree(argv, { write, error, env: process.env, tty: stdoutTty() })),
  'exec-info': (argv) => import('../execinfo/run.js').then((m) => m.runExecInfo(argv, { write, error, env: process.env })),
  lsof: (argv) => import('../lsof/run.js').then((m) => m.runLsof(argv, { write, error, env: process.env })),
  top: (argv) => import('../top/run.js').then((m) => m.runTop(argv, { write, error, env: process.env, tty: stdoutTty() })),
  syslogd: (argv) => import('../syslog/run.js').then((m) => m.runSyslogd(argv, { write, error })),
  logs: (argv) => import('../logs/run.js').then((m) => m.runLogs(argv, { write, error })),
  inetd: (argv) => import('../inetd/run.js').then((m) => m.runInetd(argv, { write, error })),
  daemonize: (argv) => import('../daemon/run.js').then((m) => m.runDaemonize(argv, { write, error })),
  update: (argv) => import('../daemon/run.js').then((m) => m.runUpdate(argv, { write, error })),
  init: (argv) => import('../init/run.js').then((m) => m.runInit(argv, { write, error })),
  initctl: (argv) => import('../init/run.js').then((m) => m.runInitctl(argv, { write, error })),
  rpcbind: (argv) => import('../rpcbind/run.js').then((m) => m.runRpcbind(argv, { write, error })),
  rpcinfo: (argv) => import('../rpcinfo/run.js').then((m) => m.runRpcinfo(argv, { write, error })),
  status: (argv) => import('../status/run.js').then((m) => m.runStatus(argv, { write, error })),
  console: (argv) => import('../console/run.js').then((m) => m.runConsole(argv, { write, error })),
  logger: (argv) =>
    import('../syslog/logger.js').then((m) =>
      m.runLogger(argv, {
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
    ),
};

const invokedAs = basename(process.argv[1] ?? 'dk').replace(/\.c?js$/, '');
const direct = TOOLS[invokedAs];
/**
 * Tools that print and end: once their output is written nothing is left
 * to wait for, and exiting at once skips tearing down a heap the listing
 * grew (tens of megabytes for lsof) and any read still in flight.
 */
const ONE_SHOT = new Set(['ps', 'pstree', 'lsof', 'exec-info']);
const finish = (code: number | Promise<number>, name: string): void => {
  const done = (c: number): void => {
    if (ONE_SHOT.has(name)) process.exit(c);
    process.exitCode = c;
  };
  if (typeof code === 'number') done(code);
  else void code.then(done);
};
if (direct) {
  finish(direct(process.argv.slice(2)), invokedAs);
} else {
  const sub = process.argv[2];
  const tool = sub !== undefined ? TOOLS[sub] : undefined;
  if (tool) finish(tool(process.argv.slice(3)), sub!);
  else {
    // commander is only loaded for the commands that need it
    void import('./program.js').then(({ program }) => program(TOOLS).parse(process.argv));
  }
}
