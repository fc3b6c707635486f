/**
 * Starting a program with posix_spawn(3) and learning of its end through
 * a pidfd. Node's spawn forks the whole Node process and waits on a pipe
 * for the exec (1.2 ms here for /bin/true); glibc's posix_spawn clones
 * without copying the address space (0.5 ms), which is what lets a
 * super-server start servers as fast as xinetd's fork of a small C
 * process. Under load the call runs on a libuv pool thread (the clone
 * waits for the exec, which takes a while), so the main thread keeps
 * accepting meanwhile; when little else runs it is made here, which saves
 * the round trip through the pool (sequential clients: +30% connections/s). Children started here are not Node's: libuv
 * never waits for them, and we wait only for these pids (never waitpid(-1)).
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type { Readiness } from './readiness.js';

declare const require: NodeJS.Require | undefined;

type KFn = ((...a: unknown[]) => number) & { async(...a: unknown[]): void };
interface SpawnLib {
  posixSpawn: KFn;
  faInit: KFn;
  faDup2: KFn;
  faDestroy: KFn;
  attr: Buffer;
  pidfdOpen: KFn;
  waitpid: KFn;
  kill: KFn;
  close: KFn;
}
let lib: SpawnLib | undefined;

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const WNOHANG = 1;

function load(): SpawnLib {
  if (lib) return lib;
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const koffi = req('koffi') as { load(n: string): { func(s: string): KFn } };
  const c = koffi.load('libc.so.6');
  const attrInit = c.func('int posix_spawnattr_init(void *attr)');
  const setFlags = c.func('int posix_spawnattr_setflags(void *attr, short flags)');
  const setSigDefault = c.func('int posix_spawnattr_setsigdefault(void *attr, void *set)');
  const setSigMask = c.func('int posix_spawnattr_setsigmask(void *attr, void *set)');
  const sigfillset = c.func('int sigfillset(void *set)');
  const sigemptyset = c.func('int sigemptyset(void *set)');
  // Node ignores SIGPIPE, and ignored signals survive exec: the server gets
  // every signal at its default and none blocked, as after libuv's fork.
  // (glibc's posix_spawnattr_t is 336 bytes, sigset_t 128; sized generously.)
  const attr = Buffer.alloc(1024);
  attrInit(attr);
  const all = Buffer.alloc(256);
  sigfillset(all);
  const none = Buffer.alloc(256);
  sigemptyset(none);
  setSigDefault(attr, all);
  setSigMask(attr, none);
  setFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  lib = {
    posixSpawn: c.func('int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)'),
    faInit: c.func('int posix_spawn_file_actions_init(void *fa)'),
    faDup2: c.func('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)'),
    faDestroy: c.func('int posix_spawn_file_actions_destroy(void *fa)'),
    attr,
    pidfdOpen: c.func('int pidfd_open(int pid, unsigned int flags)'),
    waitpid: c.func('int waitpid(int pid, _Out_ int *status, int options)'),
    kill: c.func('int kill(int pid, int sig)'),
    close: c.func('int close(int fd)'),
  };
  return lib;
}

const signalName = new Map(Object.entries(constants.signals).map(([k, v]) => [v, k]));

/** A process started here; exit reports like ChildProcess's 'exit'. */
export class SpawnedProcess {
  constructor(readonly pid: number) {}

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    load().kill(this.pid, constants.signals[signal]);
  }
}

/**
 * Starts path with argv (argv[0] included) and env ("K=V"), with fd 0, 1, 2
 * each a copy of the given descriptor, which must stay open until this
 * settles. Rejects with the errno's name.
 */
export function posixSpawn(path: string, argv: string[], env: string[], stdio: [number, number, number]): Promise<SpawnedProcess> {
  const l = load();
  const fa = Buffer.alloc(256);
  l.faInit(fa);
  stdio.forEach((fd, i) => l.faDup2(fa, fd, i));
  const pid = [0];
  const args = [pid, path, fa, l.attr, [...argv, null], [...env, null]];
  const settle = (err: number): SpawnedProcess => {
    l.faDestroy(fa);
    if (err !== 0) throw new Error(`${path}: ${errnoName(err)}`);
    alive++;
    return new SpawnedProcess(pid[0]);
  };
  if (inflight === 0 && alive <= 1) return Promise.resolve().then(() => settle(l.posixSpawn(...args)));
  inflight++;
  return new Promise((resolve, reject) => {
    l.posixSpawn.async(...args, (e: unknown, err: number) => {
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
  const l = load();
  const reap = (): boolean => {
    const st = [0];
    if (l.waitpid(p.pid, st, WNOHANG) !== p.pid) return false;
    alive--;
    const s = st[0];
    if ((s & 0x7f) === 0) cb((s >> 8) & 0xff, null);
    else cb(null, (signalName.get(s & 0x7f) ?? null) as NodeJS.Signals | null);
    return true;
  };
  const fd = l.pidfdOpen(p.pid, 0);
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

const ERRNO = new Map(Object.entries(constants.errno).map(([k, v]) => [v, k]));
const errnoName = (e: number): string => ERRNO.get(e) ?? `errno ${e}`;
