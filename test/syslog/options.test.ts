/**
 * dk syslogd end to end for what the main daemon test does not set up:
 * file mode and ownership directives on the files it creates, a umask, a
 * terminal as the action (as /dev/console is), and IPv6 listeners
 * (util-linux logger over UDP and TCP to ::1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dk, run } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { requirePeer } from '../helpers/peers.js';
import { startSyslogd } from '../helpers/syslogd.js';

const has = (path: string, text: string) => existsSync(path) && readFileSync(path, 'utf8').includes(text);

test('$FileCreateMode and $FileOwner/$FileGroup shape the files the daemon creates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-syslogd-files-'));
  const root = process.getuid?.() === 0;
  const d = await startSyslogd(dir, [
    `local0.* ${join(dir, 'default')}`,
    '$FileCreateMode 0604',
    ...(root ? ['$FileOwner nobody', '$FileGroup nogroup'] : []),
    `local1.* ${join(dir, 'shaped')}`,
  ]);
  try {
    for (const [p, text] of [['local0.info', 'to default'], ['local1.info', 'to shaped']]) assert.equal(dk(['logger', '-u', d.sock, '-p', p, text]).code, 0);
    await until(() => has(join(dir, 'default'), 'to default') && has(join(dir, 'shaped'), 'to shaped'), 'both files');
    // the process umask (022 here) still applies, as for rsyslog
    assert.equal(statSync(join(dir, 'default')).mode & 0o777, 0o640 & ~process.umask());
    assert.equal(statSync(join(dir, 'shaped')).mode & 0o777, 0o604 & ~process.umask());
    if (root) {
      assert.equal(statSync(join(dir, 'shaped')).uid, 65534);
      assert.equal(statSync(join(dir, 'default')).uid, 0);
    }
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('IPv6 listeners: util-linux logger over UDP and TCP to [::1]', async (t) => {
  if (!requirePeer(t, 'logger', 'bsdutils')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dk-syslogd-v6-'));
  const out = join(dir, 'all');
  const d = await startSyslogd(dir, [`*.* ${out};json`], { args: ['--udp', '[::1]:0', '--tcp', '[::1]:0'] });
  try {
    const udp = Number(/listening on udp ::1:(\d+)/.exec(d.stderr())?.[1]);
    const tcp = Number(/listening on tcp ::1:(\d+)/.exec(d.stderr())?.[1]);
    assert.ok(udp > 0 && tcp > 0, d.stderr());
    assert.equal(run('logger', ['-n', '::1', '-P', String(udp), '-d', '-t', 'v6udp', 'over udp6']).code, 0);
    assert.equal(run('logger', ['-n', '::1', '-P', String(tcp), '-T', '--octet-count', '-t', 'v6tcp', 'over tcp6']).code, 0);
    await until(() => has(out, 'over udp6') && has(out, 'over tcp6'), 'both IPv6 messages');
    const got = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { app: string; msg: string; input: string });
    assert.deepEqual(got.map((m) => [m.app, m.msg, m.input.replace(/\d+$/, 'P')]).sort(), [
      ['v6tcp', 'over tcp6', 'tcp:::1:P'],
      ['v6udp', 'over udp6', 'udp:::1:P'],
    ]);
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a terminal as the action: the line shows on it, and the daemon does not take it as its controlling tty', async (t) => {
  if (!requirePeer(t, 'tmux', 'tmux')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dk-syslogd-tty-'));
  const session = `dksyslog${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
  assert.equal(tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '10', 'sleep 120').status, 0);
  const tty = tmux('display-message', '-p', '-t', session, '#{pane_tty}').stdout.trim();
  // a session leader without a terminal, as a daemon is: opening a tty could make it its own
  const d = await startSyslogd(dir, [`local2.* ${tty}`], { setsid: true });
  try {
    assert.equal(dk(['logger', '-u', d.sock, '-p', 'local2.crit', '-t', 'console', 'disk on fire']).code, 0);
    await until(() => tmux('capture-pane', '-p', '-t', session).stdout.includes('console: disk on fire'), 'the line on the terminal');
    const stat = readFileSync(`/proc/${d.child.pid}/stat`, 'latin1');
    assert.equal(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[4], '0', 'tty_nr of the daemon');
  } finally {
    await d.stop();
    tmux('kill-session', '-t', session);
    rmSync(dir, { recursive: true, force: true });
  }
});
