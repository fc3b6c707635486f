/**
 * One unit's life: ExecStartPre, the main process started as its Type
 * says it is ready (simple: started; exec: executed; oneshot: exited 0;
 * notify: READY=1 on NOTIFY_SOCKET; forking: the parent exited and the
 * PIDFile names the daemon), ExecStartPost, watching it, restarting it
 * with exponential backoff (a burst of restarts marks it failed and it is
 * tried again at the capped interval, never given up), and stopping it
 * (ExecStop, then KillSignal to its process group, SIGKILL after
 * TimeoutStopSec). Every transition is logged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createInterface } from 'node:readline';
import { constants } from 'node:os';
import { systemAccount } from '../proc/users.js';
import { stateOf } from '../proc/tasks.js';
import { wrapExec } from '../sys/execwrap.js';
import type { HostFacts } from './units/specifiers.js';
import type { Reaper } from './reaper.js';
import type { ExecLine, Unit } from './units/unit.js';

export type UnitState = 'inactive' | 'starting' | 'active' | 'stopping' | 'failed' | 'auto-restart';

export interface RunnerHost {
  reaper: Reaper;
  /** NOTIFY_SOCKET for Type=notify services */
  notifyPath?: string;
  output(unit: string, pid: number, line: string): void;
  log(line: string): void;
  changed(r: UnitRunner): void;
  restartCapMs: number;
  burst: { count: number; windowMs: number };
  /** descriptors passed as LISTEN_FDS (socket activation) */
  listenFds?(unit: string): number[];
  /** what unit specifiers (%H, %b, %h ...) resolve to; read from the machine when first needed */
  facts?: HostFacts;
}

const signalNumber = (s: string): number => constants.signals[(s.startsWith('SIG') ? s : `SIG${s}`) as NodeJS.Signals] ?? constants.signals.SIGTERM;

