// dk top -b -n1 against procps top -b -n1, with ~1000 extra sleeping processes.
import { fileURLToPath } from 'node:url';
import { nodeFloor, report, stats, timeCommand } from './lib.mjs';
import { withSleepers } from './ps.mjs';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const RUNS = 10;

export default async function () {
  await withSleepers(async () => {
    const env = { ...process.env, LANG: 'C.UTF-8' };
    for (const args of [
      ['-b', '-n1'],
      ['-b', '-n1', '-p', String(process.pid)],
    ]) {
      const ours = [];
      const peer = [];
      timeCommand(process.execPath, [DK, 'top', ...args], env);
      for (let i = 0; i < RUNS; i++) {
        ours.push(timeCommand(process.execPath, [DK, 'top', ...args], env));
        peer.push(timeCommand('top', args, env));
      }
      report(`top ${args.join(' ')} (whole process)`, stats(ours), stats(peer), nodeFloor());
    }
  });
}
