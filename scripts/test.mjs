// node --test on Node 20 takes no glob, so list the compiled test files here.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../dist/test', import.meta.url).pathname;
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.js'))
  .sort()
  .map((f) => join(root, f));
const filter = process.argv.slice(2);
const chosen = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
const reporters = [
  '--test-reporter=tap',
  '--test-reporter-destination=stdout',
  `--test-reporter=${new URL('./failures.mjs', import.meta.url).href}`,
  '--test-reporter-destination=stdout',
];
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...reporters, ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
