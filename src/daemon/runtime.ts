/**
 * The life every dk daemon shares, in one place. A daemon hands over its
 * core (check, start, reload, stop, status); the runtime detaches it through
 * dk daemonize's double fork, holds the locked pidfile, names the process
 * (dk-NAME in ps, pstree, top and pgrep), tells a supervisor READY,
 * RELOADING and STOPPING through sd_notify, maps the signals (HUP reloads
 * and keeps the running configuration when the new one has problems,
 * TERM/INT stop in order, USR1 writes the status to the log) and answers
 * the control socket. Status is data: a typed object, of which every text
 * (USR1, dk status, sd_notify STATUS=) is a rendering.
 */
import * as fs from 'node:fs';
import type * as net from 'node:net';
import { dirname, resolve } from 'node:path';
import { closeOnExecInherited } from '../sys/cloexec.js';
import { nameProcess } from '../sys/proctitle.js';
import { reexecWith } from '../sys/reexec.js';
import { sdNotify } from '../sys/sdnotify.js';
import { answering, serveControl, type Verb } from './control.js';
import { daemonize, READY_FD_ENV } from './daemonize.js';
import { defaultControl } from './paths.js';
import { Pidfile } from './pidfile.js';

export type DaemonState = 'starting' | 'running' | 'reloading' | 'stopping';

export interface ReloadResult {
  /** false: the new configuration was not applied; the running one stays */
  ok: boolean;
  /** "file:line: reason" for each problem found */
  problems: string[];
}

export interface DaemonCore<S> {
  /** "syslogd": the process is called dk-syslogd */
  readonly name: string;
  /** the configuration file, shown in status */
  readonly configPath?: string;
  /** Problems of the configuration on disk ("file:line: reason"), without applying it. */
  check(): string[];
  /** Opens sockets and starts serving; throws with the reason it cannot. */
  start(): Promise<void>;
  /** A daemon that ends on its own (dk update -n) resolves this; it is then stopped without a word. */
  readonly finished?: Promise<void>;
  reload(): Promise<ReloadResult>;
  /** Ordered stop: inputs first, then what was accepted is written out; graceMs bounds waiting on others. */
  stop(graceMs: number): Promise<void>;
  status(): S;
  /** One line for sd_notify STATUS= and dk status's headline. */
  summary(s: S): string;
  /** The text USR1 writes to the log (default: the status as JSON). */
  render?(s: S): string;
  /** Verbs of this daemon on the control socket; one named like a runtime verb replaces it. */
  verbs?(rt: Runtime<S>): Record<string, Verb>;
}

/** What every daemon's status says around its own part (`detail`). */
export interface DaemonStatus<S = unknown> {
  /** syslogd, inetd, rpcbind, init, update */
  name: string;
  /** the process name in ps -e (comm) */
  comm: string;
  pid: number;
  ppid: number;
  uid: number;
  state: DaemonState;
  /** ISO 8601 */
  startedAt: string;
  uptimeSeconds: number;
  rssBytes: number;
  cpuSeconds: { user: number; system: number };
  config?: {
    path?: string;
    /** when the running configuration was read */
    loadedAt: string;
    /** reloads that took effect */
    reloads: number;
    /** the last reload asked for, applied or not */
    lastReload?: { at: string; ok: boolean; problems: string[] };
  };
  control?: string;
  pidfile?: string;
  /** the same line as sd_notify STATUS= */
  summary: string;
  detail: S;
}

export interface RuntimeOptions {
  /** stay attached (-n, -f); otherwise detach through dk daemonize */
  foreground: boolean;
  /** the dk command line that runs this daemon in the foreground, for detaching */
  foregroundArgv: string[];
  pidfile?: string;
  /** the control socket; null: none */
  control?: string | null;
  stateDir?: string;
  /** Node/V8 options the daemon runs with (a long-lived process: memory over start-up time) */
  nodeFlags?: string[];
  /** how long TERM lets the daemon's children and peers finish (default 5 s) */
  graceMs?: number;
  /** called once every socket is open, the control socket too: a daemon gives up root here (--user) */
  dropPrivileges?: () => void;
  log(line: string): void;
  error(text: string): void;
}

