// dk ps and the library snapshot against procps ps and python3-psutil, with
// ~1000 extra sleeping processes on the machine. Children are one process
// group we create and kill at the end.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compareTool, report, stats, timeCommand } from './lib.mjs';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const LIB = new URL('../dist/src/index.js', import.meta.url).href;
const RUNS = 20;
const SLEEPERS = 1000;
const SETTLE_MS = 10000;

const countProcs = () => readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)).length;

export async function withSleepers(fn) {
  const before = countProcs();
  const group = spawn('sh', ['-c', `i=0; while [ $i -lt ${SLEEPERS} ]; do sleep 600 & i=$((i+1)); done; wait`], { detached: true, stdio: 'ignore' });
  try {
    const end = Date.now() + 60000;
    while (countProcs() < before + SLEEPERS && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    // The kernel is slow for some seconds after a thousand forks (here smaps_rollup of a sleeper took 55-90 us
    // for ~5 s, then 17 us): what is timed is a machine that holds 1000 processes, not one that just made them.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    console.log(`# ${countProcs()} processes on the machine`);
    await fn();
  } finally {
    process.kill(-group.pid, 'SIGKILL');
    // the next bench counts from here: wait (bounded) until the sleepers are gone
    const end = Date.now() + 10000;
    while (countProcs() > before + 5 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  }
}

const PSUTIL = `
import sys, time, psutil
attrs = ['pid', 'ppid', 'name', 'username', 'status', 'cpu_times', 'memory_info', 'create_time', 'cmdline']
out = []
for _ in range(${RUNS}):
    t0 = time.perf_counter()
    n = len([p.info for p in psutil.process_iter(attrs)])
    out.append((time.perf_counter() - t0) * 1000)
print(' '.join('%.3f' % x for x in out))
`;

export default async function () {
  await withSleepers(async () => {
    const env = { ...process.env, LANG: 'C.UTF-8' };
    for (const args of [['-elf'], ['aux'], ['-ef'], ['-eo', 'pid,comm']]) {
      timeCommand('ps', args, env);
      compareTool(DK, 'ps', args, RUNS, env);
    }
    for (const args of [['-p'], []]) compareTool(DK, 'pstree', args, RUNS, env);

    // library: in-process snapshot with psutil-comparable fields
    const { processes } = await import(LIB);
    const fields = ['pid', 'ppid', 'comm', 'user', 'state', 'utime', 'stime', 'rss', 'vsz', 'shared', 'startTime', 'cmdline'];
    processes({ fields });
    const lib = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      processes({ fields });
      lib.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const py = spawnSync('/usr/bin/python3', ['-c', PSUTIL], { encoding: 'utf8' });
    if (py.status !== 0) {
      console.log(
        `library snapshot: ours ${stats(lib).median.toFixed(1)} ms, peer unavailable (install python3-psutil: ${py.stderr.trim().split('\n').pop()})`,
      );
      return;
    }
    report('library snapshot vs psutil.process_iter', stats(lib), stats(py.stdout.trim().split(' ').map(Number)));
  });
}
