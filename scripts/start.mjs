// The main job until `dk init` exists: show this machine's daemons and the
// process tree they hang in.
import { spawnSync } from 'node:child_process';

const dk = new URL('../dist/dk.cjs', import.meta.url).pathname;
let failed = false;
for (const args of [['ps', '--daemons'], ['pstree']]) {
  console.log(`$ dk ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [dk, ...args], { stdio: 'inherit' });
  // like ps, `dk ps --daemons` exits 1 when nothing matched: not a failure here
  if (r.status !== 0 && !(args[1] === '--daemons' && r.status === 1)) failed = true;
  console.log();
}
process.exit(failed ? 1 : 0);
