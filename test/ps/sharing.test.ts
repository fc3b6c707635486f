/**
 * Fork vs clone made visible (issue 13): the kcmp columns of dk ps and
 * dk pstree --shared on children the C helper makes of each kind. A thread
 * shares everything with its leader, a forked child nothing, a vfork child
 * its parent's memory while the parent waits, clone(CLONE_FILES) the
 * descriptor table, clone(CLONE_VM|CLONE_FS) memory and filesystem context;
 * where kcmp is not permitted (another user) the columns say '-'.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cHelper } from '../helpers/ctool.js';
import { DK, dk, ENV, run } from '../helpers/dk.js';
import { childrenOf, until } from '../helpers/children.js';
import { requirePeer, which } from '../helpers/peers.js';
import { readdirSync } from 'node:fs';

const KINDS = ['fork', 'thread', 'vfork', 'clone-files', 'clone-vm'] as const;
type Kind = (typeof KINDS)[number];
const started: ChildProcess[] = [];
const made = new Map<Kind, { parent: number; child: number }>();

describe('what tasks share: dk ps vmgrp/filesgrp/fsgrp/sighgrp and dk pstree --shared', () => {
  before(async () => {
    if (!which('gcc')) return;
    const tasks = cHelper(undefined, 'tasks')!;
    for (const kind of KINDS) {
      const c = spawn(tasks, [kind], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
      started.push(c);
      await new Promise<void>((resolve) => c.stdout!.once('data', () => resolve()));
      const parent = c.pid!;
      let child: number;
      if (kind === 'thread') {
        await until(() => readdirSync(`/proc/${parent}/task`).length === 2, 'the thread');
        child = readdirSync(`/proc/${parent}/task`)
          .map(Number)
          .find((t) => t !== parent)!;
      } else {
        await until(() => childrenOf(parent).length === 1, `the ${kind} child`);
        child = childrenOf(parent)[0];
      }
      made.set(kind, { parent, child });
    }
  });
  after(() => {
    for (const c of started) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });

  /** the four groups of a task, from dk ps -L */
  function groups(tid: number, pid: number): string[] {
    const out = dk(['ps', '-L', '--no-headers', '-o', 'lwp,vmgrp,filesgrp,fsgrp,sighgrp', '-p', String(pid)]).out;
    const line = out.split('\n').find((l) => l.trim().split(/\s+/)[0] === String(tid));
    assert.ok(line, `no row for ${tid} in ${out}`);
    return line.trim().split(/\s+/).slice(1);
  }

  test('each kind of child shares what its clone flags say, named by the lowest TID sharing it', (t) => {
    if (!requirePeer(t, 'gcc', 'gcc')) return;
    const expect: Record<Kind, { vm: boolean; files: boolean; fs: boolean; sig: boolean }> = {
      fork: { vm: false, files: false, fs: false, sig: false },
      thread: { vm: true, files: true, fs: true, sig: true },
      vfork: { vm: true, files: false, fs: false, sig: false },
      'clone-files': { vm: false, files: true, fs: false, sig: false },
      'clone-vm': { vm: true, files: false, fs: true, sig: false },
    };
    for (const kind of KINDS) {
      const { parent, child } = made.get(kind)!;
      const mine = groups(child, kind === 'thread' ? parent : child);
      const e = expect[kind];
      const want = [e.vm, e.files, e.fs, e.sig].map((shared) => String(shared ? parent : child));
      assert.deepEqual(mine, want, `${kind}: vmgrp filesgrp fsgrp sighgrp`);
      assert.deepEqual(groups(parent, parent), [parent, parent, parent, parent].map(String), `${kind} parent`);
    }
  });

  test('pstree --shared marks each edge with what child and parent share', (t) => {
    if (!requirePeer(t, 'gcc', 'gcc')) return;
    const want: Record<Kind, string> = { fork: '', thread: '[vm,files,fs,sig]', vfork: '[vm]', 'clone-files': '[files]', 'clone-vm': '[vm,fs]' };
    for (const kind of KINDS) {
      const { parent, child } = made.get(kind)!;
      const out = dk(['pstree', '-p', '--shared', String(parent)]).out;
      const name = kind === 'thread' ? `{tasks}(${child})` : `tasks(${child})`;
      assert.ok(out.includes(`${name}${want[kind]}\n`), `${kind}: ${out}`);
    }
  });

  test("without the right to compare (another user), '-' and never a guess", (t) => {
    if (!requirePeer(t, 'gcc', 'gcc') || !requirePeer(t, 'setpriv', 'util-linux')) return;
    if (process.getuid?.() !== 0) return t.skip('dropping to another user needs root');
    const { parent, child } = made.get('clone-files')!;
    const asNobody = (args: string[]) => run('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, DK, ...args], ENV).out;
    const ps = asNobody(['ps', '--no-headers', '-o', 'vmgrp,filesgrp,fsgrp,sighgrp', '-p', String(child)]);
    assert.deepEqual(ps.trim().split(/\s+/), ['-', '-', '-', '-']);
    assert.match(asNobody(['pstree', '-p', '--shared', String(parent)]), new RegExp(`tasks\\(${child}\\)\\[-\\]`));
  });
});