export interface Runtime<S> {
  status(): DaemonStatus<S>;
  reload(): Promise<ReloadResult>;
  /** Stops the daemon (why: logged, if given); resolves with the exit status once it is down. */
  stop(why?: string): Promise<number>;
}

/** argv with the values of the given path options made absolute (a detached daemon works from /). */
export function absolutePaths(argv: readonly string[], options: ReadonlySet<string>): string[] {
  return argv.map((x, i) => (i > 0 && options.has(argv[i - 1]) && x !== '' ? resolve(x) : x));
}

/** The default for long-lived daemons: a 1 MB young generation and no V8 worker pool (~5 MB less resident, same speed). */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--v8-pool-size=0'];

/**
 * Runs a daemon to its end; resolves with the exit status. In the parent
 * of a detaching daemon it resolves once the daemon reported READY (0) or
 * why it could not start (1, the reason on stderr).
 */
export async function runDaemon<S>(core: DaemonCore<S>, o: RuntimeOptions): Promise<number> {
  const who = `dk ${core.name}`;
  if (!o.foreground) {
    try {
      // dk itself, also when run through a link named after the tool (dk links): the stages are dk subcommands
      const dk = fs.realpathSync(process.argv[1] ?? '');
      await daemonize(
        {
          command: [process.execPath, ...(o.nodeFlags ?? DAEMON_NODE_FLAGS), dk, ...o.foregroundArgv],
          pidfile: o.pidfile,
          ready: true,
        },
        dk,
      );
      return 0;
    } catch (e) {
      o.error(`${who}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  reexecWith(o.nodeFlags ?? DAEMON_NODE_FLAGS);
  const ready = takeReadyFd();
  const fail = (why: string): number => {
    o.error(`${who}: ${why}\n`);
    ready?.(`ERR ${why}`);
    return 1;
  };
  let pidfile: Pidfile | undefined;
  if (o.pidfile) {
    const p = Pidfile.take(o.pidfile);
    if (typeof p === 'string') return fail(p);
    pidfile = p;
  }
  // descriptors of whoever started us must not reach the servers we start
  closeOnExecInherited();
  nameProcess(`dk-${core.name}`, [`dk-${core.name}`, ...o.foregroundArgv.slice(1)].join(' '));

  const started = new Date();
  let state: DaemonState = 'starting';
  let loadedAt = started;
  let reloads = 0;
  let lastReload: { at: string; ok: boolean; problems: string[] } | undefined;
  let controlPath: string | undefined;
  let server: net.Server | undefined;
  let stopping: Promise<number> | undefined;

  const rt: Runtime<S> = {
    status() {
      const detail = core.status();
      const cpu = process.cpuUsage();
      return {
        name: core.name,
        comm: `dk-${core.name}`,
        pid: process.pid,
        ppid: process.ppid,
        uid: process.getuid?.() ?? 0,
        state,
        startedAt: started.toISOString(),
        uptimeSeconds: Math.round((Date.now() - started.getTime()) / 1000),
        rssBytes: process.memoryUsage.rss(),
        cpuSeconds: { user: cpu.user / 1e6, system: cpu.system / 1e6 },
        config: core.configPath !== undefined || lastReload ? { path: core.configPath, loadedAt: loadedAt.toISOString(), reloads, lastReload } : undefined,
        control: controlPath,
        pidfile: o.pidfile,
        summary: core.summary(detail),
        detail,
      };
    },
    async reload() {
      if (state !== 'running') return { ok: false, problems: [`cannot reload while ${state}`] };
      state = 'reloading';
      // systemd's Type=notify-reload wants the monotonic time with RELOADING=1
      sdNotify(`RELOADING=1\nMONOTONIC_USEC=${(process.hrtime.bigint() / 1000n).toString()}`);
      let r: ReloadResult;
      try {
        r = await core.reload();
      } catch (e) {
        r = { ok: false, problems: [(e as Error).message] };
      }
      state = 'running';
      lastReload = { at: new Date().toISOString(), ok: r.ok, problems: r.problems };
      if (r.ok) {
        reloads++;
        loadedAt = new Date();
        o.log(`${who}: reloaded${r.problems.length ? ` (${r.problems.length} problems)` : ''}`);
      } else {
        for (const p of r.problems) o.log(`${who}: ${p}`);
        o.log(`${who}: reload refused, the running configuration stays`);
      }
      sdNotify(`READY=1\nSTATUS=${core.summary(core.status())}`);
      return r;
    },
    stop(why) {
      stopping ??= (async () => {
        state = 'stopping';
        sdNotify('STOPPING=1');
        if (why) o.log(`${who}: ${why}: stopping`);
        server?.close();
        try {
          if (controlPath) fs.rmSync(controlPath, { force: true });
        } catch {
          // made as root, and the daemon runs as another user now: the next start replaces it
        }
        try {
          await core.stop(o.graceMs ?? 5000);
        } catch (e) {
          o.log(`${who}: while stopping: ${(e as Error).message}`);
        }
        pidfile?.remove();
        return 0;
      })();
      return stopping;
    },
  };

  // signals first: a HUP or TERM during start-up must not kill us the default way
  let resolveEnd!: (code: number) => void;
  const ended = new Promise<number>((r) => (resolveEnd = r));
  const stop = (sig?: string) =>
    void rt.stop(sig).then((code) => {
      resolveEnd(code);
      // sockets and worker threads are closed; whatever libuv still holds must not keep us
      setImmediate(() => process.exit(code));
    });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (state === 'running') void rt.reload();
  });
  process.on('SIGUSR1', () => o.log((core.render ?? ((s: S) => JSON.stringify(s)))(core.status())));

  // the control socket is claimed before anything starts: a second instance on an explicit path starts nothing
  const controlWanted = o.control === null ? undefined : (o.control ?? defaultControl(core.name, o.stateDir));
  if (controlWanted && (await answering(controlWanted))) {
    if (o.control) {
      pidfile?.remove();
      return fail(`control socket ${controlWanted} is in use by another daemon`);
    }
    // a default path held by another instance: it keeps it
    o.log(`${who}: ${controlWanted} answers for another daemon; running without a control socket (give --control PATH)`);
  } else controlPath = controlWanted;

  try {
    await core.start();
  } catch (e) {
    await core.stop(0).catch(() => {});
    pidfile?.remove();
    return fail((e as Error).message);
  }
  if ((state as DaemonState) === 'stopping') return ended;
  state = 'running';
  void core.finished?.then(() => stop());

  if (controlPath) {
    try {
      fs.mkdirSync(dirname(controlPath), { recursive: true, mode: 0o755 });
      server = serveControl(controlPath, verbTable(core, rt, stop), o.log, who);
    } catch (e) {
      o.log(`${who}: no control socket at ${controlPath}: ${(e as Error).message}`);
      controlPath = undefined;
    }
  }
  if (o.dropPrivileges) {
    try {
      o.dropPrivileges();
    } catch (e) {
      // never go on as root when asked not to
      o.log(`${who}: cannot drop privileges: ${(e as Error).message}`);
      await rt.stop();
      return 1;
    }
  }
  sdNotify(`READY=1\nSTATUS=${core.summary(core.status())}\nMAINPID=${process.pid}`);
  ready?.('READY');
  return ended;
}

function verbTable<S>(core: DaemonCore<S>, rt: Runtime<S>, stop: (why: string) => void): Map<string, Verb> {
  const table = new Map<string, Verb>([
    ['status', { changes: false, run: () => rt.status() }],
    ['reload', { changes: true, run: () => rt.reload() }],
    [
      'stop',
      {
        changes: true,
        run: (_req, peer) => {
          // answered first, then stopped: the asker learns that it worked
          setImmediate(() => stop(`stop asked by pid ${peer.pid ?? '?'}`));
          return { ok: true };
        },
      },
    ],
  ]);
  for (const [k, v] of Object.entries(core.verbs?.(rt) ?? {})) table.set(k, v);
  return table;
}

/** The pipe dk daemonize waits on (DK_READY_FD): one line, then closed. */
function takeReadyFd(): ((line: string) => void) | undefined {
  const fd = Number(process.env[READY_FD_ENV]);
  delete process.env[READY_FD_ENV];
  if (!Number.isInteger(fd) || fd < 3) return undefined;
  let open = true;
  return (line) => {
    if (!open) return;
    open = false;
    try {
      fs.writeSync(fd, `${line}\n`);
      fs.closeSync(fd);
    } catch {
      // the caller is gone
    }
  };
}
