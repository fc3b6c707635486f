/** dk pstree against psmisc pstree for processes this test starts. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFamily, type Family } from '../helpers/children.js';
import { dk, run } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';

let fam: Family;
before(async () => {
  fam = await startFamily();
});
after(async () => {
  await fam?.stop();
});

describe('dk pstree matches psmisc pstree', () => {
  const cases = (): string[][] => {
    const { shell, threaded, long, zparent, leader } = fam.byRole;
    return [
      [String(shell)],
      ['-p', String(shell)],
      ['-c', String(shell)],
      ['-a', String(shell)],
      ['-ap', String(shell)],
      ['-A', String(shell)],
      ['-U', String(shell)],
      ['-G', String(shell)],
      ['-g', String(shell)],
      ['-n', String(shell)],
      ['-u', String(shell)],
      ['-l', String(shell)],
      [String(threaded)],
      ['-p', String(threaded)],
      ['-T', String(threaded)],
      ['-t', String(threaded)],
      ['-apt', String(threaded)],
      ['-a', String(long)],
      ['-al', String(long)],
      ['-a', String(zparent)],
      ['-p', String(zparent)],
      [String(leader), '-p'],
      ['-s', String(fam.byRole.sleeper0)],
      ['-sp', String(fam.byRole.zombie)],
      ['-Z', String(shell)],
      ['--show-pids', '--arguments', String(shell)],
      ['99999999'],
      ['no-such-user-xyz'],
      ['-x'],
    ];
  };

  test('same output, byte for byte', (t) => {
    if (!requirePeer(t, 'pstree', 'psmisc')) return;
    for (const args of cases()) {
      const peer = run('pstree', args);
      const mine = dk(['pstree', ...args]);
      assert.equal(mine.code, peer.code, `pstree ${args.join(' ')}: ${mine.err}`);
      assert.equal(mine.out, peer.out, `pstree ${args.join(' ')}`);
      assert.equal(mine.err === '', peer.err === '', `pstree ${args.join(' ')} stderr: ${mine.err}`);
    }
  });

  test('compaction and threads are visible where the issue asks', (t) => {
    if (!requirePeer(t, 'pstree', 'psmisc')) return;
    assert.match(dk(['pstree', String(fam.byRole.shell)]).out, /^sh---3\*\[sleep\]\n$/);
    assert.match(dk(['pstree', String(fam.byRole.threaded)]).out, /^node---\d+\*\[\{node\}\]\n$/);
  });

  test('highlighting (-H, -h) and age colours use the same escapes', (t) => {
    if (!requirePeer(t, 'pstree', 'psmisc')) return;
    const env = { ...process.env, LANG: 'C.UTF-8', TERM: 'xterm' };
    const s = String(fam.byRole.shell);
    for (const args of [
      ['-H', String(fam.byRole.sleeper1), s],
      ['-C', 'age', '-p', s],
      ['-H', s, '-a', s],
    ]) {
      const peer = run('pstree', args, env);
      const mine = dk(['pstree', ...args], env);
      assert.equal(mine.out, peer.out, `pstree ${args.join(' ')}`);
    }
  });

  test('long lines are cut at COLUMNS with +, like psmisc', (t) => {
    if (!requirePeer(t, 'pstree', 'psmisc')) return;
    for (const cols of ['20', '12', '7']) {
      const env = { ...process.env, LANG: 'C.UTF-8', COLUMNS: cols };
      for (const args of [
        ['-p', String(fam.byRole.shell)],
        ['-a', String(fam.byRole.long)],
      ]) {
        const peer = run('pstree', args, env);
        const mine = dk(['pstree', ...args], env);
        assert.equal(mine.out, peer.out, `COLUMNS=${cols} pstree ${args.join(' ')}`);
      }
    }
  });
});
