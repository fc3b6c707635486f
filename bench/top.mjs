// dk top -b -n1 against procps top -b -n1, with ~1000 extra sleeping processes.
import { fileURLToPath } from 'node:url';
import { compareTool } from './lib.mjs';
import { withSleepers } from './ps.mjs';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const RUNS = 10;

export default async function () {
  await withSleepers(async () => {
    const env = { ...process.env, LANG: 'C.UTF-8' };
    for (const args of [
      ['-b', '-n1'],
      ['-b', '-n1', '-p', String(process.pid)],
    ])
      compareTool(DK, 'top', args, RUNS, env);
  });
}
