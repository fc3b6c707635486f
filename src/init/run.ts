/**
 * dk init: the supervisor, as PID 1 (in a PID namespace or a container) or
 * as a child subreaper for a tree of services; dk initctl talks to it.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { UnixLogSocket, forEachDatagram } from '../sys/unixsock.js';
import { UnixDatagramClient } from '../sys/unixdgram.js';
import { becomeSubreaper, sync } from '../sys/process.js';
import { ask, type Request, type Verb } from '../daemon/control.js';
import { DAEMON_NODE_FLAGS, runDaemon, type DaemonCore, type Runtime } from '../daemon/runtime.js';
import { Manager, type UnitStatus } from './manager.js';
import { Reaper } from './reaper.js';
import { END_STATUS, endSystem, killRemaining, type SystemEnd } from './shutdown.js';
import { bootTargetOf, runlevelOfTarget, targetName } from './runlevel.js';
import { wall, wallText } from './wall.js';
import { defaultControl, defaultStateDir } from './commands.js';
import { serviceName } from './units/specifiers.js';
import { diagnosticText } from './units/unit.js';
import { runConsoleShell } from './single.js';
import { disableUnits, enablement, enableUnits } from './install.js';
import { renderInitStatus, summarizeInit, unitTable, type InitStatus } from './status.js';
import type { RunnerHost } from './runner.js';

export const INIT_HELP = `Usage: dk init [--units DIR]... [--sysv DIR]... [--target NAME] [--control SOCKET]
               [--syslog-socket PATH] [--state-dir DIR] [--restart-cap SECS]

  --units DIR      .service, .target and .socket files (repeatable; the first
                   definition of a name wins). As PID 1 the default is
                   /etc/dk/system, /etc/systemd/system, /lib/systemd/system
  --sysv DIR       SysV scripts with LSB headers (PID 1 default: /etc/init.d)
  --target NAME    multi-user (default), rescue, graphical, any .target, a runlevel 1-5 or runlevelN.target
  --control PATH   dk initctl's socket (default STATE-DIR/control.sock)
  --syslog-socket  where service output goes (default /dev/log; else the console)
  --state-dir DIR  sockets (default /run/dk-init, or /tmp/dk-init-UID unprivileged)
  --restart-cap S  longest wait between restarts, and the retry interval of a failed unit (default 30)
  --kill-grace S   as PID 1, how long the processes left after the units get between SIGTERM and SIGKILL (default 5)
  --cmdline TEXT   boot parameters (as PID 1 the default is /proc/cmdline): single, S, 1 or rescue
                   (single-user), emergency or -b, a runlevel 2-5, systemd.unit=NAME; they win over --target
  --utmp PATH      who is logged in, for shutdown notices (default /run/utmp)
  --console PATH   the terminal of the single-user and emergency shell (default /dev/console as PID 1)
  --no-password    that shell without sulogin's password (else sulogin(8) asks for root's)
  --sulogin-force  sulogin --force: a locked root account still gets the shell (SYSTEMD_SULOGIN_FORCE=1 too)
Signals: TERM and INT stop every unit in reverse order, sync, and exit.
poweroff, halt, reboot (dk initctl, dk shutdown): the same, then as PID 1 every process left is
stopped, file systems unmounted and reboot(2) called; not PID 1, dk init exits 0 (poweroff),
133 (reboot) or 134 (halt).
`;

export const INITCTL_HELP = `Usage: dk initctl [--control PATH] [--json] COMMAND [UNIT]

  status [UNIT]   list             start UNIT      stop UNIT
  restart UNIT    reload UNIT      isolate TARGET  poweroff | halt | reboot
  enable UNIT...  disable UNIT...  is-enabled UNIT daemon-reload
  --units DIR: enable, disable and is-enabled on the files, without dk init
  runlevel        (also: dk shutdown, dk halt, dk poweroff, dk reboot, dk telinit, dk runlevel)
`;

export interface InitIO {
  write(s: string): void;
  error(s: string): void;
}

/** isolating one of these ends the system, as in systemd */
const END_TARGETS: Record<string, SystemEnd> = { 'poweroff.target': 'poweroff', 'halt.target': 'halt', 'reboot.target': 'reboot' };

