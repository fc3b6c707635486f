/** `dk links DIR`: symlinks named after the tools, so `ps` runs `dk ps`. */
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';

export function createLinks(dir: string, names: string[], target: string, force: boolean): string[] {
  const abs = fs.realpathSync(resolve(target));
  fs.mkdirSync(dir, { recursive: true });
  const made: string[] = [];
  for (const n of names) {
    const link = join(dir, n);
    if (force) fs.rmSync(link, { force: true });
    fs.symlinkSync(abs, link);
    made.push(`${link} -> ${abs}`);
  }
  return made;
}
