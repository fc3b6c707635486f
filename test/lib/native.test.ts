/**
 * The batched reader in C (dist/native/procbatch.so) and the path without
 * it read the same: a probe prints what the library reads about a stopped
 * process holding sockets, once with the helper and once with
 * DK_NO_NATIVE=1, and the two must be equal. Under CI the helper must have
 * been built (the image has a C compiler): a missing one would pass every
 * test on the slow path unnoticed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { processIter } from '../../src/lib/iter.js';
import { until } from '../helpers/children.js';

const PROBE = fileURLToPath(new URL('./native-probe.js', import.meta.url));
const SO = fileURLToPath(new URL('../../native/procbatch.so', import.meta.url));

test('the C batch reader and the one-call-at-a-time path read the same', async (t) => {
  if (!existsSync(SO)) {
    if (process.env.CI === 'true') assert.fail(`${SO} was not built: npm run build needs a C compiler (cc)`);
    return void t.skip('the batched reader was not built (no cc)');
  }
  // a process with a TCP listener, a unix socket and a pipe, stopped so nothing about it moves
  const holder = spawn(
    process.execPath,
    ['-e', "const n=require('net');n.createServer().listen(0,'127.0.0.1');n.createServer().listen('\\0dk-native-'+process.pid);setInterval(()=>{},1e6)"],
    {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, DK_BIG: 'x'.repeat(100000) },
    },
  );
  try {
    const pid = holder.pid!;
    await until(
      () =>
        Number(
          spawnSync('sh', ['-c', `ls -l /proc/${pid}/fd | grep -c socket`])
            .stdout.toString()
            .trim() || 0,
        ) >= 2,
      'the listeners',
    );
    process.kill(pid, 'SIGSTOP');
    await until(() => /^State:\s+T/m.test(spawnSync('cat', [`/proc/${pid}/status`]).stdout.toString()), 'the stop');
    const run = (env: NodeJS.ProcessEnv) =>
      JSON.parse(spawnSync(process.execPath, [PROBE, String(pid)], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout);
    const fast = run({});
    const slow = run({ DK_NO_NATIVE: '1' });
    assert.equal(fast.native, true);
    assert.equal(slow.native, false);
    for (const k of ['pids', 'few', 'many', 'gone', 'big', 'background', 'info', 'sockets', 'owners']) assert.deepEqual(fast[k], slow[k], k);
    // what the reader's thread read is what one call reads, also for a read superseded by the next
    assert.deepEqual(fast.background, { a: fast.big, b: fast.many, again: fast.many, paused: fast.big });
    assert.ok(fast.big[0].length > 100000, "the holder's environment: more than the thread's first buffer");
    // the kernel's socket iterator (BPF) against the walk of /proc/PID/fd, in the same process
    if (fast.iterator.missing) t.diagnostic(`the BPF socket iterator is not used here (${fast.iterator.missing}): the walk alone was compared`);
    assert.deepEqual(fast.iterator.unseen, [], 'sockets both walks found');
    assert.deepEqual(fast.iterator.extra, [], 'sockets neither walk found');
    assert.deepEqual(
      fast.iterator.holder,
      fast.owners.flatMap(([inode, held]: [number, [number, number][]]) => held.filter(([q]) => q === pid).map(([q, fd]) => `${inode} ${q} ${fd}`)).sort(),
    );
    assert.equal(slow.iterator.missing, 'no batched reader');
    assert.equal(fast.pids, true);
    assert.deepEqual(fast.gone, [{ code: 'ENOENT' }]);
    assert.equal(fast.few[7].code, 'ENOENT');
    assert.ok(fast.sockets.length >= 2, 'the holder has two sockets');
    assert.equal(fast.owners.length, fast.sockets.length);
  } finally {
    try {
      process.kill(-holder.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

/** every process's name and command line, by processIter */
const listing = () => new Map([...processIter({ attrs: ['name', 'cmdline'] })].map((p) => [p.pid, `${p.info.name} ${p.info.cmdline?.join(' ')}`]));

/** a process whose name stays put: a kernel thread's (no command line) moves with the work it does ('kworker/0:0-events') */
const steady = (what: string) => !what.endsWith(' ');

/** runs fn with 300 more processes than the machine has: more than one batch of 256, so a next batch is always begun */
async function withSleepers(fn: () => Promise<void>): Promise<void> {
  const group = spawn('sh', ['-c', 'i=0; while [ $i -lt 300 ]; do sleep 300 & i=$((i+1)); done; wait'], { detached: true, stdio: 'ignore' });
  try {
    await until(
      () =>
        spawnSync('pgrep', ['-c', '-P', String(group.pid)])
          .stdout.toString()
          .trim() === '300',
      'the sleepers',
    );
    await fn();
  } finally {
    process.kill(-group.pid!, 'SIGKILL');
  }
}

test('processIter inside processIter: the inner one takes the reader thread, the outer one still sees every process', { timeout: 120_000 }, async () => {
  await withSleepers(async () => {
    const before = listing();
    const outer = new Map<number, string>();
    let inner = 0;
    for (const p of processIter({ attrs: ['name', 'cmdline'] })) {
      outer.set(p.pid, `${p.info.name} ${p.info.cmdline?.join(' ')}`);
      if (outer.size % 100 === 1) inner += listing().size;
      // an inner iteration left early: the batch it had begun is still on the reader's thread
      if (outer.size % 100 === 50)
        for (const q of processIter({ attrs: ['name'] })) {
          inner += q.pid > 0 ? 1 : 0;
          if (inner % 10 === 0) break;
        }
    }
    const afterwards = listing();
    assert.ok(inner > 3 * 300, 'the inner iterations ran');
    // every process there before and after, with what the plain iteration read
    for (const [pid, what] of before) if (afterwards.get(pid) === what && steady(what)) assert.equal(outer.get(pid), what, `${pid}`);
    assert.ok(outer.size >= 300, 'the sleepers');
  });
});

test('processIter on two worker threads at once: one holds the reader thread, the other reads the plain way, both see every process', {
  timeout: 120_000,
}, async () => {
  await withSleepers(async () => {
    const before = listing();
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(new URL('../../src/lib/iter.js', import.meta.url).href)}).then(({ processIter }) => {
        const runs = [];
        for (let i = 0; i < 15; i++) runs.push([...processIter({ attrs: ['name', 'cmdline'] })].map((p) => [p.pid, p.info.name + ' ' + (p.info.cmdline ? p.info.cmdline.join(' ') : 'undefined')]));
        parentPort.postMessage(runs);
      });`;
    const run = () =>
      new Promise<[number, string][][]>((resolve, reject) => {
        const w = new Worker(code, { eval: true });
        w.once('message', resolve);
        w.once('error', reject);
      });
    const results = await Promise.all([run(), run()]);
    const afterwards = listing();
    for (const runs of results)
      for (const listed of runs) {
        const seen = new Map(listed);
        for (const [pid, what] of before) if (afterwards.get(pid) === what && steady(what)) assert.equal(seen.get(pid), what, `${pid}`);
      }
  });
});
