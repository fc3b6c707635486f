/** The interactive dk top in a real terminal: tmux sends keys and reads the screen. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DK } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';
import { killAll, until } from '../helpers/children.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-top-'));
const session = `dktop${process.pid}`;
const kids: number[] = [];
after(() => {
  spawnSync('tmux', ['kill-session', '-t', session]);
  killAll(kids);
  rmSync(dir, { recursive: true, force: true });
});

const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session).stdout;
const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k);
const exitFile = join(dir, 'exit');
const exitStatus = () => {
  try {
    return readFileSync(exitFile, 'utf8').trim();
  } catch {
    return '';
  }
};

function start(args: string): void {
  tmux('kill-session', '-t', session);
  // the shell records dk top's exit status, then keeps the pane open by waiting on the terminal
  // (no child process of its own that could outlive the session)
  const r = tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '110',
    '-y',
    '35',
    `${process.execPath} ${DK} top ${args}; echo EXIT=$? > ${exitFile}; read keep_the_pane_open`,
  );
  assert.equal(r.status, 0, r.stderr);
}

function rowsOf(s: string): string[] {
  const lines = s.split('\n');
  const h = lines.findIndex((l) => l.trimStart().startsWith('PID USER'));
  return h < 0 ? [] : lines.slice(h + 1).filter((l) => /^\s*\d+ /.test(l));
}

describe('dk top on a terminal', () => {
  test('sort keys, command lines, kill, renice, quit restores the terminal', async (t) => {
    if (!requirePeer(t, 'tmux', 'tmux')) return;
    // only processes this test owns are shown (-p): under a parallel test run other
    // suites' children would otherwise push these rows off the 35-line screen
    const sleeps = [300, 301, 302, 303].map((s) => spawn('sleep', [String(s)], { stdio: 'ignore' }));
    const [victim, niced] = sleeps;
    kids.push(...sleeps.map((c) => c.pid!));
    start(`-d 0.3 -p ${sleeps.map((c) => c.pid).join(',')}`);
    await until(() => screen().includes('PID USER'), 'the first frame');

    keys('N');
    await until(() => {
      const pids = rowsOf(screen()).map((l) => Number(l.trim().split(/\s+/)[0]));
      return pids.length > 3 && pids.every((p, i) => i === 0 || pids[i - 1] > p);
    }, 'rows sorted by PID, highest first');

    keys('c');
    // the COMMAND column turns from the name into the argument vector
    await until(() => rowsOf(screen()).some((l) => l.trimEnd().endsWith('sleep 302')), 'command lines shown');

    keys('k');
    await until(() => screen().includes('PID to signal/kill'), 'the kill prompt');
    keys(String(victim.pid), 'Enter');
    await until(() => screen().includes(`Send pid ${victim.pid} signal [15/sigterm]`), 'the signal prompt');
    keys('Enter');
    await until(() => victim.exitCode !== null || victim.signalCode !== null, 'the signalled process to end');
    assert.equal(victim.signalCode, 'SIGTERM');

    keys('r');
    await until(() => screen().includes('PID to renice'), 'the renice prompt');
    keys(String(niced.pid), 'Enter');
    await until(() => screen().includes(`Renice PID ${niced.pid} to value`), 'the value prompt');
    keys('7', 'Enter');
    await until(() => readFileSync(`/proc/${niced.pid}/stat`, 'latin1').split(') ')[1].split(' ')[16] === '7', 'nice 7');

    // a narrower terminal: columns that no longer fit are dropped, as top does
    tmux('resize-window', '-t', session, '-x', '60', '-y', '20');
    await until(() => {
      const header =
        screen()
          .split('\n')
          .find((l) => l.trimStart().startsWith('PID USER')) ?? '';
      return header.trimEnd().endsWith('%MEM') && !header.includes('COMMAND');
    }, 'the narrow layout');

    keys('q');
    await until(() => exitStatus() === 'EXIT=0', 'dk top to quit with status 0');
    // the alternate screen is gone: no frame left on the terminal
    assert.ok(!screen().includes('PID USER'), screen());
    tmux('kill-session', '-t', session);
  });

  test('SIGTERM still gives the terminal back', async (t) => {
    if (!requirePeer(t, 'tmux', 'tmux')) return;
    rmSync(exitFile, { force: true });
    start('-d 0.3');
    await until(() => screen().includes('PID USER'), 'the first frame');
    const pid = tmux('list-panes', '-t', session, '-F', '#{pane_pid}').stdout.trim();
    // the pane runs sh; dk top is its child
    const top = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).map(Number)[0];
    process.kill(top, 'SIGTERM');
    await until(() => exitStatus() === 'EXIT=143', 'exit status 128+15');
    assert.ok(!screen().includes('PID USER'), screen());
    // keyboard back in cooked mode: the terminal echoes again
    const stty = spawnSync('sh', ['-c', `stty -a < $(tmux display-message -p -t ${session} '#{pane_tty}')`], { encoding: 'utf8' });
    assert.match(stty.stdout, / echo /);
    assert.match(stty.stdout, / icanon /);
    tmux('kill-session', '-t', session);
  });
});
