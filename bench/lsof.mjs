// dk lsof against lsof 4.95, whole system and one process, with ~1000 extra
// sleeping processes on the machine (killed afterwards by their group).
import { fileURLToPath } from 'node:url';
import { nodeFloor, report, stats, timeCommand } from './lib.mjs';
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
    ]) {
      const ours = [];
      const peer = [];
      timeCommand(process.execPath, [DK, 'lsof', ...args], env, true);
      for (let i = 0; i < RUNS; i++) {
        ours.push(timeCommand(process.execPath, [DK, 'lsof', ...args], env, true));
        peer.push(timeCommand('lsof', args, env, true));
      }
      report(`lsof ${args.join(' ')} (whole process)`, stats(ours), stats(peer), nodeFloor());
    }
  });
}