export async function runInit(argv: string[], io: InitIO): Promise<number> {
  const pid1 = process.pid === 1;
  const units: string[] = [];
  const sysv: string[] = [];
  let target = 'multi-user.target';
  let control: string | undefined;
  let syslogSocket = '/dev/log';
  let stateDir = defaultStateDir();
  let capMs = 30_000;
  let killGraceMs = 5000;
  let cmdline: string | undefined;
  let utmp = '/run/utmp';
  let consolePath: string | undefined;
  let noPassword = false;
  let suloginForce = process.env.SYSTEMD_SULOGIN_FORCE === '1';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i] ?? '';
    if (a === '--units') units.push(v());
    else if (a === '--sysv') sysv.push(v());
    else if (a === '--target') target = v();
    else if (a === '--control') control = v();
    else if (a === '--syslog-socket') syslogSocket = v();
    else if (a === '--state-dir') stateDir = v();
    else if (a === '--restart-cap') capMs = Number(v()) * 1000;
    else if (a === '--kill-grace') killGraceMs = Number(v()) * 1000;
    else if (a === '--cmdline') cmdline = v();
    else if (a === '--utmp') utmp = v();
    else if (a === '--console') consolePath = v();
    else if (a === '--no-password') noPassword = true;
    else if (a === '--sulogin-force') suloginForce = true;
    else if (a === '-h' || a === '--help') {
      io.write(INIT_HELP);
      return 0;
    } else {
      io.error(`dk init: unknown argument '${a}' (see 'dk init --help')\n`);
      return 1;
    }
  }
  if (!(capMs > 0) || !(killGraceMs >= 0)) {
    io.error(`dk init: ${capMs > 0 ? '--kill-grace' : '--restart-cap'} takes seconds\n`);
    return 1;
  }
  target = targetName(target);
  if (cmdline === undefined && pid1) {
    try {
      cmdline = fs.readFileSync('/proc/cmdline', 'utf8');
    } catch {
      cmdline = '';
    }
  }
  const defaultTarget = target;
  const asked = bootTargetOf(cmdline ?? '');
  if (asked) target = asked;
  if (!units.length) {
    if (!pid1) {
      io.error('dk init: give the unit directories with --units DIR (defaults apply only as PID 1)\n');
      return 1;
    }
    units.push('/etc/dk/system', '/etc/systemd/system', '/lib/systemd/system');
    if (!sysv.length) sysv.push('/etc/init.d');
  }
  const log = (line: string) => io.error(`${line}\n`);
  // never leave because of one mistake: as PID 1 that would take the system down
  process.on('uncaughtException', (e) => log(`dk init: internal error: ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => log(`dk init: internal error: ${(e as Error)?.stack ?? String(e)}`));
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  control ??= join(stateDir, 'control.sock');
  if (!pid1 && !becomeSubreaper()) log('dk init: cannot become a child subreaper; orphans go to PID 1');
  const reaper = new Reaper();
  const syslog = new UnixDatagramClient(syslogSocket);
  const notifyPath = join(stateDir, 'notify.sock');
  const host: RunnerHost = {
    reaper,
    notifyPath,
    restartCapMs: capMs,
    burst: { count: 5, windowMs: 10_000 },
    log,
    changed: () => {},
    output(unit, pid, line) {
      const tag = unit.replace(/\.service$/, '');
      // daemon.info, tagged with the unit: into syslog when one listens, else the console
      if (!syslog.send(Buffer.from(`<30>${tag}[${pid}]: ${line}`))) io.error(`${tag}[${pid}]: ${line}\n`);
    },
  };
  const manager = new Manager(host);
  const reach = async (t: string): Promise<void> => {
    const t0 = performance.now();
    await manager.isolate(t).then(
      (r) => log(`dk init: ${t} reached in ${(performance.now() - t0).toFixed(0)} ms${r.failed.length ? `; failed: ${r.failed.join(', ')}` : ''}`),
      (e: Error) => log(`dk init: cannot boot ${t}: ${e.message}`),
    );
  };
  /**
   * Single-user (rescue) and emergency boots: a root shell on the console,
   * after rescue.target's units or before anything (emergency); when it
   * exits, the boot goes on to the default target, as the seed tells it.
   */
  const boot = async (): Promise<void> => {
    const single = target === 'rescue.target' || target === 'emergency.target';
    if (!single) return reach(target);
    if (target === 'rescue.target' && manager.resolve(target)) await reach(target);
    else manager.target = target;
    const how = await runConsoleShell(
      { console: consolePath ?? (pid1 ? '/dev/console' : '/dev/tty'), noPassword, force: suloginForce },
      target === 'emergency.target' ? 'emergency mode' : 'single-user mode',
      log,
      reaper,
    );
    // the machine may be going down from the shell (dk poweroff): then there is nothing to continue
    if (stopping) return;
    log(`dk init: the ${target === 'emergency.target' ? 'emergency' : 'single-user'} shell ${how}: continuing to ${defaultTarget}`);
    await reach(defaultTarget);
  };
  let stopping = false;
  let notify: UnixLogSocket | undefined;
  let settle: NodeJS.Timeout | undefined;
  const core: DaemonCore<InitStatus> = {
    name: 'init',
    check: () => manager.problems.map(diagnosticText),
    async start() {
      manager.load(units, sysv);
      for (const w of manager.warnings) log(`dk init: ${diagnosticText(w)}`);
      for (const p of manager.problems) log(`dk init: ${diagnosticText(p)} (unit not loaded)`);
      notify = UnixLogSocket.open(notifyPath, 4096, (batch, count) =>
        forEachDatagram(batch, count, (b, start, end, pid) => {
          const text = b.toString('utf8', start, end);
          for (const r of manager.runners.values()) if (r.notify(pid, text)) break;
        }),
      );
      settle = setInterval(() => {
        for (const r of manager.runners.values()) r.settle();
      }, 5000);
      settle.unref();
      log(`dk init: ${pid1 ? 'PID 1' : `subreaper (pid ${process.pid})`}, ${manager.units.size} units, control ${control}`);
      // the boot goes on while initctl can already ask and act
      void boot();
    },
    // SIGHUP, as for systemd: daemon-reload (what runs keeps running)
    reload: async () => ({ ok: true, problems: manager.reload().map(diagnosticText) }),
    async stop() {
      stopping = true;
      await manager.stopAll();
      // as PID 1 nothing may outlive init: what the units left behind (and what never was a unit)
      if (pid1) await killRemaining(reaper, log, killGraceMs, (p) => reaper.isNodes(p));
      sync();
      log('dk init: stopped, file systems synced');
      if (settle) clearInterval(settle);
      manager.close();
      await notify?.close();
      reaper.close();
    },
    status: () => ({ pid1, target: manager.target, units: manager.status() }),
    summary: summarizeInit,
    render: renderInitStatus,
    verbs: (rt) =>
      initVerbs(
        manager,
        rt,
        (kind) => endOf(kind, pid1, log),
        (text) => wall(wallText(text, 'root', new Date()), utmp),
      ),
  };
  return runDaemon(core, {
    foreground: true,
    foregroundArgv: ['init', ...argv],
    control,
    // a long-lived supervisor that mostly waits: V8's lite mode (no optimizing compiler) on top
    // takes its resident set with 50 services from 67 to 54 MiB without slowing the boot (bench
    // boot); --no-expose-wasm, which lite mode needs, said aloud, or Node warns at every start
    nodeFlags: [...DAEMON_NODE_FLAGS, '--no-expose-wasm', '--lite-mode'],
    log,
    error: io.error,
  });
}

function installOffline(cmd: string, names: string[], dirs: string[], io: InitIO): number {
  if (cmd === 'is-enabled') {
    const state = enablement(names[0], dirs);
    io.write(`${state ?? 'not-found'}\n`);
    return state === 'enabled' ? 0 : 1;
  }
  const r = (cmd === 'enable' ? enableUnits : disableUnits)(names, dirs);
  for (const c of r.changes) io.write(`${c}\n`);
  for (const p of r.problems) io.error(`dk initctl: ${p}\n`);
  return r.problems.length ? 1 : 0;
}

/** After the units and what was left stopped: the machine (or namespace) ends, or dk init exits saying which end was asked. */
function endOf(kind: SystemEnd, pid1: boolean, log: (s: string) => void): never {
  if (pid1) {
    const why = endSystem(kind, log);
    log(`dk init: ${why}; exiting instead`);
  }
  process.exit(END_STATUS[kind]);
}

/** initctl's verbs; status, stop and reload without a unit are the runtime's (dk init itself). */
function initVerbs(manager: Manager, rt: Runtime<InitStatus>, end: (kind: SystemEnd) => void, notify: (text: string) => string[]): Record<string, Verb> {
  const unitOf = (req: Request) => (typeof req.unit === 'string' ? serviceName(req.unit) : undefined);
  const need = (req: Request) => {
    // an instance of a template is made the first time it is named (initctl start getty@tty3); an alias names its unit
    const u = manager.resolve(unitOf(req) ?? '');
    const r = u && manager.runners.get(u.name);
    if (!r) throw new Error(`unit ${typeof req.unit === 'string' ? req.unit : '(none)'} does not exist`);
    return r;
  };
  const shutdown = (why: string) => {
    setImmediate(() => void rt.stop(why).then((c) => process.exit(c)));
    return { ok: true };
  };
  const endSystem = (kind: SystemEnd) => {
    setImmediate(() => void rt.stop(kind).then(() => end(kind)));
    return { ok: true };
  };
  const WORDS: Record<SystemEnd, string> = { poweroff: 'power off', halt: 'halt', reboot: 'reboot' };
  /** a shutdown(8) that is waiting for its time */
  let pending: { kind: SystemEnd; at: number; message: string; timer: NodeJS.Timeout } | undefined;
  const stamp = (ms: number) => new Date(ms).toUTCString();
  const change = (run: (req: Request) => Promise<unknown> | unknown): Verb => ({ changes: true, run });
  const namesOf = (req: Request): string[] =>
    Array.isArray(req.units) && req.units.length ? req.units.map(String) : typeof req.unit === 'string' ? [req.unit] : [];
  return {
    list: { changes: false, run: () => ({ target: manager.target, units: manager.status() }) },
    status: {
      changes: false,
      run: (req) => (req.unit === undefined ? rt.status() : { target: manager.target, units: manager.status(need(req).unit.name) }),
    },
    start: change(async (req) => ({ ok: await manager.startOne(need(req).unit.name), units: manager.status(need(req).unit.name) })),
    stop: change(async (req) => {
      if (req.unit === undefined) return shutdown('stop');
      await need(req).stop();
      return { ok: true, units: manager.status(need(req).unit.name) };
    }),
    restart: change(async (req) => {
      await need(req).stop();
      return { ok: await manager.startOne(need(req).unit.name), units: manager.status(need(req).unit.name) };
    }),
    reload: change(async (req) => {
      if (req.unit === undefined) return rt.reload();
      await need(req).reload();
      return { ok: true };
    }),
    isolate: change(async (req) => {
      const t = targetName(typeof req.unit === 'string' ? req.unit : '');
      if (END_TARGETS[t]) return { ...endSystem(END_TARGETS[t]), target: t };
      const r = await manager.isolate(t);
      return { ok: r.failed.length === 0, failed: r.failed, target: t };
    }),
    'daemon-reload': change(() => ({ ok: true, problems: manager.reload().map(diagnosticText) })),
    enable: change((req) => {
      const r = enableUnits(namesOf(req), manager.dirs);
      manager.reload();
      return { ok: r.problems.length === 0, changes: r.changes, problems: r.problems };
    }),
    disable: change((req) => {
      const r = disableUnits(namesOf(req), manager.dirs);
      manager.reload();
      return { ok: r.problems.length === 0, changes: r.changes, problems: r.problems };
    }),
    'is-enabled': {
      changes: false,
      run: (req) => {
        const state = enablement(namesOf(req)[0] ?? '', manager.dirs) ?? 'not-found';
        return { ok: state === 'enabled', state };
      },
    },
    runlevel: {
      changes: false,
      run: () => ({ previous: runlevelOfTarget(manager.previousTarget) ?? 'N', current: runlevelOfTarget(manager.target) ?? 'unknown' }),
    },
    // shutdown(8): at a time, with a notice to who is logged in; one pending at a time, the last asked wins
    schedule: change((req) => {
      const kind = req.kind as SystemEnd;
      const at = Number(req.at);
      if (!WORDS[kind] || !Number.isFinite(at)) throw new Error('schedule needs kind (poweroff, halt, reboot) and at (ms since the epoch)');
      const message = typeof req.message === 'string' ? req.message : '';
      const warnOnly = req.warnOnly === true;
      const when = at <= Date.now() ? 'now' : `at ${stamp(at)}`;
      const reached = req.wall === false ? [] : notify(`The system will ${WORDS[kind]} ${when}!${message ? `\n${message}` : ''}`);
      if (warnOnly) return { ok: true, warned: reached };
      if (pending) clearTimeout(pending.timer);
      const timer = setTimeout(
        () => {
          pending = undefined;
          endSystem(kind);
        },
        Math.max(0, at - Date.now()),
      );
      pending = { kind, at, message, timer };
      return { ok: true, kind, at, warned: reached };
    }),
    cancel: change((req) => {
      if (!pending) return { ok: false, error: 'no shutdown is scheduled' };
      clearTimeout(pending.timer);
      const was = { kind: pending.kind, at: pending.at };
      pending = undefined;
      const reached = req.wall === false ? [] : notify('System shutdown has been cancelled');
      return { ok: true, cancelled: was, warned: reached };
    }),
    scheduled: { changes: false, run: () => ({ ok: true, scheduled: pending && { kind: pending.kind, at: pending.at, message: pending.message } }) },
    poweroff: change(() => endSystem('poweroff')),
    halt: change(() => endSystem('halt')),
    reboot: change(() => endSystem('reboot')),
  };
}

export async function runInitctl(argv: string[], io: InitIO): Promise<number> {
  let control = defaultControl();
  let json = false;
  const rest: string[] = [];
  const offlineDirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--control') control = argv[++i] ?? control;
    else if (argv[i] === '--units') offlineDirs.push(argv[++i] ?? '');
    else if (argv[i] === '--json') json = true;
    else if (argv[i] === '-h' || argv[i] === '--help') {
      io.write(INITCTL_HELP);
      return 0;
    } else rest.push(argv[i]);
  }
  const [cmd = 'list', unit] = rest;
  if (['start', 'stop', 'restart', 'reload', 'isolate', 'enable', 'disable', 'is-enabled'].includes(cmd) && !unit) {
    io.error(`dk initctl: ${cmd} needs a unit\n`);
    return 1;
  }
  // enable and disable are file work: with --units they are done here, dk init running or not (systemctl's offline mode)
  if (offlineDirs.length && ['enable', 'disable', 'is-enabled'].includes(cmd)) return installOffline(cmd, rest.slice(1), offlineDirs, io);
  let r: Record<string, unknown>;
  try {
    r = await ask(control, { cmd, unit, units: rest.slice(1) });
  } catch (e) {
    io.error(`dk initctl: ${(e as Error).message}\n`);
    return 1;
  }
  if (json) io.write(`${JSON.stringify(r)}\n`);
  if (r.error) {
    if (!json) io.error(`dk initctl: ${String(r.error)}\n`);
    return 1;
  }
  // status without a unit is dk init's own status, whose detail lists the units
  const units = r.units ?? (r.detail as InitStatus | undefined)?.units;
  if (!json && Array.isArray(units)) {
    const list = units as UnitStatus[];
    if (cmd === 'status' && unit && list[0]) {
      const u = list[0];
      io.write(
        `${u.name} - ${u.description ?? ''}\n   State: ${u.state}${u.result ? ` (${u.result})` : ''}\n${u.pid ? `    Main PID: ${u.pid}\n` : ''}${u.status ? `    Status: ${u.status}\n` : ''}${u.retryAt ? `    Next try: in ${Math.max(0, Math.round((u.retryAt - Date.now()) / 1000))} s\n` : ''}`,
      );
    } else io.write(unitTable(list));
  }
  if (!json && Array.isArray(r.changes)) for (const c of r.changes as string[]) io.write(`${c}\n`);
  if (!json && Array.isArray(r.problems)) for (const p of r.problems as string[]) io.error(`dk initctl: ${p}\n`);
  if (!json && cmd === 'is-enabled') io.write(`${String(r.state)}\n`);
  if (!json && cmd === 'isolate')
    io.write(`${String(r.target)}${(r.failed as string[])?.length ? `: failed ${(r.failed as string[]).join(', ')}` : ' reached'}\n`);
  return r.ok === false ? 1 : 0;
}
