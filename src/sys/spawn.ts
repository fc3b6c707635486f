/**
 * Starting a program with posix_spawn(3) and learning of its end through
 * a pidfd. Node's spawn forks the whole Node process and waits on a pipe
 * for the exec (1.2 ms here for /bin/true); glibc's posix_spawn clones
 * without copying the address space (0.5 ms), which is what lets a
 * super-server start servers as fast as xinetd's fork of a small C
 * process. Under load the call runs on a libuv pool thread (the clone
 * waits for the exec, which takes a while), so the main thread keeps
 * accepting meanwhile; when little else runs it is made here, which saves
 * the round trip through the pool (sequential clients: +30% connections/s).
 * Children started here are not Node's: libuv never waits for them, and we
 * wait only for these pids (never waitpid(-1)).
 */
import { constants } from 'node:os';
import { errnoText } from './errno.js';
import { loadLibc } from './libc.js';
import type { Readiness } from './readiness.js';

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const WNOHANG = 1;

let attr: Buffer | undefined;

/**
 * The attributes every start uses: Node ignores SIGPIPE, and ignored signals
 * survive exec, so the server gets every signal at its default and none
 * blocked, as after libuv's fork. (glibc's posix_spawnattr_t is 336 bytes,
 * sigset_t 128; sized generously.)
 */
function spawnAttr(): Buffer {
  if (attr) return attr;
  const c = loadLibc();
  const a = Buffer.alloc(1024);
  c.posix_spawnattr_init(a);
  const all = Buffer.alloc(256);
  c.sigfillset(all);
  const none = Buffer.alloc(256);
  c.sigemptyset(none);
  c.posix_spawnattr_setsigdefault(a, all);
  c.posix_spawnattr_setsigmask(a, none);
  c.posix_spawnattr_setflags(a, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  return (attr = a);
}

const signalName = new Map(Object.entries(constants.signals).map(([k, v]) => [v, k]));

/** A process started here; exit reports like ChildProcess's 'exit'. */
export class SpawnedProcess {
  constructor(readonly pid: number) {}

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    loadLibc().kill(this.pid, constants.signals[signal]);
  }
}

/**
 * Starts path with argv (argv[0] included) and env ("K=V"), with fd 0, 1, 2
 * each a copy of the given descriptor, which must stay open until this
 * settles. Rejects with the errno's name.
 */
export function posixSpawn(path: string, argv: string[], env: string[], stdio: [number, number, number]): Promise<SpawnedProcess> {
  const l = loadLibc();
  const fa = Buffer.alloc(256);
  l.posix_spawn_file_actions_init(fa);
  for (const [i, fd] of stdio.entries()) l.posix_spawn_file_actions_adddup2(fa, fd, i);
  const pid = [0];
  const args: [number[], string, Buffer, Buffer, (string | null)[], (string | null)[]] = [pid, path, fa, spawnAttr(), [...argv, null], [...env, null]];
  const settle = (err: number): SpawnedProcess => {
    l.posix_spawn_file_actions_destroy(fa);
    if (err !== 0) throw new Error(`${path}: ${errnoText(err)}`);
    alive++;
    return new SpawnedProcess(pid[0]);
  };
  if (inflight === 0 && alive <= 1) return Promise.resolve().then(() => settle(l.posix_spawn(...args)));
  inflight++;
  return new Promise((resolve, reject) => {
    l.posix_spawn.async(...args, (e: unknown, err: number) => {
      inflight--;
      try {
        if (e) throw e;
        resolve(settle(err));
      } catch (x) {
        reject(x as Error);
      }
    });
  });
}

let inflight = 0;
let alive = 0;

/** Calls back once with the exit status or signal, and reaps the process. */
export function onExit(p: SpawnedProcess, ready: Readiness, cb: (code: number | null, signal: NodeJS.Signals | null) => void): void {
  const l = loadLibc();
  const reap = (): boolean => {
    const st = [0];
    if (l.waitpid(p.pid, st, WNOHANG) !== p.pid) return false;
    alive--;
    const s = st[0];
    if ((s & 0x7f) === 0) cb((s >> 8) & 0xff, null);
    else cb(null, (signalName.get(s & 0x7f) ?? null) as NodeJS.Signals | null);
    return true;
  };
  const fd = l.pidfd_open(p.pid, 0);
  if (fd < 0) {
    // no pidfd (an old kernel): look again now and then
    const t = setInterval(() => reap() && clearInterval(t), 50);
    return;
  }
  const wait = () =>
    ready.watch(fd, () => {
      if (reap()) l.close(fd);
      else wait();
    });
  wait();
}
