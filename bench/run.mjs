// npm run bench [-- NAME...]: runs the named comparisons (default: all).
// Every line printed is "name: ours X, peer Y, ratio Z", measured in this run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// the daemons' control sockets go to a run directory of this run, not /run/dk
const runDir = mkdtempSync(join(tmpdir(), 'dk-bench-run-'));
process.env.DK_RUN_DIR = runDir;
process.once('exit', () => rmSync(runDir, { recursive: true, force: true }));
const ALL = ['ps', 'lsof', 'top', 'syslogd', 'store', 'logs', 'inetd', 'rpcbind', 'boot', 'console', 'library'];
// asked for by name only: ten minutes of faults (bench/soak.mjs)
const ON_REQUEST = ['soak'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
for (const name of chosen) {
  if (!ALL.includes(name) && !ON_REQUEST.includes(name)) {
    console.error(`unknown benchmark '${name}' (have: ${[...ALL, ...ON_REQUEST].join(', ')})`);
    process.exit(1);
  }
  const mod = await import(`./${name}.mjs`);
  await mod.default();
}
