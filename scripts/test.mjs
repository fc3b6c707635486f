// node --test on Node 20 takes no glob, so list the compiled test files here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../dist/test', import.meta.url).pathname;
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.js'))
  .sort()
  .map((f) => join(root, f));
const filter = process.argv.slice(2);
const chosen = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
// the failures again at the very end, after the TAP stream has ended: written to a file, printed once node exits
const dir = mkdtempSync(join(tmpdir(), 'dk-test-failures-'));
const failures = join(dir, 'failures.txt');
const reporters = [
  '--test-reporter=tap',
  '--test-reporter-destination=stdout',
  `--test-reporter=${new URL('./failures.mjs', import.meta.url).href}`,
  `--test-reporter-destination=${failures}`,
];
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...reporters, ...chosen], { stdio: 'inherit' });
try {
  process.stdout.write(readFileSync(failures, 'utf8'));
} catch {
  // no file: node wrote no report (it failed to start): its own error is above
}
rmSync(dir, { recursive: true, force: true });
process.exit(r.status ?? 1);
