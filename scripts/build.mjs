// Two outputs: tsc compiles src and test to dist/ (library + tests run from
// there), and esbuild bundles the CLI into one file, because resolving dozens
// of ES modules at start-up costs more than the work `dk ps` does.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', root], { stdio: 'inherit' });

// stale chunks from earlier builds would pile up next to the new ones
rmSync(`${root}dist/chunks`, { recursive: true, force: true });
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outdir: `${root}dist`,
  entryNames: 'dk',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // commander is CommonJS: give the ESM bundle a require() for its node: imports
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __dkRequire } from 'node:module';\nconst require = __dkRequire(import.meta.url);" },
  define: { DK_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});
chmodSync(`${root}dist/dk.js`, 0o755);
