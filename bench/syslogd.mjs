// dk syslogd against rsyslogd: one C blaster sends COUNT ~100-byte messages
// over the unix socket, UDP, TCP with 1 and 4 connections; both daemons write
// every message to one file (no fsync per line). Reports messages/s from the
// first send to the last line written (median of RUNS), the worst loss and
// the highest peak RSS.
import { execFileSync, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const SRC = fileURLToPath(new URL('./syslog-blaster.c', import.meta.url));
const RSYSLOGD = '/usr/sbin/rsyslogd';
const COUNT = Number(process.env.SYSLOG_BENCH_COUNT ?? 200_000);
const RUNS = Number(process.env.SYSLOG_BENCH_RUNS ?? 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pred, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function peakRssMiB(pid) {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

async function startOurs(dir, out) {
  const conf = join(dir, 'syslog.conf');
  writeFileSync(conf, `*.* -${out}\n`);
  const sock = join(dir, 'log');
  const child = spawn(process.execPath, [DK, 'syslogd', '-n', '-f', conf, '-p', sock, '--udp', '127.0.0.1:0', '--tcp', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await waitFor(() => /listening on tcp/.test(err), 'dk syslogd');
  return { child, pid: child.pid, sock, udp: Number(/udp [\d.]+:(\d+)/.exec(err)[1]), tcp: Number(/tcp [\d.]+:(\d+)/.exec(err)[1]) };
}

async function freeUdpPort() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function startRsyslog(dir, out) {
  const sock = join(dir, 'log');
  const udp = await freeUdpPort(); // imudp in rsyslog 8.2302 cannot report a port-0 choice
  const portFile = join(dir, 'tcp.port');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    [
      `global(workDirectory="${dir}")`,
      'module(load="imuxsock" SysSock.Use="off")',
      `input(type="imuxsock" Socket="${sock}")`,
      'module(load="imudp")',
      `input(type="imudp" address="127.0.0.1" port="${udp}")`,
      'module(load="imtcp")',
      `input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="${portFile}")`,
      `*.* action(type="omfile" file="${out}" template="RSYSLOG_TraditionalFileFormat")`,
      '',
    ].join('\n'),
  );
  const child = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'pid')], { stdio: 'ignore' });
  await waitFor(() => existsSync(portFile) && readFileSync(portFile, 'utf8').trim() !== '' && existsSync(sock), 'rsyslogd');
  return { child, pid: child.pid, sock, udp, tcp: Number(readFileSync(portFile, 'utf8').trim()) };
}

/** Counts lines as they land; done when all arrived or nothing came for 2 s after the sender ended. */
async function measure(out, blaster, args) {
  const t0 = performance.now();
  const sender = spawn(blaster, args.map(String), { stdio: ['ignore', 'ignore', 'inherit'] });
  let senderDone = false;
  sender.once('exit', () => (senderDone = true));
  let lines = 0;
  let offset = 0;
  let last = t0;
  const buf = Buffer.alloc(1 << 20);
  while (lines < COUNT) {
    await sleep(5);
    if (!existsSync(out)) continue;
    const size = statSync(out).size;
    if (size > offset) {
      const fd = openSync(out, 'r');
      while (offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
        for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
        offset += n;
      }
      closeSync(fd);
      last = performance.now();
    } else if (senderDone && performance.now() - last > 2000) break;
  }
  await new Promise((r) => (senderDone ? r() : sender.once('exit', r)));
  return { rate: lines / ((last - t0) / 1000), loss: COUNT - lines };
}

const k = (n) => `${(n / 1000).toFixed(1)}k msg/s`;

export default async function () {
  if (!existsSync(RSYSLOGD)) throw new Error('rsyslogd is missing: apt-get install rsyslog');
  const build = mkdtempSync(join(tmpdir(), 'dk-bench-blaster-'));
  const blaster = join(build, 'blaster');
  execFileSync('cc', ['-O2', '-o', blaster, SRC]);
  const transports = [
    ['unix', (d) => ['unix', d.sock, COUNT]],
    ['udp', (d) => ['udp', d.udp, COUNT]],
    ['tcp x1', (d) => ['tcp', d.tcp, COUNT, 1]],
    ['tcp x4', (d) => ['tcp', d.tcp, COUNT, 4]],
  ];
  // SYSLOG_BENCH_ONLY=udp (or unix, tcp x1, tcp x4): one transport, for working on it
  const only = process.env.SYSLOG_BENCH_ONLY;
  try {
    for (const [name, args] of transports.filter(([n]) => !only || n === only)) {
      const runs = { ours: [], peer: [] };
      // short runs on a shared 2-core machine are noisy: alternate sides, keep the median
      for (let i = 0; i < RUNS; i++) {
        for (const [side, start] of [
          ['ours', startOurs],
          ['peer', startRsyslog],
        ]) {
          const dir = mkdtempSync(join(tmpdir(), 'dk-bench-syslogd-'));
          const out = join(dir, 'out');
          const d = await start(dir, out);
          try {
            const r = await measure(out, blaster, args(d));
            runs[side].push({ ...r, rss: peakRssMiB(d.pid) });
          } finally {
            await stopChild(d.child);
            rmSync(dir, { recursive: true, force: true });
          }
        }
      }
      const sum = (xs) => ({
        rate: xs.map((x) => x.rate).sort((a, b) => a - b)[Math.floor(xs.length / 2)],
        loss: Math.max(...xs.map((x) => x.loss)),
        rss: Math.max(...xs.map((x) => x.rss)),
      });
      const ours = sum(runs.ours);
      const peer = sum(runs.peer);
      console.log(
        `syslogd ${name} (${COUNT} msgs, median of ${RUNS}): ours ${k(ours.rate)} loss ${ours.loss} rss ${ours.rss.toFixed(0)} MiB, peer rsyslogd ${k(peer.rate)} loss ${peer.loss} rss ${peer.rss.toFixed(0)} MiB, ratio ${(ours.rate / peer.rate).toFixed(2)} (rate, higher is better)`,
      );
    }
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}