/** KEY=VALUE lines of an EnvironmentFile (comments, blank lines, optional quotes). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l);
    if (!m || l.startsWith('#')) continue;
    out[m[1]] = m[2].replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return out;
}

export class UnitRunner {
  state: UnitState = 'inactive';
  /** when the state last changed, ms since the epoch */
  since = Date.now();
  /** restarts dk init made on its own (Restart=) */
  restarts = 0;
  mainPid: number | undefined;
  /** why it last failed or ended */
  result = '';
  retryAt: number | undefined;
  status = '';
  private starts: number[] = [];
  private consecutive = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private ready: ((ok: boolean) => void) | undefined;
  private starting: Promise<boolean> | undefined;
  private stopping = false;
  private mainExited: Promise<void> | undefined;

  constructor(
    /** replaced by daemon-reload; what runs keeps running */
    public unit: Unit,
    private readonly host: RunnerHost,
  ) {}

  private set(state: UnitState, why = ''): void {
    if (this.state === state && !why) return;
    if (this.state !== state) this.since = Date.now();
    this.state = state;
    // a unit that is up again no longer carries how it last ended
    if (why) this.result = why;
    else if (state === 'active') this.result = '';
    this.host.log(`dk init: ${this.unit.name}: ${state}${why ? ` (${why})` : ''}`);
    this.host.changed(this);
  }

  /** Starts the unit; true once it is ready, false if it failed. */
  start(): Promise<boolean> {
    if (this.state === 'active') return Promise.resolve(true);
    if (this.starting) return this.starting;
    clearTimeout(this.restartTimer);
    this.retryAt = undefined;
    this.starting = this.run().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private env(): NodeJS.ProcessEnv {
    const s = this.unit.service!;
    const env: NodeJS.ProcessEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: process.env.LANG ?? 'C.UTF-8' };
    for (const f of s.environmentFiles) {
      try {
        Object.assign(env, parseEnvFile(fs.readFileSync(f.path, 'utf8')));
      } catch (e) {
        if (!f.optional) throw new Error(`EnvironmentFile ${f.path}: ${(e as NodeJS.ErrnoException).code}`);
      }
    }
    Object.assign(env, s.environment);
    if (s.type === 'notify' && this.host.notifyPath) env.NOTIFY_SOCKET = this.host.notifyPath;
    return env;
  }

  /** User=/Group= as systemd applies them: uid, gid and the groups initgroups(3) gives (only root can switch). */
  private ids(): { uid: number; gid: number; groups: number[] } | undefined {
    const s = this.unit.service!;
    if ((!s.user && !s.group) || process.getuid?.() !== 0) return undefined;
    const a = systemAccount(s.user ?? 'root', s.group);
    if (typeof a === 'string') throw new Error(a);
    return a;
  }

  private spawnLine(line: ExecLine, extraFds: number[] = [], readinessFd?: number): ChildProcess {
    const s = this.unit.service!;
    const env = this.env();
    const fds = extraFds;
    const ids = this.ids();
    let [file, args] = [line.argv[0], line.argv.slice(1)];
    if (fds.length) Object.assign(env, { LISTEN_FDS: String(fds.length), LISTEN_FDNAMES: fds.map(() => this.unit.name.replace(/\.service$/, '')).join(':') });
    // LISTEN_PID (the server's own pid) and initgroups' groups need code between fork and exec
    if (fds.length || ids) [file, args] = wrapExec({ ...ids, listenPid: fds.length > 0 }, line.argv[0], line.argv);
    const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'pipe', 'pipe', ...fds];
    if (readinessFd !== undefined) {
      if (readinessFd < stdio.length) throw new Error(`ReadinessFd=${readinessFd} is taken by a socket (LISTEN_FDS from 3)`);
      while (stdio.length < readinessFd) stdio.push('ignore');
      stdio.push('pipe');
    }
    const c = spawn(file, args, { cwd: s.workingDirectory ?? '/', env, detached: true, stdio });
    if (c.pid) this.host.reaper.ownedByNode(c.pid);
    c.on('exit', () => c.pid && this.host.reaper.nodeDone(c.pid));
    for (const stream of [c.stdout, c.stderr])
      if (stream) createInterface({ input: stream }).on('line', (l) => this.host.output(this.unit.name, c.pid ?? 0, l));
    return c;
  }

  /** A command run to its end (ExecStartPre/Post, ExecStop, oneshot ExecStart). */
  private runToEnd(line: ExecLine, timeoutMs: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      let c: ChildProcess;
      try {
        c = this.spawnLine(line);
      } catch (e) {
        return resolve((e as Error).message);
      }
      const t = Number.isFinite(timeoutMs) ? setTimeout(() => killGroup(c.pid, 'SIGKILL'), timeoutMs) : undefined;
      c.on('error', (e) => resolve(`${line.argv[0]}: ${e.message}`));
      c.on('exit', (code, sig) => {
        clearTimeout(t);
        const bad = sig ? `${line.argv[0]} killed by ${sig}` : code ? `${line.argv[0]} exited ${code}` : undefined;
        resolve(bad && !line.ignoreFailure ? bad : undefined);
      });
    });
  }

  private async run(): Promise<boolean> {
    const u = this.unit;
    if (u.kind !== 'service') {
      this.set('active');
      return true;
    }
    const s = u.service!;
    this.stopping = false;
    this.starts.push(Date.now());
    this.set('starting');
    for (const pre of s.execStartPre) {
      const bad = await this.runToEnd(pre, s.timeoutStartMs);
      if (bad) return this.fail(`ExecStartPre: ${bad}`);
    }
    if (s.type === 'oneshot') {
      for (const line of s.execStart) {
        const bad = await this.runToEnd(line, s.timeoutStartMs);
        if (bad) return this.fail(bad);
      }
      for (const post of s.execStartPost) await this.runToEnd(post, s.timeoutStartMs);
      this.set(s.remainAfterExit ? 'active' : 'inactive', 'finished');
      return true;
    }
    const ok = await new Promise<boolean>((resolve) => {
      this.ready = resolve;
      let c: ChildProcess;
      try {
        c = this.spawnLine(s.execStart[0], this.host.listenFds?.(u.name) ?? [], s.readinessFd);
      } catch (e) {
        return resolve(this.fail((e as Error).message));
      }
      this.mainPid = c.pid;
      const timer = Number.isFinite(s.timeoutStartMs)
        ? setTimeout(() => {
            if (this.state === 'starting') {
              killGroup(this.mainPid, 'SIGKILL');
              this.ready?.(this.fail(`not ready within ${s.timeoutStartMs / 1000} s`));
            }
          }, s.timeoutStartMs)
        : undefined;
      this.mainExited = new Promise((done) => {
        c.on('error', (e) => {
          clearTimeout(timer);
          this.ready?.(this.fail(`${s.execStart[0].argv[0]}: ${e.message}`));
          done();
        });
        c.on('exit', (code, sig) => {
          clearTimeout(timer);
          if (s.type === 'forking' && this.state === 'starting' && code === 0) {
            void this.adoptForked(resolve, timer).then(done);
            return;
          }
          this.exited(code, sig ? signalNumber(sig) : null, c.pid);
          done();
        });
      });
      if (s.readinessFd !== undefined) {
        // s6's notification-fd: a newline on the descriptor means ready, whatever the Type
        let seen = '';
        const pipe = c.stdio[s.readinessFd] as NodeJS.ReadableStream | null;
        pipe?.on('data', (b: Buffer) => {
          seen += b.toString('latin1');
          if (seen.includes('\n') && this.state === 'starting') this.ready?.(true);
        });
        pipe?.on('error', () => {});
      } else if (s.type === 'simple') resolve(true);
      else if (s.type === 'exec') c.once('spawn', () => resolve(true));
      // notify: READY=1 resolves; forking: the parent's exit and the PIDFile
    });
    this.ready = undefined;
    if (!ok) return false;
    for (const post of s.execStartPost) await this.runToEnd(post, s.timeoutStartMs);
    this.set('active');
    return true;
  }

  /** Type=forking: the daemon is whoever the PIDFile names; we follow it (as subreaper it is our child). */
  private async adoptForked(resolve: (ok: boolean) => void, timer: NodeJS.Timeout | undefined): Promise<void> {
    const s = this.unit.service!;
    const end = Date.now() + (Number.isFinite(s.timeoutStartMs) ? s.timeoutStartMs : 90_000);
    let pid: number | undefined;
    while (Date.now() < end && s.pidFile) {
      try {
        pid = Number(fs.readFileSync(s.pidFile, 'utf8').trim());
        if (pid > 0) break;
      } catch {
        // not written yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    clearTimeout(timer);
    if (!pid || !alive(pid)) return resolve(this.fail(s.pidFile ? `${s.pidFile} names no running process` : 'no PIDFile= to find the daemon by'));
    this.follow(pid);
    resolve(true);
  }

  /**
   * pid is the main process from now on (a forking daemon, or MAINPID= from
   * sd_notify): its exit is the unit's, heard from the reaper when it is our
   * child (as subreaper or init it becomes one once its parent exits),
   * otherwise by looking now and then. The process before it is no longer
   * the unit's: its exit is ignored.
   */
  private follow(pid: number): void {
    this.mainPid = pid;
    this.mainExited = new Promise((done) => {
      let reported = false;
      const report = (code: number | null, signal: number | null) => {
        if (reported) return;
        reported = true;
        clearInterval(t);
        this.exited(code, signal, pid);
        done();
      };
      this.host.reaper.watch(pid, (st) => report(st.code, st.signal));
      const t = setInterval(() => !alive(pid) && report(null, null), 500);
    });
  }

  /** A datagram on NOTIFY_SOCKET from pid (systemd's sd_notify protocol). */
  notify(pid: number | undefined, text: string): boolean {
    if (!this.mainPid || (pid !== this.mainPid && pgidOf(pid) !== this.mainPid)) return false;
    for (const line of text.split('\n')) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const [k, v] = [line.slice(0, eq), line.slice(eq + 1)];
      if (k === 'READY' && v === '1' && this.state === 'starting') this.ready?.(true);
      else if (k === 'STATUS') this.status = v;
      else if (k === 'MAINPID' && /^\d+$/.test(v) && Number(v) > 1 && Number(v) !== this.mainPid) {
        if (alive(Number(v))) {
          this.host.log(`dk init: ${this.unit.name}: main process is now ${v} (MAINPID=)`);
          this.follow(Number(v));
        } else this.host.log(`dk init: ${this.unit.name}: MAINPID=${v} names no running process, ignored`);
      }
    }
    return true;
  }

  /** The main process ended; pid: which one (a late report about an earlier one is ignored). */
  private exited(code: number | null, signal: number | null, pid?: number): void {
    if (pid !== undefined && pid !== this.mainPid) return;
    const what = signal !== null ? `killed by signal ${signal}` : code === null ? 'gone' : `exited ${code}`;
    const wasPid = this.mainPid;
    this.mainPid = undefined;
    if (this.stopping) return;
    if (this.state === 'starting') {
      this.ready?.(this.fail(`main process ${what} before it was ready`));
      return;
    }
    const s = this.unit.service!;
    const failure = signal !== null || (code !== 0 && code !== null);
    const restart = s.restart === 'always' || (s.restart === 'on-failure' && failure);
    this.host.log(`dk init: ${this.unit.name}: main process ${wasPid ?? ''} ${what}`);
    if (!restart) return this.set(failure ? 'failed' : 'inactive', what);
    this.scheduleRestart(what);
  }

  private scheduleRestart(why: string): void {
    const s = this.unit.service!;
    const now = Date.now();
    this.starts = this.starts.filter((t) => t > now - this.host.burst.windowMs);
    let delay: number;
    if (this.starts.length >= this.host.burst.count) {
      // too many starts in the window: failed, and tried again at the cap (never given up)
      delay = this.host.restartCapMs;
      this.set('failed', `${why}; ${this.starts.length} starts within ${this.host.burst.windowMs / 1000} s, next try in ${delay / 1000} s`);
      this.starts = [];
    } else {
      delay = Math.min(s.restartMs * 2 ** this.consecutive, this.host.restartCapMs);
      this.consecutive++;
      this.set('auto-restart', `${why}; restart in ${delay} ms`);
    }
    this.retryAt = now + delay;
    this.restartTimer = setTimeout(() => {
      this.restarts++;
      void this.start();
    }, delay);
  }

  private fail(why: string): boolean {
    this.set('failed', why);
    return false;
  }

  /** A start that reached active and stayed up for the window resets the backoff. */
  settle(): void {
    if (this.state === 'active' && this.starts.at(-1)! < Date.now() - this.host.burst.windowMs) this.consecutive = 0;
  }

  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.retryAt = undefined;
    if (this.starting) {
      // a unit still waiting to be ready is stopped now, not after its start timeout
      const ready = this.ready;
      if (ready) {
        this.stopping = true;
        this.ready = undefined;
        ready(false);
      }
      await this.starting.catch(() => false);
      if (ready) this.state = 'starting';
    }
    const s = this.unit.service;
    if (!s || this.state === 'inactive' || this.state === 'failed' || this.state === 'auto-restart') {
      if (this.state !== 'failed') this.set('inactive');
      return;
    }
    this.stopping = true;
    this.set('stopping');
    for (const line of s.execStop) await this.runToEnd(line, s.timeoutStopMs);
    const pid = this.mainPid;
    if (pid && alive(pid)) {
      const whole = s.killMode !== 'process' && s.killMode !== 'none';
      if (s.killMode !== 'none') (whole ? killGroup : killPid)(pid, s.killSignal.startsWith('SIG') ? s.killSignal : `SIG${s.killSignal}`);
      const gone = await Promise.race([
        this.mainExited?.then(() => true) ?? waitGone(pid, s.timeoutStopMs),
        sleep(Number.isFinite(s.timeoutStopMs) ? s.timeoutStopMs : 90_000).then(() => false),
      ]);
      if (!gone) {
        this.host.log(`dk init: ${this.unit.name}: still running after ${s.timeoutStopMs / 1000} s, SIGKILL`);
        killGroup(pid, 'SIGKILL');
        await Promise.race([this.mainExited ?? Promise.resolve(), sleep(2000)]);
      }
    }
    this.mainPid = undefined;
    this.stopping = false;
    this.set('inactive', 'stopped');
  }

  async reload(): Promise<void> {
    const s = this.unit.service;
    if (!s || this.state !== 'active') return;
    if (s.execReload.length) for (const line of s.execReload) await this.runToEnd(line, s.timeoutStartMs);
    else if (this.mainPid) killPid(this.mainPid, 'SIGHUP');
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const s = stateOf(pid);
  return s !== undefined && s.state !== 'Z';
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + (Number.isFinite(ms) ? ms : 90_000);
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await sleep(20);
  }
  return false;
}

function pgidOf(pid: number | undefined): number | undefined {
  return pid ? stateOf(pid)?.pgid : undefined;
}

function killGroup(pid: number | undefined, sig: string): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig as NodeJS.Signals);
  } catch {
    killPid(pid, sig);
  }
}

function killPid(pid: number, sig: string): void {
  try {
    process.kill(pid, sig as NodeJS.Signals);
  } catch {
    // gone
  }
}
