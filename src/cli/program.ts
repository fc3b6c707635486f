/** The commander program: help, version and the commands without their own parser. */
import { Command } from 'commander';
import { createLinks } from './links.js';
import { PS_HELP } from '../ps/run.js';
import { PSTREE_USAGE } from '../pstree/run.js';
import { EXEC_INFO_HELP } from '../execinfo/run.js';
import { LSOF_HELP } from '../lsof/run.js';
import { TOP_HELP } from '../top/run.js';
import { SYSLOGD_HELP } from '../syslog/run.js';
import { LOGGER_HELP } from '../syslog/logger.js';
import { LOGS_HELP } from '../logs/run.js';
import { INETD_HELP } from '../inetd/run.js';
import { DAEMONIZE_HELP, UPDATE_HELP } from '../daemon/run.js';
import { INIT_HELP, INITCTL_HELP } from '../init/run.js';
import { HALT_HELP, SHUTDOWN_HELP, TELINIT_HELP } from '../init/commands.js';
import { RPCBIND_HELP } from '../rpcbind/run.js';
import { RPCINFO_USAGE } from '../rpcinfo/run.js';
import { STATUS_HELP } from '../status/run.js';
import { CONSOLE_HELP } from '../console/help.js';

declare const DK_VERSION: string | undefined;
const VERSION = typeof DK_VERSION === 'string' ? DK_VERSION : '0.0.0-dev';

export function program(tools: Record<string, (argv: string[]) => number | Promise<number>>): Command {
  const p = new Command('dk').description('daemonkit: processes and daemons, rebuilt in TypeScript').version(VERSION, '-V, --version').showHelpAfterError();

  // every tool parses its own arguments; commander only lists and documents them
  const passthrough = (name: string, summary: string, help: string): void => {
    p.command(name)
      .description(summary)
      .helpOption(false)
      .allowUnknownOption()
      .argument('[args...]')
      .addHelpText('after', `\n${help}`)
      .action(async (args: string[]) => {
        process.exitCode = await tools[name](args);
      });
  };
  passthrough('ps', 'report a snapshot of the current processes (procps-ng compatible)', PS_HELP);
  passthrough('pstree', 'display a tree of processes (psmisc compatible)', PSTREE_USAGE);
  passthrough('logger', 'send a message to syslogd (util-linux logger options)', LOGGER_HELP);
  passthrough('syslogd', 'the system log daemon: /dev/log, UDP, TCP, syslog.conf rules', SYSLOGD_HELP);
  passthrough('inetd', 'the super-server: inetd.conf or xinetd.conf, TCP wrappers, internal services', INETD_HELP);
  passthrough('rpcbind', 'the ONC RPC port mapper (portmap v2, rpcbind v3/v4), safe defaults', RPCBIND_HELP);
  passthrough('rpcinfo', 'ask a port mapper what is registered; ping RPC services (Debian rpcinfo compatible)', RPCINFO_USAGE);
  passthrough('init', 'the supervisor: units and SysV scripts, parallel boot, restarts, PID 1 or subreaper', INIT_HELP);
  passthrough('initctl', 'talk to dk init: status, list, start, stop, restart, reload, isolate, poweroff', INITCTL_HELP);
  passthrough('shutdown', 'power off, halt or reboot at a time (now, +MIN, HH:MM) with a notice; -c cancels', SHUTDOWN_HELP);
  passthrough('halt', 'stop every unit and halt (through dk init)', HALT_HELP);
  passthrough('poweroff', 'stop every unit and power off (through dk init)', HALT_HELP);
  passthrough('reboot', 'stop every unit and reboot (through dk init)', HALT_HELP);
  passthrough('telinit', 'change the runlevel: 0 poweroff, 1 single-user, 3 multi-user, 5 graphical, 6 reboot', TELINIT_HELP);
  passthrough('runlevel', 'the previous and the current runlevel, as runlevel(8) prints them', 'Usage: dk runlevel [--control PATH]\n');
  passthrough('daemonize', 'run a command as a daemon: setsid, double fork, locked pidfile, no terminal', DAEMONIZE_HELP);
  passthrough('update', 'the update daemon: sync(2) every 30 seconds', UPDATE_HELP);
  passthrough('console', 'the web console: processes, services, logs and network daemons, live', CONSOLE_HELP);
  passthrough('status', 'what the dk daemons are doing: PID, uptime, memory, key figures, last log lines', STATUS_HELP);
  passthrough('logs', 'read the log store (journalctl-like: -f -n -S -U -p -t -g -o)', LOGS_HELP);
  passthrough('top', 'display processes, batch mode compatible with procps-ng top', TOP_HELP);
  passthrough('lsof', 'list open files (lsof 4.95 compatible)', LSOF_HELP);
  passthrough('exec-info', 'explain how exec would start a file: #!, ELF, loader, libraries, sections', EXEC_INFO_HELP);

  p.command('links')
    .description('create ps and pstree symlinks to dk in DIR (busybox style)')
    .argument('<dir>', 'directory to create the links in')
    .option('-f, --force', 'replace existing files')
    .action((dir: string, opts: { force?: boolean }) => {
      for (const line of createLinks(dir, Object.keys(tools), process.argv[1], Boolean(opts.force))) console.log(line);
    });
  return p;
}
