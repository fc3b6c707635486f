/** The /proc layer and the public library API, on fixtures and live. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processes, process as oneProcess, threads, snapshot } from '../../src/index.js';
import { fixture } from '../helpers/fixture.js';
import { killAll, until } from '../helpers/children.js';
import { cHelper } from '../helpers/ctool.js';
import { OTHER_GID, OTHER_UID } from '../helpers/zoo.js';

const procRoot = `${fixture('basic')}/proc`;
const pts = (path: string) => (/\/pts\/(\d+)$/.test(path) ? { major: 136, minor: Number(RegExp.$1) } : undefined);

describe('snapshot on a fixture tree', () => {
  test('typed records with names, terminal, times and memory', () => {
    const { sys, procs } = snapshot({ procRoot, statDevice: pts });
    assert.equal(sys.bootTime, 1795600000);
    assert.equal(sys.memTotal, 2000000);
    assert.deepEqual(
      procs.map((p) => p.pid),
      [1, 2, 9, 100, 150, 200, 300, 400, 500, 501, 502],
    );
    const p = procs.find((x) => x.pid === 300)!;
    assert.equal(p.comm, 'my (weird) prog');
    assert.equal(p.user, 'alice');
    assert.equal(p.group, 'alice');
    assert.deepEqual(p.groups, [1000, 27]);
    assert.equal(p.tty, 'pts/0');
    assert.equal(p.tpgid, 300);
    assert.equal(p.nice, 5);
    assert.equal(p.nlwp, 3);
    assert.equal(p.vsz, 500000);
    assert.equal(p.rss, 200000);
    assert.equal(p.locked, 16);
    assert.equal(p.startTime, 1795600000 + 600);
    assert.equal(p.wchan, 'futex_wait_queue');
    assert.deepEqual(p.cmdline?.slice(0, 2), ['./prog', '--name=café 中']);
    assert.equal(p.cgroup, '0::/system.slice/x.service');
    assert.equal(p.signals?.shared, '0000000000000100');
    assert.equal(p.caps?.effective, '000001ffffffffff');
    assert.equal(p.environ, undefined, 'environ only when asked');
    assert.equal(procs.find((x) => x.pid === 2)!.kernelThread, true);
    assert.equal(procs.find((x) => x.pid === 500)!.user, 'averyveryverylongusername');
  });

  test('threads on request, one record per task', () => {
    const t = threads(300, { procRoot });
    assert.deepEqual(
      t.map((x) => [x.pid, x.tid, x.comm]),
      [
        [300, 300, 'my (weird) prog'],
        [300, 301, 'my (weird) prog'],
        [300, 302, 'worker'],
      ],
    );
    assert.equal(oneProcess(12345, { procRoot }), undefined);
    assert.deepEqual(oneProcess(1, { procRoot, fields: ['environ'] })?.environ, ['HOME=/root', 'LANG=C']);
  });

  test('reads only the files the fields need', () => {
    // a copy of the tree without status files: stat-only fields still work
    const dir = mkdtempSync(join(tmpdir(), 'dk-proc-'));
    try {
      cpSync(fixture('basic'), dir, { recursive: true });
      for (const pid of [1, 2, 9, 100, 150, 200, 300, 400, 500, 501, 502]) unlinkSync(`${dir}/proc/${pid}/status`);
      assert.equal(processes({ procRoot: `${dir}/proc`, fields: ['pid', 'comm', 'ppid'] }).length, 11);
      // asking for user names needs status: the records cannot be built
      assert.equal(processes({ procRoot: `${dir}/proc`, fields: ['user'] }).length, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('snapshot on the live system', () => {
  const kids: number[] = [];
  after(() => killAll(kids));

  test('sees this process and its own threads', () => {
    const me = oneProcess(process.pid);
    assert.ok(me);
    assert.equal(me.ppid, process.ppid);
    assert.equal(me.euid, process.geteuid!());
    assert.ok(me.nlwp >= 1);
    assert.equal(threads(process.pid).length, me.nlwp);
    assert.ok(processes({ fields: ['pid'] }).some((p) => p.pid === process.pid));
  });

  test('effective ids from the /proc directory equal status, for every process and one that is not dumpable', async (t) => {
    if (process.geteuid!() !== 0) return t.skip('needs root to take another uid');
    const tasks = cHelper(t, 'tasks');
    if (!tasks) return;
    const c = spawn(tasks, ['nodump', '/', String(OTHER_UID), String(OTHER_GID)], { stdio: ['ignore', 'pipe', 'ignore'] });
    t.after(() => killAll([c.pid!]));
    await new Promise((resolve) => c.stdout!.once('data', resolve));
    // the case that matters: its /proc files are root's, its directory is not
    assert.equal(statSync(`/proc/${c.pid}/status`).uid, 0);
    const [mine] = processes({ pids: [c.pid!], fields: ['euid', 'egid', 'user'] });
    assert.equal(mine.euid, OTHER_UID);
    assert.equal(mine.egid, OTHER_GID);
    // every process and thread: the directory's owner (euid, egid alone) against status (asked with rss)
    for (const threadsToo of [false, true]) {
      const byDir = new Map(processes({ fields: ['euid', 'egid'], threads: threadsToo }).map((p) => [`${p.pid}/${p.tid}`, p]));
      let compared = 0;
      for (const p of processes({ fields: ['euid', 'egid', 'rss'], threads: threadsToo })) {
        const d = byDir.get(`${p.pid}/${p.tid}`);
        if (!d) continue;
        assert.deepEqual([d.euid, d.egid], [p.euid, p.egid], `pid ${p.pid} tid ${p.tid}`);
        compared++;
      }
      assert.ok(compared > 10, `compared ${compared}`);
    }
  });

  test('processes exiting during many snapshots are dropped, never thrown', async () => {
    for (let i = 0; i < 20; i++) {
      const c = spawn('true', [], { stdio: 'ignore' });
      kids.push(c.pid!);
    }
    for (let i = 0; i < 30; i++) {
      const all = processes({ threads: i % 2 === 0 });
      for (const p of all) assert.ok(p.pid > 0 && typeof p.comm === 'string');
    }
    await until(() => kids.every((pid) => !processes({ pids: [pid], fields: ['pid'] }).some((p) => p.state !== 'Z')), 'the short-lived children to finish');
  });
});

describe('package entry point', () => {
  test("import from 'daemonkit' gives the documented API", async () => {
    // by name, through package.json "exports" (a variable keeps tsc from resolving it at build time)
    const name = 'daemonkit';
    const m = (await import(name)) as typeof import('../../src/index.js');
    for (const f of ['processes', 'process', 'threads', 'snapshot'] as const) assert.equal(typeof m[f], 'function', f);
    assert.ok(m.processes({ fields: ['pid'] }).some((p) => p.pid === process.pid));
  });
});
