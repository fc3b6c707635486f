// npm run bench -- soak: the reliability tests' longer versions, over and
// over for SOAK_MINUTES (10): floods of 10 s, 20,000 live fuzz cases per
// socket kind, the LOGHOST crash run with 300,000 messages, beside every
// other fault (disk full, descriptors, idle and slow clients, reload
// storms, a locked or damaged store). Each round runs the files one at a
// time; their FIGURE lines (test/helpers/figures.ts) make the table that
// README's Reliability section shows, with how many rounds each row held.
// It is not in the default `npm run bench` (ten minutes).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/test/', import.meta.url));
const files = [
  ...readdirSync(join(dist, 'reliability'))
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join(dist, 'reliability', f)),
  join(dist, 'fuzz', 'live.test.js'),
];
const minutes = Number(process.env.SOAK_MINUTES) || 10;
const env = {
  ...process.env,
  CI: 'true',
  DK_FLOOD_SECONDS: process.env.DK_FLOOD_SECONDS ?? '10',
  DK_LIVE_FUZZ_CASES: process.env.DK_LIVE_FUZZ_CASES ?? '20000',
  DK_CRASH_MESSAGES: process.env.DK_CRASH_MESSAGES ?? '300000',
};

function round() {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (b) => (out += b));
    c.on('exit', (code) => {
      const figures = [];
      for (const m of out.matchAll(/^# FIGURE (.*)$/gm)) {
        try {
          figures.push(JSON.parse(m[1]));
        } catch {
          console.error(`soak: unreadable figure ${m[1]}`);
        }
      }
      // a failure with the first lines of its error, to be read without running the round again
      const failed = [...out.matchAll(/^not ok \d+ - (.*)$\n((?: {2}.*\n){0,14})/gm)].map(
        (m) =>
          `${m[1]}\n${m[2]
            .split('\n')
            .filter((l) => /error|Error|expected|actual|^ {4}/.test(l))
            .slice(0, 8)
            .join('\n')}`,
      );
      resolve({ code, figures, failed });
    });
  });
}

export default async function soak() {
  const end = Date.now() + minutes * 60_000;
  const held = new Map();
  let last = [];
  let rounds = 0;
  const failures = [];
  do {
    const t0 = Date.now();
    const r = await round();
    rounds++;
    for (const f of r.figures) held.set(`${f.daemon} ${f.fault}`, (held.get(`${f.daemon} ${f.fault}`) ?? 0) + 1);
    if (r.figures.length) last = r.figures;
    failures.push(...r.failed.map((n) => `round ${rounds}: ${n}`));
    console.error(`soak: round ${rounds} in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${r.figures.length} rows, ${r.failed.length} failed`);
  } while (Date.now() < end);
  console.log(`\nReliability, ${rounds} rounds in ${minutes} min (figures of the last round):\n`);
  console.log('| daemon | fault | what was done | what held | rounds held |');
  console.log('|---|---|---|---|---|');
  for (const f of last) console.log(`| ${f.daemon} | ${f.fault} | ${f.load} | ${f.held} | ${held.get(`${f.daemon} ${f.fault}`)}/${rounds} |`);
  if (failures.length) console.log(`\nfailed:\n${failures.map((x) => `  ${x}`).join('\n')}`);
  if (failures.length) process.exitCode = 1;
}
