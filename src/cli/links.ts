/** `dk links DIR`: symlinks named after the tools, so `ps` runs `dk ps`. */
import { mkdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function createLinks(dir: string, names: string[], target: string, force: boolean): string[] {
  const abs = realpathSync(resolve(target));
  mkdirSync(dir, { recursive: true });
  const made: string[] = [];
  for (const n of names) {
    const link = join(dir, n);
    if (force) rmSync(link, { force: true });
    symlinkSync(abs, link);
    made.push(`${link} -> ${abs}`);
  }
  return made;
}
