/**
 * 10,000 idle TCP connections (issue 15) to dk syslogd and to dk inetd's
 * internal echo: the resident set stays within 2x the idle daemon's + 20 MiB
 * and a new client is still served (its latency is printed; `npm run bench`
 * is where times are held to targets). Fewer connections when this
 * process may not open that many descriptors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { DK, ENV } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { inetdArgs } from '../helpers/inetd.js';
import { figure } from '../helpers/figures.js';
import { lab, sleep } from '../helpers/lab.js';

const { f, children } = lab('dk-idle-');
const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1]);
/** this process's descriptor limit, less room for everything else it has open */
const openFiles = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);
const N = Math.min(10_000, openFiles - 500);

async function daemon(args: string[], portLine: RegExp): Promise<{ pid: number; port: number }> {
  const child = spawn(process.execPath, [DK, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  await until(() => portLine.test(log), `dk ${args[0]}`);
  return { pid: child.pid!, port: Number(portLine.exec(log)![1]) };
}

/** n connections that say nothing, opened 500 at a time; resolves when all are open */
async function idle(port: number, n: number): Promise<net.Socket[]> {
  const socks: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    socks.push(c);
    if (i % 500 === 499) await sleep(20);
  }
  await Promise.all(socks.map((c) => (c.connecting ? new Promise((r) => c.once('connect', r).once('error', r)) : undefined)));
  return socks;
}

for (const kind of ['syslogd', 'inetd'] as const) {
  test(`dk ${kind} with ${N} idle TCP connections: RSS within 2x idle + 20 MiB, a new client served`, async (t) => {
    if (N < 1000) return t.skip(`only ${openFiles} descriptors may be open here`);
    let d: { pid: number; port: number };
    if (kind === 'syslogd') {
      writeFileSync(f('syslog.conf'), `*.* ${f('messages')}\n`);
      d = await daemon(
        ['syslogd', '-n', '-f', f('syslog.conf'), '-p', f('log.sock'), '--tcp', '127.0.0.1:0', '--tcp-per-source', '20000'],
        /listening on tcp [\d.]+:(\d+)/,
      );
    } else {
      writeFileSync(f('services'), 'echo 0/tcp\n');
      writeFileSync(f('inetd.conf'), '127.0.0.1:echo stream tcp nowait root internal\n');
      d = await daemon(inetdArgs(f, ['--per-source', '20000']), /echo\/tcp listening on \S+ \S+:(\d+)/);
    }
    await sleep(500);
    const base = rssKiB(d.pid);
    const socks = await idle(d.port, N);
    try {
      assert.equal(socks.filter((c) => c.readyState === 'open').length, N, 'every connection open');
      await sleep(1000);
      const held = rssKiB(d.pid);
      const t0 = performance.now();
      const late = net.connect(d.port, '127.0.0.1');
      late.on('error', () => {});
      await new Promise((r) => late.once('connect', r));
      if (kind === 'syslogd') {
        late.write('<14>idle: a new client\n');
        await until(() => readFileSync(f('messages'), 'utf8').includes('a new client'), 'the new client heard');
      } else {
        late.write('hello\n');
        await new Promise((r) => late.once('data', r));
      }
      const ms = performance.now() - t0;
      late.destroy();
      t.diagnostic(
        `${kind}: RSS ${(base / 1024).toFixed(1)} MiB idle, ${(held / 1024).toFixed(1)} MiB with ${N} connections (bound ${((2 * base) / 1024 + 20).toFixed(1)}); a new client served in ${ms.toFixed(1)} ms`,
      );
      assert.ok(held <= 2 * base + 20 * 1024, `RSS ${held} KiB with ${N} connections, idle ${base} KiB`);
      figure(t, {
        daemon: kind,
        fault: `${N.toLocaleString('en')} idle TCP connections`,
        load: `${N.toLocaleString('en')} clients connect and say nothing`,
        held: `RSS ${(base / 1024).toFixed(1)} → ${(held / 1024).toFixed(1)} MiB (bound ${((2 * base) / 1024 + 20).toFixed(1)}), a new client served in ${ms.toFixed(1)} ms`,
      });
    } finally {
      for (const c of socks) c.destroy();
    }
  });
}
