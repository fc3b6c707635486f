/**
 * Slow and greedy TCP clients of dk syslogd (issue 15): a message begun must
 * end within --tcp-frame-timeout (a client that trickles its bytes is cut,
 * one that stays quiet between messages is not), and one address may hold
 * at most --tcp-per-source connections. dk inetd has --per-source (256)
 * for every service that sets no per_source of its own. Its internal
 * services are byte streams with no messages to time, so a trickling
 * client of echo is served as the per-source limit allows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { ask } from '../../src/daemon/control.js';
import type { DaemonStatus } from '../../src/daemon/runtime.js';
import type { SyslogdStatus } from '../../src/syslog/server/status.js';
import type { InetdStatus } from '../../src/inetd/server/status.js';
import { inetdArgs } from '../helpers/inetd.js';
import { DK, ENV } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { figure } from '../helpers/figures.js';
import { lab, sleep } from '../helpers/lab.js';

const { f, children } = lab('dk-slow-');

async function syslogd(
  name: string,
  extra: string[],
): Promise<{ port: number; log: () => string; tcp: () => Promise<NonNullable<SyslogdStatus['inputs'][number]>> }> {
  writeFileSync(f(`${name}.conf`), `*.* ${f(`${name}.log`)}\n`);
  const child = spawn(
    process.execPath,
    [DK, 'syslogd', '-n', '-f', f(`${name}.conf`), '-p', f(`${name}.sock`), '--tcp', '127.0.0.1:0', '--control', f(`${name}.ctl`), ...extra],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: ENV,
    },
  );
  children.push(child);
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  await until(() => /listening on tcp/.test(log), 'dk syslogd');
  const tcp = async () =>
    ((await ask(f(`${name}.ctl`), { cmd: 'status' })) as unknown as DaemonStatus<SyslogdStatus>).detail.inputs.find((i) => i.kind === 'tcp')!;
  return { port: Number(/tcp [\d.]+:(\d+)/.exec(log)![1]), log: () => log, tcp };
}

const connect = async (port: number) => {
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => {});
  await new Promise((r) => c.once('connect', r));
  let closed = false;
  c.on('close', () => (closed = true));
  return { c, closed: () => closed };
};

test('a message trickled a byte at a time is cut after --tcp-frame-timeout; quiet and steady clients stay', async (t) => {
  const d = await syslogd('frame', ['--tcp-frame-timeout', '1']);
  const quiet = await connect(d.port);
  const steady = await connect(d.port);
  const slow = await connect(d.port);
  // the slow client begins a message and adds a byte every 200 ms: it would need 20 s to end it
  const text = `<14>slow: ${'x'.repeat(100)}\n`;
  let sent = 0;
  const trickle = setInterval(() => {
    if (!slow.closed() && sent < text.length) slow.c.write(text[sent++]);
  }, 200);
  // the steady one sends whole lines, one every 300 ms
  let lines = 0;
  const steadily = setInterval(() => steady.c.write(`<14>steady: line ${lines++}\n`), 300);
  try {
    await until(() => slow.closed(), 'the slow client cut', 10_000);
    await sleep(500);
    assert.equal(quiet.closed(), false, 'a quiet connection is not a slow message');
    assert.equal(steady.closed(), false);
    assert.ok(sent < text.length, 'cut before it finished');
    const s = await d.tcp();
    assert.equal(s.cut, 1);
    assert.equal(s.connections, 2);
    assert.match(d.log(), /127\.0\.0\.1: a frame not finished within 1 s: connection closed \(--tcp-frame-timeout\)/);
    // the quiet one still delivers when it speaks
    quiet.c.write('<14>quiet: after all\n');
    await until(() => readFileSync(f('frame.log'), 'utf8').includes('quiet: after all'), 'the quiet client heard');
    assert.ok(readFileSync(f('frame.log'), 'utf8').includes('steady: line 3'));
    figure(t, {
      daemon: 'syslogd',
      fault: 'a client trickling a message, 5 bytes a second',
      load: 'beside a quiet and a steady client, --tcp-frame-timeout 1 (default 30 s)',
      held: 'the trickler cut after 1 s and counted; the quiet and steady ones kept',
    });
  } finally {
    clearInterval(trickle);
    clearInterval(steadily);
    for (const x of [quiet, steady, slow]) x.c.destroy();
  }
});

test('--tcp-per-source: one connection too many from one address is refused and counted; one frees, one more is taken', async (t) => {
  const d = await syslogd('src', ['--tcp-per-source', '3']);
  const held = [await connect(d.port), await connect(d.port), await connect(d.port)];
  const extra = await connect(d.port);
  await until(() => extra.closed(), 'the fourth connection refused');
  const s = await d.tcp();
  assert.equal(s.refused, 1);
  assert.equal(s.connections, 3);
  assert.match(d.log(), /127\.0\.0\.1 already holds 3 tcp connections \(--tcp-per-source 3\): one more refused/);
  held[0].c.end();
  await until(async () => (await d.tcp()).connections === 2, 'one closed');
  const again = await connect(d.port);
  again.c.write('<14>src: taken again\n');
  await until(() => readFileSync(f('src.log'), 'utf8').includes('taken again'), 'the new one heard');
  assert.equal(again.closed(), false);
  for (const x of [...held, again]) x.c.destroy();
  figure(t, {
    daemon: 'syslogd',
    fault: 'connections per source',
    load: '4 connections from one address, --tcp-per-source 3 (default 256)',
    held: 'the 4th refused, counted and logged; taken again once one left',
  });
});

test('dk inetd: one address holds at most --per-source connections on a service (default 256, per_source = UNLIMITED opts out)', async (t) => {
  writeFileSync(f('services'), 'echo 0/tcp\n');
  writeFileSync(f('inetd.conf'), '127.0.0.1:echo stream tcp nowait root internal\n');
  const child = spawn(process.execPath, [DK, ...inetdArgs(f, ['--per-source', '3', '--control', f('inetd.ctl')])], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: ENV,
  });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  await until(() => /echo\/tcp listening on \S+ \S+:(\d+)/.test(log), 'dk inetd');
  const port = Number(/echo\/tcp listening on \S+ \S+:(\d+)/.exec(log)![1]);
  const held = [await connect(port), await connect(port), await connect(port)];
  const extra = await connect(port);
  await until(() => extra.closed(), 'the fourth connection refused');
  assert.match(log, /FAIL: echo\/tcp per_source_limit from=127\.0\.0\.1/);
  const st = (await ask(f('inetd.ctl'), { cmd: 'status' })) as unknown as DaemonStatus<InetdStatus>;
  const echo = st.detail.services.find((s) => s.id.startsWith('echo'))!;
  assert.equal(echo.limits.perSource, 3);
  assert.equal(echo.refused.per_source_limit, 1);
  held[0].c.end();
  await sleep(200);
  const again = await connect(port);
  let echoed = '';
  again.c.on('data', (b) => (echoed += b.toString()));
  again.c.write('taken again\n');
  await until(() => echoed === 'taken again\n', 'the new one echoed');
  for (const x of [...held, again]) x.c.destroy();
  child.kill('SIGTERM');
  // without --per-source: 256 for a service that says nothing, none for one that says UNLIMITED
  writeFileSync(
    f('xinetd.conf'),
    [
      'service echo',
      '{',
      '  type = INTERNAL',
      '  socket_type = stream',
      '  wait = no',
      '  bind = 127.0.0.1',
      '  port = 0',
      '}',
      'service daytime',
      '{',
      '  type = INTERNAL',
      '  socket_type = stream',
      '  wait = no',
      '  bind = 127.0.0.1',
      '  port = 0',
      '  per_source = UNLIMITED',
      '}',
      '',
    ].join('\n'),
  );
  const x = spawn(process.execPath, [DK, ...inetdArgs(f, ['--xinetd', '--control', f('x.ctl')]).slice(0, -1), f('xinetd.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: ENV,
  });
  children.push(x);
  let xlog = '';
  x.stderr!.on('data', (b: Buffer) => (xlog += b.toString()));
  await until(() => (xlog.match(/listening on/g)?.length ?? 0) >= 2, `dk inetd --xinetd: ${xlog}`);
  // the control socket is opened after the listeners: asked until it answers
  let xs: InetdStatus['services'] = [];
  await until(async () => {
    try {
      xs = ((await ask(f('x.ctl'), { cmd: 'status' })) as unknown as DaemonStatus<InetdStatus>).detail.services;
      return true;
    } catch {
      return false;
    }
  }, 'the control socket of dk inetd --xinetd');
  assert.equal(xs.find((s) => s.id === 'echo')!.limits.perSource, 256);
  assert.equal(xs.find((s) => s.id === 'daytime')!.limits.perSource, undefined);
  x.kill('SIGTERM');
  figure(t, {
    daemon: 'inetd',
    fault: 'connections per source',
    load: '4 echo connections from one address, --per-source 3 (default 256)',
    held: "the 4th refused and logged as xinetd's FAIL per_source_limit; served once one left",
  });
});
