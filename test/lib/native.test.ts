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
      JSON.parse(spawnSync(process.execPath, [PROBE, String(pid)], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout);
    const fast = run({});
    const slow = run({ DK_NO_NATIVE: '1' });
    assert.equal(fast.native, true);
    assert.equal(slow.native, false);
    for (const k of ['pids', 'few', 'many', 'gone', 'info', 'sockets', 'owners']) assert.deepEqual(fast[k], slow[k], k);
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
