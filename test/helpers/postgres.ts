/**
 * A real PostgreSQL server for tests, started and stopped here: Debian's
 * binaries, a cluster in a temp dir, no TCP port at all (only a unix socket
 * in that dir), trust authentication for the one role. PostgreSQL refuses
 * to run as root, so under root the server runs as the postgres user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './children.js';

export interface RunningPostgres {
  /** postgres://... URL through the unix socket */
  url: string;
  socketDir: string;
  /** stops the server, keeping its data (a database outage) */
  down(): Promise<void>;
  /** starts it again on the same data */
  up(): Promise<void>;
  stop(): Promise<void>;
}

export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const v = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return v && existsSync(join(root, v, 'bin', 'postgres')) ? join(root, v, 'bin') : undefined;
}

function idsOf(user: string): { uid: number; gid: number } | undefined {
  const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  return r.status === 0 && g.status === 0 ? { uid: Number(r.stdout), gid: Number(g.stdout) } : undefined;
}

export async function startPostgres(bin: string): Promise<RunningPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'dk-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? idsOf('postgres') : undefined;
  if (asRoot && !owner) throw new Error('running as root and there is no postgres user to run the server as');
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const opts = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'dk', '--auth=trust', '-E', 'UTF8', '--no-sync'], { ...opts, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  let server: ChildProcess | undefined;
  const up = async (): Promise<void> => {
    const child = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-k', dir, '-c', 'listen_addresses=', '-c', 'fsync=off', '-c', 'max_connections=20', '-c', 'shared_buffers=32MB'],
      { ...opts, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    await until(() => /ready to accept connections/.test(log) || child.exitCode !== null, 'PostgreSQL to start', 30000);
    if (child.exitCode !== null) throw new Error(`postgres exited: ${log}`);
    server = child;
  };
  const down = async (): Promise<void> => {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT'); // fast shutdown: clients are cut off
    const t = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(t);
  };
  await up();
  return {
    url: `postgres://dk@${encodeURIComponent(dir)}/postgres`,
    socketDir: dir,
    down,
    up,
    async stop() {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
