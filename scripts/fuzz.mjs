// npm run fuzz: every parser and wire decoder with DK_FUZZ_CASES (1,000,000)
// generated cases, two targets at a time, each in a process of its own that
// is watched: no progress for 60 s is a hang. Then live fuzzing of the
// running daemons on every socket kind (DK_LIVE_FUZZ_CASES per socket,
// 100,000). Prints one table; exits 1 on any crash, hang or unanswered
// request. DK_FUZZ_SEED replays a run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/test/fuzz/', import.meta.url));
const cases = Number(process.env.DK_FUZZ_CASES) || 1_000_000;
const liveCases = Number(process.env.DK_LIVE_FUZZ_CASES) || 100_000;
const seed = Number(process.env.DK_FUZZ_SEED) || Date.now() % 1_000_000;
const { TARGETS } = await import(`${dist}targets.js`);

function one(index) {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [`${dist}main.js`, String(index), String(cases), String(seed)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let last = Date.now();
    c.stdout.on('data', (b) => {
      out += b;
      last = Date.now();
    });
    const watch = setInterval(() => {
      if (Date.now() - last > 60_000) c.kill('SIGKILL');
    }, 1000);
    c.on('exit', (code, signal) => {
      clearInterval(watch);
      const line = out.trim().split('\n').pop() ?? '';
      const done = Number(/progress (\d+)/.exec(out.match(/progress \d+/g)?.pop() ?? '')?.[1] ?? 0);
      if (line.startsWith('{')) resolve(JSON.parse(line));
      else
        resolve({
          name: TARGETS[index].name,
          runs: done,
          ms: 0,
          slowestMs: 0,
          failure: signal ? `hang: no progress for 60 s after ${done} cases` : `exit ${code}`,
        });
    });
  });
}

console.log(`dk fuzz: ${TARGETS.length} targets x ${cases} cases, seed ${seed}`);
const results = [];
let next = 0;
await Promise.all(
  [0, 1].map(async () => {
    while (next < TARGETS.length) {
      const r = await one(next++);
      results.push(r);
      console.log(
        `  ${r.failure ? 'FAIL' : 'ok  '} ${r.name}: ${r.runs} cases, ${(r.ms / 1000).toFixed(1)} s, slowest ${r.slowestMs.toFixed(2)} ms, peak RSS ${r.peakRssMiB ?? '?'} MiB${r.failure ? `\n    ${r.failure}` : ''}`,
      );
    }
  }),
);
console.log(`\nlive: ${liveCases} cases per socket kind`);
const { liveFuzz } = await import(`${dist}live.js`);
const live = await liveFuzz({ casesPerSocket: liveCases, batch: 1000, seed });
for (const r of live)
  console.log(
    `  ${r.ok ? 'ok  ' : 'FAIL'} dk ${r.daemon} ${r.socket}: ${r.cases} cases in ${r.batches} batches, peak RSS ${r.peakRssMiB} MiB${r.problem ? `: ${r.problem}` : ''}`,
  );
const bad = results.filter((r) => r.failure).length + live.filter((r) => !r.ok).length;
console.log(`\n${bad ? `${bad} failed` : 'no crash, no hang, every valid request answered'} (seed ${seed})`);
process.exit(bad ? 1 : 0);
