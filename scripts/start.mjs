// The main job until `dk init` exists: show this machine's daemons and the
// process tree they hang in.
import { spawnSync } from 'node:child_process';

const dk = new URL('../dist/dk.js', import.meta.url).pathname;
for (const args of [['ps', '--daemons'], ['pstree']]) {
  console.log(`$ dk ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [dk, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log();
}
