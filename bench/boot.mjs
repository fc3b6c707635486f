// dk init booting a generated 50-service graph (fixed seed): each service is
// a tiny C program that becomes ready (sd_notify) after a fixed 50-300 ms,
// and requires up to three earlier ones. Boot time against the graph's
// critical path (the physical limit: the longest chain of readiness delays)
// and against a serial boot (their sum); then dk init's RSS and CPU while
// idle with the 50 services running; then shutdown (each service spends
// 20-200 ms of stop work on SIGTERM) against the stop critical path: a unit
// stops only after every unit that requires it has, so the longest chain of
// stop work is the physical limit.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const SRC = fileURLToPath(new URL('./notify-after.c', import.meta.url));
const N = 50;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function graph() {
  const rnd = mulberry32(20261125);
  // stop times from a generator of their own: the boot graph stays the one measured before
  const stopRnd = mulberry32(20261201);
  return Array.from({ length: N }, (_, i) => {
    const deps = new Set();
    const k = i === 0 ? 0 : Math.floor(rnd() * 4);
    for (let j = 0; j < k; j++) deps.add(Math.floor(rnd() * i));
    return { name: `s${String(i).padStart(2, '0')}`, delay: 50 + Math.floor(rnd() * 251), stop: 20 + Math.floor(stopRnd() * 181), deps: [...deps] };
  });
}

export default async function () {
  const dir = mkdtempSync(join(tmpdir(), 'dk-bench-boot-'));
  try {
    const bin = join(dir, 'notify-after');
    execFileSync('cc', ['-O2', '-o', bin, SRC]);
    const g = graph();
    const finish = [];
    const level = [];
    g.forEach((s, i) => {
      finish[i] = Math.max(0, ...s.deps.map((d) => finish[d])) + s.delay;
      level[i] = Math.max(-1, ...s.deps.map((d) => level[d])) + 1;
    });
    const critical = Math.max(...finish);
    // stopping runs the other way: a unit's stop starts when all that depend on it have stopped
    const stopEnd = [];
    for (let i = N - 1; i >= 0; i--) {
      const dependents = g.map((s, j) => (s.deps.includes(i) ? stopEnd[j] : 0));
      stopEnd[i] = Math.max(0, ...dependents) + g[i].stop;
    }
    const stopCritical = Math.max(...stopEnd);
    const slowestStop = Math.max(...g.map((s) => s.stop));
    const levels = Math.max(...level) + 1;
    const serial = g.reduce((n, s) => n + s.delay, 0);
    const units = join(dir, 'units');
    mkdirSync(units);
    writeFileSync(join(units, 'multi-user.target'), '[Unit]\nDescription=bench\n');
    for (const s of g) {
      const deps = s.deps.map((d) => `${g[d].name}.service`).join(' ');
      writeFileSync(
        join(units, `${s.name}.service`),
        `[Unit]\n${deps ? `Requires=${deps}\nAfter=${deps}\n` : ''}[Service]\nType=notify\nExecStart=${bin} ${s.delay} ${s.stop}\n[Install]\nWantedBy=multi-user.target\n`,
      );
    }
    // enabled as an administrator would: the links in multi-user.target.wants/ pull them in
    const en = spawnSync(process.execPath, [DK, 'initctl', '--units', units, 'enable', ...g.map((s) => `${s.name}.service`)], { encoding: 'utf8' });
    if (en.status !== 0) throw new Error(`enable: ${en.stderr}`);
    const runs = [];
    const downs = [];
    let idle;
    for (let round = 0; round < 3; round++) {
      const init = spawn(process.execPath, [DK, 'init', '--units', units, '--state-dir', join(dir, `state${round}`), '--syslog-socket', join(dir, 'nolog')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let log = '';
      init.stderr.on('data', (b) => (log += b));
      for (let i = 0; i < 400 && !/reached in/.test(log); i++) await sleep(25);
      runs.push(Number(/reached in (\d+) ms/.exec(log)?.[1]));
      if (round === 2) {
        // idle: five seconds with the 50 services up
        const ticks = () =>
          readFileSync(`/proc/${init.pid}/stat`, 'latin1')
            .split(') ')[1]
            .split(' ')
            .slice(11, 13)
            .reduce((a, b) => a + Number(b), 0);
        const t0 = ticks();
        await sleep(5000);
        const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
        const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${init.pid}/status`, 'latin1'))[1]);
        idle = { cpu: ((ticks() - t0) / hz / 5) * 100, rssMiB: rss / 1024 };
      }
      // poweroff on the control socket, as dk initctl asks it (without the 40-70 ms a client process takes
      // to start, which is not shutdown work); as a subreaper dk init then exits 0
      const exited = new Promise((r) => init.once('exit', r));
      const t0 = performance.now();
      const c = net.connect(join(dir, `state${round}`, 'control.sock'));
      c.on('error', () => {});
      c.end(`${JSON.stringify({ cmd: 'poweroff' })}\n`);
      await exited;
      downs.push(Math.round(performance.now() - t0));
    }
    runs.sort((a, b) => a - b);
    const boot = runs[1];
    const budget = critical + 5 * levels;
    console.log(
      `boot ${N} services (${levels} levels): ours ${boot} ms (median of 3: ${runs.join(', ')}), peer critical path ${critical} ms, ratio ${(boot / critical).toFixed(3)}; target <= ${budget} ms: ${boot <= budget ? 'met' : 'missed'}; serial boot would take ${serial} ms`,
    );
    console.log(`boot idle with ${N} services: ours RSS ${idle.rssMiB.toFixed(1)} MiB, CPU ${idle.cpu.toFixed(2)}% (targets: < 60 MiB, < 1%)`);
    downs.sort((a, b) => a - b);
    const down = downs[1];
    console.log(
      `shutdown ${N} services: ours ${down} ms (median of 3: ${downs.join(', ')}, from the poweroff request to dk init's exit), stop critical path ${stopCritical} ms (slowest unit alone ${slowestStop} ms); target <= ${stopCritical + 50} ms: ${down <= stopCritical + 50 ? 'met' : 'missed'}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
