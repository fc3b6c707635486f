// The library against python3-psutil and systeminformation, in-process on
// every side, with ~1000 extra sleeping processes: processIter, virtualMemory,
// cpuTimes({perCpu}), netConnections('all'), diskIoCounters and one
// Process.memoryFullInfo. Each figure is the median time of one call over
// batches (a batch lasts a few milliseconds; one call of a fast function
// takes microseconds), psutil's measured by Python's perf_counter in the same
// minutes. Target: ours <= 0.7x psutil, and >= 10x faster than
// systeminformation where it has the function.
import { spawnSync } from 'node:child_process';
import { stats } from './lib.mjs';
import { withSleepers } from './ps.mjs';

const LIB = new URL('../dist/src/index.js', import.meta.url).href;
const BATCHES = 15;

/** the calls compared: name, our call, psutil's expression, systeminformation's (async), batch size, psutil's set-up */
const CASES = (target) => [
  ['processIter (default attrs: none)', (l) => [...l.processIter()].length, 'len(list(psutil.process_iter()))', undefined, 1],
  [
    'processIter (9 attrs: pid ppid name username status cpu_times memory_info create_time cmdline)',
    (l) => [...l.processIter({ attrs: ['pid', 'ppid', 'name', 'username', 'status', 'cpuTimes', 'memoryInfo', 'createTime', 'cmdline'] })].length,
    "len([p.info for p in psutil.process_iter(['pid', 'ppid', 'name', 'username', 'status', 'cpu_times', 'memory_info', 'create_time', 'cmdline'])])",
    (si) => si.processes(),
    1,
  ],
  ['virtualMemory', (l) => l.virtualMemory(), 'psutil.virtual_memory()', (si) => si.mem(), 200],
  ['cpuTimes({perCpu: true})', (l) => l.cpuTimes({ perCpu: true }), 'psutil.cpu_times(percpu=True)', (si) => si.currentLoad(), 200],
  ["netConnections('all')", (l) => l.netConnections('all'), "psutil.net_connections('all')", (si) => si.networkConnections(), 1],
  ['diskIoCounters', (l) => l.diskIoCounters(), 'psutil.disk_io_counters()', (si) => si.disksIO(), 200],
  // the method on a handle made once (the issue's "one Process.memoryFullInfo"), then with the handle made each time
  [
    "Process.memoryFullInfo() (a sleeper's)",
    (l) => handle(l, target).memoryFullInfo(),
    'P.memory_full_info()',
    (si) => si.processLoad('sleep'),
    50,
    `P = psutil.Process(${target})`,
  ],
  [
    'new Process(pid).memoryFullInfo() (a sleeper)',
    (l) => new l.Process(target).memoryFullInfo(),
    `psutil.Process(${target}).memory_full_info()`,
    undefined,
    50,
  ],
];

let made;
const handle = (l, pid) => (made ??= new l.Process(pid));

/**
 * Warm-up before timing, the same on both sides: at least 20 batches and
 * half a second. V8 optimises a function after some thousands of calls, on
 * threads that share the pinned CPU meanwhile (memoryFullInfo on a handle
 * took 35-86 us for its first 3,500 calls here, 28 us after): timed is the
 * steady state a long-running program sees.
 */
const warmUp = (k) => Math.max(5, k * 20);
const WARM_MS = 500;

function timeOurs(fn, lib, k) {
  const until = Date.now() + WARM_MS;
  for (let i = 0; i < warmUp(k) || Date.now() < until; i++) fn(lib);
  const per = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < k; i++) fn(lib);
    per.push(Number(process.hrtime.bigint() - t0) / 1e6 / k);
  }
  return stats(per);
}

function timePsutil(expr, k, setup = '') {
  const code = `
import time, psutil
${setup}
until = time.perf_counter() + ${WARM_MS / 1000}
i = 0
while i < ${warmUp(k)} or time.perf_counter() < until:
    ${expr}
    i += 1
out = []
for _ in range(${BATCHES}):
    t0 = time.perf_counter()
    for _ in range(${k}):
        ${expr}
    out.append((time.perf_counter() - t0) * 1000 / ${k})
print(' '.join('%.6f' % x for x in out))
`;
  const py = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' });
  if (py.status !== 0) return { error: py.stderr.trim().split('\n').pop() };
  return stats(py.stdout.trim().split(' ').map(Number));
}

