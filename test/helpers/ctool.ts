/**
 * Builds the C helpers under test/fixtures/c into a temp dir, once per test
 * process. A missing compiler skips the test locally and fails it under CI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { requirePeer } from './peers.js';

const SRC = fileURLToPath(new URL('../../../test/fixtures/c/', import.meta.url));
let dir: string | undefined;
const built = new Map<string, string>();

/** The path of the built helper NAME (from NAME.c), or undefined when skipped. */
export function cHelper(t: TestContext | undefined, name: string): string | undefined {
  const cc = t ? requirePeer(t, 'gcc', 'gcc') : 'gcc';
  if (!cc) return undefined;
  const have = built.get(name);
  if (have) return have;
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'dk-c-'));
    const d = dir;
    process.once('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  const out = join(dir, name);
  execFileSync(cc, ['-O1', '-pthread', '-o', out, join(SRC, `${name}.c`)]);
  built.set(name, out);
  return out;
}
