/**
 * npm start's userland for real: scripts/start.mjs boots dk syslogd, dk
 * inetd, dk rpcbind and dk update under dk init (subreaper, state in a temp
 * dir, free loopback ports), every endpoint it prints answers, and Ctrl-C
 * takes everything down with nothing left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dk } from '../helpers/dk.js';
import { until } from '../helpers/children.js';

const START = fileURLToPath(new URL('../../../scripts/start.mjs', import.meta.url));

test('npm start: the userland boots, every endpoint answers, Ctrl-C leaves nothing behind', async () => {
  const state = mkdtempSync(join(tmpdir(), 'dk-userland-'));
  const p = spawn(process.execPath, [START], {
    env: { ...process.env, DK_USERLAND_STATE: state, DK_USERLAND_PORTS: 'auto' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout!.on('data', (b) => (out += b));
  p.stderr!.on('data', (b) => (out += b));
  const pids: number[] = [];
  try {
    await until(() => /Ctrl-C stops everything/.test(out) || p.exitCode !== null, 'the userland to boot', 30_000);
    for (const svc of ['syslogd', 'inetd', 'rpcbind', 'update', 'console']) {
      const m = new RegExp(`${svc}\\.service\\s+active\\s+(\\d+)`).exec(out);
      assert.ok(m, `${svc} active in\n${out}`);
      pids.push(Number(m[1]));
    }
    const port = (re: RegExp) => Number(re.exec(out)![1]);
    const [echo, daytime, rpc, syslogUdp] = [
      port(/echo tcp\+udp 127\.0\.0\.1:(\d+)/),
      port(/daytime tcp 127\.0\.0\.1:(\d+)/),
      port(/udp\+tcp 127\.0\.0\.1:(\d+)/),
      port(/udp 127\.0\.0\.1:(\d+), tcp/),
    ];
    // syslog: the local socket and UDP, into the file and the store
    assert.equal(dk(['logger', '-u', join(state, 'log.sock'), '-t', 'demo', 'hello from the userland']).code, 0);
    await new Promise<void>((r) => {
      const s = dgram.createSocket('udp4');
      s.send('<13>demo: over udp too', syslogUdp, '127.0.0.1', () => {
        s.close();
        r();
      });
    });
    await until(() => /over udp too/.test(readFileSync(join(state, 'messages'), 'utf8')), 'both messages in the file');
    assert.match(readFileSync(join(state, 'messages'), 'utf8'), /demo: hello from the userland/);
    // the services' own output went to syslog, tagged with their unit (dk syslogd was ready first: Type=notify)
    assert.match(readFileSync(join(state, 'messages'), 'utf8'), /inetd\[\d+\]: dk inetd: echo\/tcp listening on tcp 127\.0\.0\.1:\d+/);
    await until(() => /hello from the userland/.test(dk(['logs', '--db', join(state, 'logs.db'), '-t', 'demo', '--no-pager']).out), 'the message in the store');
    // inetd: echo over TCP and UDP, daytime
    const tcp = (portNo: number, send: string) =>
      new Promise<string>((resolve, reject) => {
        const c = net.connect(portNo, '127.0.0.1');
        let got = '';
        c.on('data', (b) => (got += b));
        c.on('connect', () => c.end(send));
        c.on('close', () => resolve(got));
        c.on('error', reject);
      });
    assert.equal(await tcp(echo, 'ping\n'), 'ping\n');
    assert.match(await tcp(daytime, ''), /\d\d:\d\d:\d\d \d{4}\r\n$/);
    const udpEcho = await new Promise<string>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.on('message', (m) => {
        s.close();
        resolve(m.toString());
      });
      s.bind(0, '127.0.0.1', () => s.send('udp ping', echo, '127.0.0.1'));
    });
    assert.equal(udpEcho, 'udp ping');
    // rpcbind
    assert.match(dk(['rpcinfo', '--port', String(rpc), '-p', '127.0.0.1']).out, new RegExp(`100000\\s+2\\s+udp\\s+${rpc}\\s+portmapper`));
    // dk status: every daemon through its control socket, named as ps shows it, with its last log lines
    const json = dk(['status', '--state-dir', state, '--json']);
    assert.equal(json.code, 0, json.err);
    const statuses = JSON.parse(json.out) as { name: string; comm: string; pid: number; state: string }[];
    assert.deepEqual(statuses.map((s) => s.name).sort(), ['console', 'inetd', 'init', 'rpcbind', 'syslogd', 'update']);
    assert.ok(
      statuses.every((s) => s.state === 'running'),
      json.out,
    );
    for (const s of statuses) {
      assert.equal(readFileSync(`/proc/${s.pid}/comm`, 'utf8').trim(), s.comm);
      if (s.name !== 'init') assert.ok(pids.includes(s.pid), `${s.name} ${s.pid} is the unit's main PID`);
    }
    const text = dk(['status', '--state-dir', state]);
    assert.equal(text.code, 0, text.err);
    for (const c of ['dk-init', 'dk-syslogd', 'dk-inetd', 'dk-rpcbind', 'dk-update', 'dk-console'])
      assert.match(text.out, new RegExp(`^● ${c} - running since `, 'm'));
    // the console: its first admin's password is in a 0600 file, and it logs in
    const consoleUrl = /The web console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1];
    const passwordFile = join(state, 'console-admin.password');
    assert.equal(statSync(passwordFile).mode & 0o777, 0o600);
    const login = await fetch(`${consoleUrl}api/login`, {
      method: 'POST',
      headers: { origin: consoleUrl.replace(/\/$/, ''), 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', password: readFileSync(passwordFile, 'utf8').trim() }),
    });
    assert.equal(login.status, 200);
    // dk init tags each service's output with its unit: dk inetd's own lines come from the store
    assert.match(text.out, /\n\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ (dk-)?inetd\[\d+\]: (dk inetd: \S+ listening on tcp|START: )/);
    assert.match(text.out, /syslogd\.service +active +\d+/);
    // Ctrl-C
    p.kill('SIGINT');
    await until(() => p.exitCode !== null, 'npm start to end', 30_000);
    assert.equal(p.exitCode, 0, out);
    assert.match(out, /stopped, file systems synced/);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `pid ${pid} left behind`);
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(state, { recursive: true, force: true });
  }
});