/** systeminformation answers from a cache for 500 ms after a call: its calls are spaced 600 ms apart so each does the work */
async function timeSi(fn, si) {
  await fn(si);
  const per = [];
  for (let b = 0; b < 5; b++) {
    await new Promise((r) => setTimeout(r, 600));
    const t0 = process.hrtime.bigint();
    await fn(si);
    per.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return stats(per);
}

/** the calls that run on one thread on both sides; the others (processIter, netConnections) read on two threads of ours */
const ONE_THREAD = ['virtualMemory', 'cpuTimes', 'diskIoCounters', 'memoryFullInfo'];

/**
 * Ours against psutil's. A call made on one thread is timed on each CPU in
 * turn with both sides pinned to it (this VM's CPUs differ: the second runs
 * the same code 25-55% slower, and a side the scheduler happened to put
 * there lost or won by that much); the rest unpinned, ours and psutil's in
 * turn twice, so both medians come from the same minutes.
 */
function compare(lib, name, ours, expr, k, setup) {
  const self = new lib.Process(process.pid);
  const all = self.cpuAffinity();
  const rounds = ONE_THREAD.some((w) => name.includes(w)) && all.length > 1 ? all.map((c) => [c]) : [all, all];
  const o = [];
  const p = [];
  try {
    for (const cpus of rounds) {
      // the main thread's affinity: psutil's Python, spawned from it, inherits it
      self.setCpuAffinity(cpus);
      o.push(timeOurs(ours, lib, k).median);
      if (process.env.DK_BENCH_DEBUG) console.log('#', cpus, 'ours', o.at(-1));
      const r = timePsutil(expr, k, setup);
      if (r.error) return { oMed: o[0], error: r.error };
      p.push(r.median);
      if (process.env.DK_BENCH_DEBUG) console.log('#', cpus, 'psutil', r.median);
    }
  } finally {
    self.setCpuAffinity(all);
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const perCpu = rounds[0] === all ? '' : ` [${rounds.map((c, i) => `cpu${c[0]} ${(o[i] / p[i]).toFixed(2)}`).join(', ')}]`;
  return { oMed: mean(o), pMed: mean(p), perCpu };
}

const ms = (x) => (x < 1 ? `${(x * 1000).toFixed(1)} us` : `${x.toFixed(2)} ms`);

export default async function () {
  await withSleepers(async () => {
    const lib = await import(LIB);
    let si;
    try {
      si = (await import('systeminformation')).default;
    } catch {
      console.log('# systeminformation is not installed (npm ci installs it as a devDependency)');
    }
    // a sleeper of the thousand: the same process for both sides' memoryFullInfo
    const target = lib.pids().find((p) => {
      try {
        return new lib.Process(p).name() === 'sleep';
      } catch {
        return false;
      }
    });
    // DK_BENCH_ONLY=text: only the cases whose name holds it (a second look at one row)
    const only = process.env.DK_BENCH_ONLY;
    for (const [name, ours, expr, siFn, k, setup] of CASES(target).filter((c) => !only || c[0].includes(only))) {
      const { oMed, pMed, perCpu, error } = compare(lib, name, ours, expr, k, setup);
      if (error) {
        console.log(`library ${name}: ours ${ms(oMed)}, psutil unavailable (install python3-psutil: ${error})`);
        continue;
      }
      let line = `library ${name}: ours ${ms(oMed)}, psutil ${ms(pMed)}, ratio ${(oMed / pMed).toFixed(2)} (target <= 0.70)${perCpu}`;
      if (si && siFn) {
        const s = await timeSi(siFn, si);
        line += `; systeminformation ${ms(s.median)}, ours ${(s.median / oMed).toFixed(1)}x faster (target >= 10x)`;
      }
      console.log(line);
      if (name.startsWith('netConnections')) await socketFloor(lib);
    }
  });
}

/**
 * Where netConnections' time goes: the owners of the sockets (every
 * descriptor of every process looked at) and the kernel's socket tables.
 * Where BPF may be loaded, ours asks the kernel's task_file iterator for the
 * owners; psutil, netstat (what systeminformation runs) and ours without
 * BPF walk /proc/PID/fd, ours in C on two threads.
 */
async function socketFloor(lib) {
  const median = (fn, n = 7) => {
    const xs = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      fn();
      xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return stats(xs).median;
  };
  const { scanAll, scanEvery, socketIteratorMissing } = await import(new URL('../dist/src/lib/fdscan.js', import.meta.url).href);
  const { readFileSync } = await import('node:fs');
  const pids = lib.pids();
  const missing = socketIteratorMissing();
  const iterator = missing ? `not loaded here (${missing})` : ms(median(() => scanEvery()));
  const walk = median(() => scanAll(pids));
  const tables = median(() => {
    for (const t of ['tcp', 'tcp6', 'udp', 'udp6', 'unix']) readFileSync(`/proc/net/${t}`);
  });
  const start = median(() => spawnSync('true'));
  const netstat = median(() => spawnSync('netstat', ['-tunap'], { env: { ...process.env, LC_ALL: 'C' } }));
  console.log(
    `#   where it goes: owners from the kernel's iterator ${iterator}; by walking every descriptor of ${pids.length} processes (ours without BPF, on two threads) ${ms(walk)}; reading the five socket tables ${ms(tables)}; netstat -tunap (what systeminformation runs) ${ms(netstat)}, of which ${ms(start)} is starting a process`,
  );
}
