/** --daemons and --why on the live system, with a real double-forked daemon. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dk } from '../helpers/dk.js';
import { killAll, until } from '../helpers/children.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-daemon-'));
const started: number[] = [];
after(() => {
  killAll(started);
  rmSync(dir, { recursive: true, force: true });
});

test('a double-forked daemon is found; a detached child of ours is not', async (t) => {
  // setsid -f forks, the child calls setsid and becomes an orphan under init
  const pidFile = join(dir, 'daemon.pid');
  const r = spawnSync('setsid', ['-f', 'sh', '-c', `echo $$ > ${pidFile}; exec sleep 300`], { stdio: 'ignore' });
  assert.equal(r.status, 0);
  await until(() => {
    try {
      return readFileSync(pidFile, 'utf8').trim() !== '';
    } catch {
      return false;
    }
  }, 'the daemon to write its pid');
  const daemon = Number(readFileSync(pidFile, 'utf8'));
  started.push(daemon);
  const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  started.push(child.pid!);

  const ppid = Number(readFileSync(`/proc/${daemon}/stat`, 'latin1').split(') ')[1].split(' ')[1]);
  if (ppid !== 1) {
    // a subreaper (container init, systemd --user) adopted it: its traits depend on that process
    t.diagnostic(`orphan adopted by ${ppid}, not init: checking the terminal and session traits only`);
    assert.match(dk(['ps', '--why', '-o', 'pid,comm', '-p', String(daemon)]).out, new RegExp(`^ *${daemon} TG.S +sleep$`, 'm'));
    return;
  }
  const listed = dk(['ps', '--daemons', '-o', 'pid=']).out.trim().split(/\s+/).map(Number);
  assert.ok(listed.includes(daemon), `daemon ${daemon} not in ${listed}`);
  assert.ok(!listed.includes(child.pid!), 'a child of the test runner is not a daemon');

  const why = dk(['ps', '--why', '-o', 'pid,comm', '-p', `${daemon},${child.pid}`]).out;
  assert.match(why, new RegExp(`^ *${daemon} TGPS +sleep$`, 'm'));
  assert.match(why, new RegExp(`^ *${child.pid} TG-S +sleep$`, 'm'));

  const json = JSON.parse(dk(['ps', '--daemons', '--json', '-o', 'pid,ppid,tpgid,tty,args']).out) as Record<string, unknown>[];
  const d = json.find((x) => x.pid === daemon);
  assert.deepEqual(d, { pid: daemon, ppid: 1, tpgid: -1, tty: '?', args: 'sleep 300' });
});
