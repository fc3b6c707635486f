/**
 * dk syslogd end to end for what the main daemon test does not set up:
 * file mode and ownership directives on the files it creates, a umask, a
 * terminal as the action (as /dev/console is), and IPv6 listeners
 * (util-linux logger over UDP and TCP to ::1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DK, dk, run } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { requirePeer } from '../helpers/peers.js';
import { startSyslogd, type RunningSyslogd } from '../helpers/syslogd.js';

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
    for (const [p, text] of [
      ['local0.info', 'to default'],
      ['local1.info', 'to shaped'],
    ])
      assert.equal(dk(['logger', '-u', d.sock, '-p', p, text]).code, 0);
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
    const got = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { app: string; msg: string; input: string });
    assert.deepEqual(got.map((m) => [m.app, m.msg, m.input.replace(/\d+$/, 'P')]).sort(), [
      ['v6tcp', 'over tcp6', 'tcp:::1:P'],
      ['v6udp', 'over udp6', 'udp:::1:P'],
    ]);
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A fresh pty held by python3 (nobody's controlling terminal); with copy, what arrives on it goes to stdout. */
async function pty(copy: boolean): Promise<{ tty: string; seen: () => string; close: () => void }> {
  const py = [
    'import os, sys, time',
    'm, s = os.openpty()',
    'print(os.ttyname(s), flush=True)',
    'while True:',
    `    if not ${copy ? 'True' : 'False'}:`,
    '        time.sleep(60)',
    '        continue',
    '    try:',
    '        d = os.read(m, 4096)',
    '    except OSError:',
    '        time.sleep(0.02)',
    '        continue',
    '    sys.stdout.write(d.decode(errors="replace"))',
    '    sys.stdout.flush()',
  ].join('\n');
  const holder = spawn('python3', ['-c', py], { stdio: ['ignore', 'pipe', 'inherit'] });
  let seen = '';
  holder.stdout!.on('data', (b: Buffer) => (seen += b.toString()));
  await until(() => seen.includes('\n'), 'the pty name');
  return { tty: seen.split('\n')[0], seen: () => seen, close: () => holder.kill('SIGKILL') };
}

test('a terminal as the action (as /dev/console): the line shows on it', async (t) => {
  if (!requirePeer(t, 'python3', 'python3')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dk-syslogd-tty-'));
  const term = await pty(true);
  let d: RunningSyslogd | undefined;
  try {
    d = await startSyslogd(dir, [`local2.* ${term.tty}`], { setsid: true });
    assert.equal(dk(['logger', '-u', d.sock, '-p', 'local2.crit', '-t', 'console', 'disk on fire']).code, 0);
    await until(() => term.seen().includes('console: disk on fire'), 'the line on the terminal');
  } finally {
    await d?.stop();
    term.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a terminal nobody reads (a stopped console) never stalls the daemon: its lines are dropped and counted', async (t) => {
  if (!requirePeer(t, 'python3', 'python3')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dk-syslogd-stuck-'));
  const term = await pty(false);
  let d: RunningSyslogd | undefined;
  try {
    const file = join(dir, 'file');
    d = await startSyslogd(dir, [`local2.* ${term.tty}`, `local3.* ${file}`]);
    // far more than a pty buffers: a blocking write would hang the daemon here
    // a stalled daemon would block this sender for good: bounded, so that shows as a failure
    const flood = spawnSync(
      'sh',
      ['-c', `seq 1 3000 | sed 's/$/ ${'x'.repeat(150)}/' | "${process.execPath}" "${DK}" logger -u "${d.sock}" -p local2.err -t flood`],
      { timeout: 60_000, encoding: 'utf8' },
    );
    assert.equal(flood.status, 0, `the sender was blocked: ${flood.error?.message ?? flood.stderr}`);
    assert.equal(dk(['logger', '-u', d.sock, '-p', 'local3.info', '-t', 'after', 'still logging']).code, 0);
    await until(() => has(file, 'after: still logging'), 'the file line after the flood');
    const stats = await d.stats();
    assert.match(stats, /dropped [1-9]\d*/, stats);
  } finally {
    await d?.stop();
    term.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
