/**
 * Known processes to compare against: sleepers, a session leader without a
 * terminal, a multi-threaded child, a long argv, a zombie. Every child is
 * started in a process group of its own and killed by that group when the
 * test ends, pass or fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Family {
  /** every PID we started, including grandchildren we know of */
  pids: number[];
  byRole: Record<string, number>;
  stop(): Promise<void>;
}

/** The fields of /proc/PID/stat after the command name (state first), or undefined when it is gone. */
export function statOf(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** SIGKILLs the process group of each child started detached, and waits for each to be gone. */
export async function stopGroups(started: ChildProcess[]): Promise<void> {
  for (const c of started) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(started.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
}

/** SIGKILLs each PID we started; ones already gone are skipped. */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Waits (by polling /proc, bounded) until pred holds. */
export async function until(pred: () => boolean | Promise<boolean>, what: string, limitMs = 10000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until value() returns the same thing for 300 ms in a row (bounded). */
async function stable(value: () => string | undefined, what: string): Promise<void> {
  let last = value();
  let since = Date.now();
  await until(() => {
    const v = value();
    if (v !== last) {
      last = v;
      since = Date.now();
    }
    return Date.now() - since >= 300;
  }, what);
}

/** The PIDs of a process's children, from its main task's children file. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function startFamily(): Promise<Family> {
  const started: ChildProcess[] = [];
  const run = (cmd: string, args: string[], pipeOut = false): ChildProcess => {
    const c = spawn(cmd, args, { detached: true, stdio: ['ignore', pipeOut ? 'pipe' : 'ignore', 'ignore'] });
    started.push(c);
    return c;
  };
  const byRole: Record<string, number> = {};
  // a parent shell with three sleeping children (compaction: 3*[sleep])
  const shell = run('sh', ['-c', 'sleep 300 & sleep 300 & sleep 300 & wait']);
  byRole.shell = shell.pid!;
  // a session leader without a terminal (detached: setsid) that is not a shell
  const leader = run('sleep', ['301']);
  byRole.leader = leader.pid!;
  // a multi-threaded child: node with worker threads, parked
  const threaded = run(
    process.execPath,
    [
      '-e',
      "const {Worker}=require('worker_threads');let n=0;for(let i=0;i<2;i++)new Worker('setInterval(()=>{},1e6)',{eval:true}).on('online',()=>{if(++n===2)process.stdout.write('ready\\n')});setInterval(()=>{},1e6)",
    ],
    true,
  );
  byRole.threaded = threaded.pid!;
  const ready = new Promise<void>((resolve) => threaded.stdout!.once('data', () => resolve()));
  // a long argv, with spaces and a UTF-8 word
  const long = run('sh', ['-c', 'exec sleep 302', 'x'.repeat(200), 'spaced arg', 'café']);
  byRole.long = long.pid!;
  // a zombie: the child exits, its parent (exec'd into sleep) never reaps
  const zparent = run('sh', ['-c', 'sleep 0 & exec sleep 303']);
  byRole.zparent = zparent.pid!;

  await until(() => childrenOf(shell.pid!).length === 3, 'three sleepers');
  await ready;
  await stable(() => statOf(threaded.pid!)?.[17], 'a stable thread count');
  // and at rest: CPU time, VSZ and RSS unchanged for 300 ms (on a loaded machine node is still starting after
  // its workers are online, and a listing of it moves between the peer's reading and ours); waited for at most
  // 10 s, then the tests go on (those that compare it read the peer before and after)
  await stable(() => {
    const f = statOf(threaded.pid!);
    return f && `${f[11]} ${f[12]} ${f[20]} ${f[21]}`;
  }, 'the threaded node process at rest').catch(() => {});
  await until(() => childrenOf(zparent.pid!).some((z) => statOf(z)?.[0] === 'Z'), 'a zombie');
  await until(() => readFileSync(`/proc/${long.pid}/cmdline`, 'latin1').startsWith('sleep'), 'exec of the long argv');
  await until(() => readFileSync(`/proc/${zparent.pid}/cmdline`, 'latin1').startsWith('sleep'), 'exec of the zombie parent');
  const sleepers = childrenOf(shell.pid!);
  for (const [i, p] of sleepers.entries()) byRole[`sleeper${i}`] = p;
  byRole.zombie = childrenOf(zparent.pid!)[0];
  const pids = [...new Set([...Object.values(byRole)])].sort((a, b) => a - b);

  return {
    pids,
    byRole,
    stop: () => stopGroups(started),
  };
}
