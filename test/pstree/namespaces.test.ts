/**
 * pstree -N TYPE (psmisc's --ns-sort) against psmisc, inside a PID and
 * mount namespace the test makes: there the whole tree is the test's own
 * (an init shell, sleepers in new network and UTS namespaces), so the walk
 * from init that -N does is the same for both tools. Both run under the
 * name "tool" (a symlink each), so their own line reads the same too, and
 * with -T (node's own threads are not pstree's).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requirePeer } from '../helpers/peers.js';

const DK = fileURLToPath(new URL('../../dk.cjs', import.meta.url));

describe('pstree -N in a PID namespace of its own', () => {
  test('each namespace a root of its own, in the order a walk from init meets them', (t) => {
    const pstree = requirePeer(t, 'pstree', 'psmisc');
    const unshare = requirePeer(t, 'unshare', 'util-linux');
    const pgrep = requirePeer(t, 'pgrep', 'procps');
    if (!pstree || !unshare || !pgrep) return;
    if (process.geteuid?.() !== 0) return t.skip('new PID and network namespaces need root');
    const dir = mkdtempSync(join(tmpdir(), 'dk-pstree-ns-'));
    try {
      mkdirSync(join(dir, 'peer'));
      mkdirSync(join(dir, 'ours'));
      symlinkSync(pstree, join(dir, 'peer', 'tool'));
      symlinkSync(process.execPath, join(dir, 'ours', 'tool'));
      const runs = [
        ['-T', '-N', 'net'],
        ['-T', '-N', 'uts', '-p', '-A'],
        ['-T', '-N', 'net', '-n', '-p'],
        ['-T', '--ns-sort=mnt', '-c'],
        ['-T', '-N', 'pid', '99999'],
        ['-T', '-N', 'net', 'root', '-g'],
        ['-T', '-N', 'nosuch'],
      ];
      const lines = runs.flatMap((args, i) => [
        `"$D/peer/tool" ${args.join(' ')} > "$D/peer.${i}" 2> "$D/peer.${i}.err"; echo "exit $?" >> "$D/peer.${i}"`,
        `"$D/ours/tool" "${DK}" pstree ${args.join(' ')} > "$D/ours.${i}" 2> "$D/ours.${i}.err"; echo "exit $?" >> "$D/ours.${i}"`,
      ]);
      // PID 1 of the new namespace: sleepers in the parent's namespaces and in new ones, then both tools
      const script = [
        'sleep 300 &',
        'unshare -n sleep 301 &',
        "unshare -u sh -c 'sleep 302 & sleep 303 & wait' &",
        "unshare -n sh -c 'sleep 304 & wait' &",
        `until [ "$(${pgrep} -c -x sleep)" -ge 5 ]; do sleep 0.02; done`,
        ...lines,
      ].join('\n');
      // the namespace's init exiting ends every process in it
      const r = spawnSync(unshare, ['--fork', '--pid', '--mount-proc', 'sh', '-c', script], { env: { ...process.env, D: dir }, timeout: 60000 });
      assert.equal(r.status, 0, `unshare: ${r.stderr}`);
      for (let i = 0; i < runs.length; i++) {
        // each tool's own line carries its own PID (a leaf: nothing lines up after it)
        const own = (s: string) => s.replace(/tool\(\d+(,\d+)?\)/g, 'tool(N)');
        const peer = own(readFileSync(join(dir, `peer.${i}`), 'utf8'));
        const ours = own(readFileSync(join(dir, `ours.${i}`), 'utf8'));
        assert.equal(ours, peer, `pstree ${runs[i].join(' ')}`);
        // messages are worded as dk's own (the usage names dk pstree): whether there is one is what must agree
        const said = (who: string) => readFileSync(join(dir, `${who}.${i}.err`), 'utf8') !== '';
        assert.equal(said('ours'), said('peer'), `pstree ${runs[i].join(' ')}: stderr`);
      }
      // the case is not empty: three network namespaces, each with its sleepers
      const net = readFileSync(join(dir, 'peer.0'), 'utf8');
      assert.equal(net.match(/^\[\d+\]$/gm)?.length, 3, net);
      assert.match(net, /sleep/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
