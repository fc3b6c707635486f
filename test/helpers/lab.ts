/** A test file's own temp dir and the daemons it starts, all gone when the file's tests end (also on failure). */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAll } from './children.js';

export function lab(prefix: string): { dir: string; f: (name: string) => string; children: ChildProcess[] } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const children: ChildProcess[] = [];
  after(() => {
    killAll(children.map((c) => c.pid!).filter(Boolean));
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, f: (name) => join(dir, name), children };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
