/** A test file's own temp dir and the daemons it starts, all gone when the file's tests end (also on failure). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAll, until } from './children.js';
import { DK, ENV } from './dk.js';

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

/**
 * dk ARGS as a daemon of the test's (in children, so it goes at the end):
 * its stderr kept as the log, waited for until ready(log) holds or it exits.
 */
export async function spawnDk(children: ChildProcess[], args: string[], ready: (log: string) => boolean): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [DK, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  await until(() => ready(log) || child.exitCode !== null, `dk ${args[0]} ready`);
  return { child, log: () => log };
}
