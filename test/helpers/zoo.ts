/**
 * The zoo the differential tests compare on: every kind of process the
 * viewing tools must show right. Sleepers and a parent with children, a
 * multi-threaded process, a zombie, a stopped and a traced process, another
 * user's process, one whose real and effective ids differ (setuid-like, with
 * supplementary groups), a non-ASCII command name, one with a space and a
 * backslash, a long non-ASCII argv[0],
 * and children made by fork, clone(CLONE_FILES), clone(CLONE_VM|CLONE_FS),
 * vfork and a thread, another user's process that is not dumpable (the C
 * helper tasks.c). Kernel threads exist anyway.
 * Everything is started in process groups of its own and killed by group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childrenOf, startFamily, statOf, stopGroups, until, type Family } from './children.js';

export interface Zoo extends Family {
  /** command names (comm) no other process on the machine has */
  uniqueNames: string[];
  /** the C helper's parent pid for each kind it made, and the child (or thread) */
  kinds: Record<string, { parent: number; child: number }>;
  /** the directory the files helper works in (its cwd, unix socket and files) */
  dir: string;
  /** the files helper's ports: TCP and UDP on 127.0.0.1, TCP on ::1 */
  ports: { tcp4: number; udp4: number; tcp6: number };
}

export const NOBODY = 65534;
/** ids no other test uses and no name resolves: selections by them find only the zoo */
export const OTHER_UID = 64999;
export const OTHER_GID = 64998;
/** a command name with non-ASCII letters; 11 bytes, under comm's 15 */
export const ODD_NAME = 'zoo-ñandú';
/** a command name with the characters tools must escape in a column: a space and a backslash */
export const SPACED_NAME = 'zoo a\\b';

const stateOf = (pid: number): string | undefined => statOf(pid)?.[0];

/** Starts the zoo; tasks is the built C helper, or undefined to leave its kinds out. */
export async function startZoo(tasks: string | undefined): Promise<Zoo> {
  const family = await startFamily();
  const started: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'dk-zoo-'));
  const run = (cmd: string, args: string[], opts: { uid?: number; gid?: number; out?: boolean; argv0?: string } = {}): ChildProcess => {
    const c = spawn(cmd, args, { detached: true, stdio: ['ignore', opts.out ? 'pipe' : 'ignore', 'ignore'], uid: opts.uid, gid: opts.gid, argv0: opts.argv0 });
    started.push(c);
    return c;
  };
  // the family's node process spent CPU starting: its %CPU drifts as it ages, so the zoo leaves it out (tasks.c's thread stands in)
  const { threaded: _, ...rest } = family.byRole;
  const byRole: Record<string, number> = rest;

  const stopped = run('sleep', ['310']);
  byRole.stopped = stopped.pid!;
  const nobody = run('sleep', ['311'], { uid: NOBODY, gid: NOBODY });
  byRole.nobody = nobody.pid!;
  const other = run('sleep', ['315'], { uid: OTHER_UID, gid: OTHER_GID });
  byRole.other = other.pid!;
  // real ids another user's, effective root's, with supplementary groups
  const setuid = run('setpriv', ['--ruid', String(OTHER_UID), '--rgid', String(OTHER_GID), '--groups', '4,24,100', 'sleep', '312']);
  byRole.setuid = setuid.pid!;
  const odd = join(dir, ODD_NAME);
  copyFileSync('/bin/sleep', odd);
  const oddProc = run(odd, ['313']);
  byRole.odd = oddProc.pid!;
  const spaced = join(dir, SPACED_NAME);
  copyFileSync('/bin/sleep', spaced);
  byRole.spaced = run(spaced, ['316']).pid!;
  const argv0 = `naïve ${'ü'.repeat(40)} ${'x'.repeat(300)} end`;
  const renamed = run('bash', ['-c', `exec -a "${argv0}" sleep 314`]);
  byRole.renamed = renamed.pid!;

  const kinds: Zoo['kinds'] = {};
  let ports = { tcp4: 0, udp4: 0, tcp6: 0 };
  if (tasks) {
    for (const kind of ['fork', 'thread', 'clone-files', 'clone-vm', 'traced', 'vfork', 'files', 'nodump']) {
      // nodump: another user's process that is not dumpable (its /proc files are root's, not its directory)
      const c = run(tasks, kind === 'nodump' ? [kind, dir, String(OTHER_UID), String(OTHER_GID)] : [kind, dir], { out: true });
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        c.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('\n')) resolve(buf);
        });
        c.once('exit', () => reject(new Error(`tasks ${kind} exited before it was ready`)));
      });
      const parent = c.pid!;
      let child = Number(/\d+/.exec(line)?.[0]);
      if (kind === 'vfork') {
        // the vfork child is the helper's only child
        await until(() => childrenOf(parent).length === 1, 'the vfork child');
        child = childrenOf(parent)[0];
      }
      if (kind === 'thread') {
        await until(() => readTasks(parent).length === 2, 'the thread');
        child = readTasks(parent).find((t) => t !== parent)!;
      }
      kinds[kind] = { parent, child };
      if (kind === 'nodump') byRole.nodump = parent;
      else if (kind === 'files') {
        byRole.files = parent;
        const [, , tcp4, udp4, tcp6] = line.trim().split(' ').map(Number);
        ports = { tcp4, udp4, tcp6 };
      } else {
        byRole[`${kind}-parent`] = parent;
        if (kind !== 'thread') byRole[`${kind}-child`] = child;
      }
    }
  }

  stopped.kill('SIGSTOP');
  await until(() => stateOf(stopped.pid!) === 'T', 'the stopped sleeper');
  await until(() => readFileSync(`/proc/${renamed.pid}/cmdline`, 'utf8').startsWith('naïve'), 'the renamed sleeper');
  await until(() => stateOf(setuid.pid!) !== undefined && readFileSync(`/proc/${setuid.pid}/comm`, 'latin1') === 'sleep\n', 'setpriv to exec');

  const pids = [...new Set(Object.values(byRole))].sort((a, b) => a - b);
  return {
    pids,
    byRole,
    kinds,
    dir,
    ports,
    uniqueNames: [ODD_NAME, SPACED_NAME],
    async stop() {
      await stopGroups(started);
      await family.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readTasks(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}
