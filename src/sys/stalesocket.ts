import * as fs from 'node:fs';

/**
 * Before binding a unix socket path: a socket left by an earlier run is
 * removed; anything else at that path (a file, a directory) is left alone,
 * so the bind fails instead of a mistyped path destroying data.
 */
export function removeStaleSocket(path: string): void {
  try {
    if (fs.lstatSync(path).isSocket()) fs.rmSync(path);
  } catch {
    // nothing there
  }
}
