/**
 * The API reference builds from the doc comments (TypeDoc, as npm run docs
 * does into docs/api) with every warning an error: a public type that is
 * not exported, or a broken link, fails here. The pages of the four entry
 * points and of the main names must be there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('the API reference builds without a warning', () => {
  const out = mkdtempSync(join(tmpdir(), 'dk-apidocs-'));
  try {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--out', out, '--treatWarningsAsErrors'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const page of ['modules/daemonkit.html', 'modules/daemonkit_process.html', 'modules/daemonkit_system.html', 'modules/daemonkit_syslog.html']) {
      assert.ok(existsSync(join(out, page)), page);
    }
    const processPage = readFileSync(join(out, 'modules/daemonkit_process.html'), 'utf8');
    for (const name of ['Process', 'NoSuchProcess', 'ZombieProcess', 'AccessDenied', 'TimeoutExpired', 'processIter', 'pidExists'])
      assert.ok(processPage.includes(`>${name}<`), name);
    const system = readFileSync(join(out, 'modules/daemonkit_system.html'), 'utf8');
    for (const name of ['virtualMemory', 'cpuTimes', 'netConnections', 'diskIoCounters', 'sensorsBattery', 'users'])
      assert.ok(system.includes(`>${name}<`), name);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
