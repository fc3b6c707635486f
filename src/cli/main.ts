/**
 * The dk executable. `dk TOOL ...` (or a symlink named after the tool) goes
 * straight to the tool with the raw arguments: each parses its own, as the
 * program it replaces does (ps has three syntaxes a generic option library
 * must not touch). Only `dk`, `dk --help`, `dk --version` and `dk links`
 * load commander.
 */
import { dispatch, error, type Tool, write } from './io.js';
import { LISTING_TOOLS } from './listing-tools.js';

/**
 * Each tool's modules are imported when that tool runs: in the bundle the
 * dynamic imports become lazy module inits, so `dk ps` does not pay for
 * initialising syslogd's tables or inetd's attribute list (nor fastify).
 */
export const TOOLS: Record<string, Tool> = {
  ...LISTING_TOOLS,
  'exec-info': (argv) => import('../execinfo/run.js').then((m) => m.runExecInfo(argv, { write, error, env: process.env })),
  syslogd: (argv) => import('../syslog/run.js').then((m) => m.runSyslogd(argv, { write, error })),
  logs: (argv) => import('../logs/run.js').then((m) => m.runLogs(argv, { write, error })),
  inetd: (argv) => import('../inetd/run.js').then((m) => m.runInetd(argv, { write, error })),
  daemonize: (argv) => import('../daemon/run.js').then((m) => m.runDaemonize(argv, { write, error })),
  update: (argv) => import('../daemon/run.js').then((m) => m.runUpdate(argv, { write, error })),
  init: (argv) => import('../init/run.js').then((m) => m.runInit(argv, { write, error })),
  initctl: (argv) => import('../init/run.js').then((m) => m.runInitctl(argv, { write, error })),
  shutdown: (argv) => import('../init/commands.js').then((m) => m.runShutdown(argv, { write, error })),
  halt: (argv) => import('../init/commands.js').then((m) => m.runHaltLike('halt', argv, { write, error })),
  poweroff: (argv) => import('../init/commands.js').then((m) => m.runHaltLike('poweroff', argv, { write, error })),
  reboot: (argv) => import('../init/commands.js').then((m) => m.runHaltLike('reboot', argv, { write, error })),
  telinit: (argv) => import('../init/commands.js').then((m) => m.runTelinit(argv, { write, error })),
  runlevel: (argv) => import('../init/commands.js').then((m) => m.runRunlevel(argv, { write, error })),
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

// commander is only loaded for the commands that need it
dispatch(TOOLS, () => void import('./program.js').then(({ program }) => program(TOOLS).parse(process.argv)));
