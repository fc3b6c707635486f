/**
 * dk rpcbind on its real port inside a namespace of the test's own
 * (unshare -rnm: private network and /run), with 10.1.1.1 on lo standing
 * for another host: remote SET refused, non-owner UNSET refused, CALLIT
 * and INDIRECT off, no UDP amplification, garbage survived, warm start,
 * -h (which crashes rpcbind 1.2.6), the per-source rate, -r forwarding,
 * and TCP wrappers under the name "rpcbind".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DK } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';

const LAB = fileURLToPath(new URL('./lab.js', import.meta.url));

test('security by default, and what rpcbind 1.2.6 gets wrong', (t) => {
  if (!requirePeer(t, 'unshare', 'util-linux') || !requirePeer(t, 'ip', 'iproute2')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dk-rpcbind-lab-'));
  try {
    const script = `mount -t tmpfs tmpfs /run && ip link set lo up && ip addr add 10.1.1.1/24 dev lo && exec "${process.execPath}" "${LAB}" "${DK}" "${join(dir, 'state')}"`;
    const r = spawnSync('unshare', ['-rnm', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(got.setLocal, true);
    assert.equal(got.setRemote, false);
    assert.equal(got.unsetByOther, false);
    assert.equal(got.stillThere, '127.0.0.1.39.16');
    assert.equal(got.unsetByOwner, true);
    assert.equal(got.callitUdp, 'timeout');
    assert.equal(got.callitTcp, 3); // PROC_UNAVAIL
    assert.equal(got.indirectTcp, 3);
    // far: a short refusal, never more than twice the request; near: the whole table
    assert.equal(got.dumpFarStat, 5); // SYSTEM_ERR
    assert.ok(got.dumpFar <= 2 * got.dumpRequest, JSON.stringify(got));
    assert.ok(got.dumpNear > 10 * got.dumpRequest, JSON.stringify(got));
    assert.equal(got.aliveUdp, 0);
    assert.equal(got.aliveTcp, 0);
    assert.equal(got.pmExited, null);
    assert.equal(got.warm, '127.0.0.1.39.18');
    assert.deepEqual([got.hAddressed, got.hLoopback, got.hRunning], [0, 0, true]);
    // 500 calls in a burst from one other host, 50 a second allowed: at most a few seconds' worth answered
    assert.ok(got.burstAnswered >= 50 && got.burstAnswered <= 150, String(got.burstAnswered));
    assert.equal(got.rSet, true);
    assert.deepEqual(got.rForward, { port: true, result: 4242 });
    // hosts.deny "rpcbind: ALL", hosts.allow "rpcbind: 127.0.0.1": the other host is refused all but NULL, each logged (once a minute)
    assert.deepEqual(got.wrap, {
      farNull: 0,
      farGetport: 'auth_error 5',
      farDump: 'auth_error 5',
      farSet: 'auth_error 5',
      farUnset4: 'auth_error 5',
      farCallit: 'auth_error 5',
      nearDump: 0,
    });
    assert.deepEqual(got.wrapLog, [
      'dk rpcbind: connect from 10.1.1.1 to getport/addr(100000): request from unauthorized host',
      'dk rpcbind: connect from 10.1.1.1 to dump(): request from unauthorized host',
      'dk rpcbind: connect from 10.1.1.1 to set(300020): request from unauthorized host',
      'dk rpcbind: connect from 10.1.1.1 to unset(300020): request from unauthorized host',
      'dk rpcbind: connect from 10.1.1.1 to callit(100000): request from unauthorized host',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
