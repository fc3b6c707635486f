// Builds dist/: tsc compiles src and test (the library and the tests run from
// there), and esbuild bundles the CLI into one CommonJS file that a small
// launcher runs with a V8 code cache. Start-up is most of what `dk ps` costs:
// Node's ESM loader and compiling the bundle took ~9 ms per run, the cached
// CommonJS path ~1 ms.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
// tsc never removes what it wrote for a source since deleted: a stale test would still run here and not in a clean checkout
for (const out of ['dist/src', 'dist/test']) rmSync(`${root}${out}`, { recursive: true, force: true });
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', root], { stdio: 'inherit' });
// the console's page: type-checked for the browser, then one JS and one CSS file, no CDN
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.web.json`], { stdio: 'inherit' });
mkdirSync(`${root}dist/console`, { recursive: true });
await build({
  entryPoints: [`${root}src/console/web/main.tsx`],
  outfile: `${root}dist/console/app.js`,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
});
writeFileSync(
  `${root}dist/console/app.css`,
  `${readFileSync(`${root}node_modules/uplot/dist/uPlot.min.css`, 'utf8')}\n${readFileSync(`${root}src/console/web/style.css`, 'utf8')}`,
);
copyFileSync(`${root}src/console/web/index.html`, `${root}dist/console/index.html`);

for (const old of ['dist/chunks', 'dist/dk.js', 'dist/dk-bundle.cjs.cache', 'dist/dk-listing.cjs.cache'])
  rmSync(`${root}${old}`, { recursive: true, force: true });
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const cli = (entry, outfile) => ({
  entryPoints: [`${root}src/cli/${entry}`],
  outfile: `${root}dist/${outfile}`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // less source to read and hash at every start; names are kept, so stack traces read the same
  minifyWhitespace: true,
  minifySyntax: true,
  define: { DK_VERSION: JSON.stringify(version) },
  // koffi ships a native addon: it stays a runtime require from node_modules
  external: ['koffi', 'libsql', 'fastify', 'ws'],
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
  // the file is the function the launcher calls, and ASCII (esbuild escapes the rest): read as latin1 and
  // compiled as it is, with no UTF-8 decoding and no wrapped copy of 540 KB at every start (-1.7 ms)
  charset: 'ascii',
  banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
  footer: { js: '\n})' },
});
// the library's batched /proc reads (src/native): built where a C compiler is; without it the library
// makes the same system calls one FFI call each
mkdirSync(`${root}dist/native`, { recursive: true });
const cc = spawnSync(
  'cc',
  ['-O2', '-Wall', '-shared', '-fPIC', '-pthread', '-o', `${root}dist/native/procbatch.so`, `${root}src/native/procbatch.c`, `${root}src/native/sockiter.c`],
  { stdio: 'inherit' },
);
if (cc.status !== 0) {
  rmSync(`${root}dist/native/procbatch.so`, { force: true });
  console.warn('build: no C compiler (cc): the library reads /proc without its batched helper');
}
// the whole of dk, and the listing tools alone (the launcher picks one by the tool's name)
await build(cli('main.ts', 'dk-bundle.cjs'));
await build(cli('listing.ts', 'dk-listing.cjs'));
for (const out of ['dk-bundle.cjs', 'dk-listing.cjs'])
  if (readFileSync(`${root}dist/${out}`).some((b) => b > 0x7f)) throw new Error(`dist/${out} is not ASCII: the launcher reads it as latin1`);
writeFileSync(`${root}dist/dk.cjs`, readFileSync(`${root}src/cli/launcher.cjs`));
chmodSync(`${root}dist/dk.cjs`, 0o755);
// Produce the code caches by running the common paths once (DK_WRITE_CACHE).
// Each run adds what it compiled to the cache the next run loads, so every
// viewing tool's path is in it (a cold function costs ~10 ms of compiling).
for (const args of [
  ['ps', '-p', String(process.pid)],
  ['ps', '-elf'],
  ['ps', 'aux'],
  ['ps', '-eLf'],
  ['pstree', String(process.pid)],
  ['pstree', '-p'],
  ['lsof', '-n', '-P', '-p', String(process.pid)],
  ['lsof', '-n', '-P', '-i'],
  // the rest of dk runs from the main bundle: its start-up path at least
  ['exec-info', process.execPath],
  ['top', '-b', '-n1'],
]) {
  // a listing that finds nothing exits 1 (lsof -i on a machine without sockets): the cache is written all the same
  spawnSync(process.execPath, [`${root}dist/dk.cjs`, ...args], { stdio: 'ignore', env: { ...process.env, DK_WRITE_CACHE: '1' } });
}
