/**
 * The package as a consumer sees it: node_modules/daemonkit pointing at
 * this checkout, imported by subpath from ES modules and required from
 * CommonJS, type-checked from TypeScript in both module systems, and
 * tree-shaken by a bundler (daemonkit/system without the Process code).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('daemonkit as a dependency', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dk-consumer-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'daemonkit'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (file: string, text: string) => {
    writeFileSync(join(dir, file), text);
    const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  test('ES modules: the root and each subpath', () => {
    const got = run(
      'esm.mjs',
      `import { Process, processIter, NoSuchProcess } from 'daemonkit/process';
import { virtualMemory, cpuCount } from 'daemonkit/system';
import { SyslogClient } from 'daemonkit/syslog';
import * as all from 'daemonkit';
const p = new Process();
let err = '';
try { new Process(4194304); } catch (e) { err = e instanceof NoSuchProcess ? 'NoSuchProcess' : String(e); }
console.log(JSON.stringify({ pid: p.pid === process.pid, name: p.name(), n: [...processIter()].length > 1, mem: virtualMemory().total > 0, cpus: cpuCount(),
  client: typeof SyslogClient, root: ['Process', 'processes', 'snapshot', 'virtualMemory', 'netConnections', 'pids'].every((k) => k in all), err }));`,
    );
    assert.deepEqual(got, { pid: true, name: 'node', n: true, mem: true, cpus: got.cpus, client: 'function', root: true, err: 'NoSuchProcess' });
    assert.ok(got.cpus >= 1);
  });

  test('CommonJS: require() of the root and each subpath', () => {
    const got = run(
      'cjs.cjs',
      `const { Process, AccessDenied } = require('daemonkit/process');
const { loadAvg, diskPartitions } = require('daemonkit/system');
const { processes } = require('daemonkit');
const p = new Process(1);
console.log(JSON.stringify({ ppid: p.ppid(), load: loadAvg().length, parts: Array.isArray(diskPartitions()), n: processes({ fields: ['pid'] }).length > 1, err: typeof AccessDenied }));`,
    );
    assert.deepEqual(got, { ppid: 0, load: 3, parts: true, n: true, err: 'function' });
  });

  // CommonJS consumers need TypeScript >= 5.8 with module nodenext (require() of ES modules, Node >= 20.19)
  test('TypeScript: declarations for ES module and CommonJS consumers', () => {
    const src = `import { Process, type MemoryFullInfo } from 'daemonkit/process';
import { cpuTimes, type CpuTimes } from 'daemonkit/system';
const m: Promise<number> = new Process().cpuPercent(0.1);
const n: number = new Process().cpuPercent();
const t: CpuTimes[] = cpuTimes({ perCpu: true });
const one: CpuTimes = cpuTimes();
const f: (p: Process) => MemoryFullInfo = (p) => p.memoryFullInfo();
// @ts-expect-error: a pid is a number
new Process('1');
export { m, n, t, one, f };
`;
    for (const [name, type] of [
      ['esm', 'module'],
      ['cjs', 'commonjs'],
    ]) {
      const d = join(dir, name);
      mkdirSync(d, { recursive: true });
      symlinkSync(join(dir, 'node_modules'), join(d, 'node_modules'));
      writeFileSync(join(d, 'package.json'), JSON.stringify({ type }));
      writeFileSync(join(d, 'use.ts'), src);
      writeFileSync(
        join(d, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            noEmit: true,
            types: ['node'],
            typeRoots: [join(ROOT, 'node_modules/@types')],
          },
          files: ['use.ts'],
        }),
      );
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', d], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
    }
  });

  test('tree-shaking: daemonkit/system bundles without Process, the snapshot or the CLI', async () => {
    writeFileSync(join(dir, 'shake.mjs'), "import { virtualMemory } from 'daemonkit/system';\nconsole.log(virtualMemory().total);\n");
    const r = await build({
      entryPoints: [join(dir, 'shake.mjs')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const text = r.outputFiles[0].text;
    const inputs = Object.keys(r.metafile.inputs);
    assert.ok(!/class Process\b/.test(text), 'no Process class');
    assert.ok(!inputs.some((i) => /snapshot|\/cli\/|\/syslog\//.test(i)), inputs.join(' '));
    assert.ok(text.length < 20_000, `${text.length} bytes`);
  });
});
