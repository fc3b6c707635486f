// dk lsof against lsof 4.95, whole system and one process, with ~1000 extra
// sleeping processes on the machine (killed afterwards by their group).
import { fileURLToPath } from 'node:url';
import { compareTool } from './lib.mjs';
import { withSleepers } from './ps.mjs';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const RUNS = 10;

export default async function () {
  await withSleepers(async () => {
    const env = { ...process.env, LANG: 'C.UTF-8' };
    for (const args of [
      ['-n', '-P'],
      ['-n', '-P', '-p', String(process.pid)],
      ['-n', '-P', '-i'],
    ])
      compareTool(DK, 'lsof', args, RUNS, env, true);
  });
}
