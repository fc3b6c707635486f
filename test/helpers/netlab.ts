/**
 * The multi-host lab, run inside a network namespace of its own (the test
 * starts it with `unshare -rn`): a bridge, a LOGHOST on 10.77.0.254:514 with
 * the SQLite store, and HOSTS hosts, each in a child namespace wired to the
 * bridge by a veth pair, running dk syslogd that forwards @@ to the LOGHOST
 * with a disk queue. Each host gets COUNT messages; the LOGHOST is SIGKILLed
 * once the stream is under way, kept down OUTAGE seconds, and started again.
 * Prints one JSON line: what the LOGHOST stored. With "loopback" it runs the
 * same on 127.0.0.1 ports instead (no namespaces).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/logstore/sqlite.js';
// DK also gives this process a run directory of its own for the daemons' control sockets
import { DK } from './dk.js';
import { freePort } from './ports.js';

const [dir, mode, hostsArg, countArg, outageArg] = process.argv.slice(2);
const HOSTS = Number(hostsArg);
const COUNT = Number(countArg);
const OUTAGE = Number(outageArg) * 1000;
const ns = mode === 'netns';
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

async function waitFor(pred: () => boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A process in the netns of holder (or here), its stderr kept. */
function start(holder: number | undefined, args: string[]): { child: ChildProcess; err: () => string } {
  const argv = holder ? ['nsenter', '-t', String(holder), '-n', '--', process.execPath, ...args] : [process.execPath, ...args];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return { child, err: () => err };
}

function stored(db: string): { total: number; distinct: Set<string> } {
  const distinct = new Set<string>();
  let total = 0;
  if (!existsSync(db)) return { total, distinct };
  try {
    const s = new SqliteStore(db, { readonly: true });
    try {
      for (const r of s.select({ apps: ['lab'] })) {
        total++;
        distinct.add(r.msg);
      }
    } finally {
      s.close();
    }
  } catch {
    // being created
  }
  return { total, distinct };
}

async function main(): Promise<void> {
  let loghostAddr = '10.77.0.254:514';
  if (ns) {
    sh('ip', ['link', 'set', 'lo', 'up']);
    sh('ip', ['link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['addr', 'add', '10.77.0.254/24', 'dev', 'br0']);
    sh('ip', ['link', 'set', 'br0', 'up']);
  } else loghostAddr = `127.0.0.1:${await freePort()}`;
  const hostDir = join(dir, 'loghost');
  mkdirSync(hostDir, { recursive: true });
  writeFileSync(join(hostDir, 'syslog.conf'), '');
  const db = join(hostDir, 'store.db');
  const loghostArgs = [DK, 'syslogd', '-n', '-f', join(hostDir, 'syslog.conf'), '-p', join(hostDir, 'log'), '--tcp', loghostAddr, '--db', db];
  let loghost = start(undefined, loghostArgs);
  await waitFor(() => /listening on tcp/.test(loghost.err()), 'the LOGHOST', 15000);

  const hosts: { sock: string; daemon: ReturnType<typeof start>; holder?: number }[] = [];
  for (let i = 1; i <= HOSTS; i++) {
    const d = join(dir, `host${i}`);
    mkdirSync(d, { recursive: true });
    let holder: number | undefined;
    if (ns) {
      // an empty network namespace held open by a sleeping process, then wired to the bridge
      const h = spawn('unshare', ['-n', 'sleep', '3600'], { stdio: 'ignore' });
      children.push(h);
      await waitFor(
        () => existsSync(`/proc/${h.pid}/ns/net`) && readFileSync(`/proc/${h.pid}/comm`, 'utf8').trim() === 'sleep',
        `host ${i}'s namespace`,
        10000,
      );
      holder = h.pid!;
      sh('ip', ['link', 'add', `h${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(holder)]);
      sh('ip', ['link', 'set', `h${i}`, 'master', 'br0', 'up']);
      sh('nsenter', ['-t', String(holder), '-n', 'sh', '-c', `ip link set lo up && ip addr add 10.77.0.${i}/24 dev eth0 && ip link set eth0 up`]);
    }
    writeFileSync(join(d, 'syslog.conf'), `*.* @@${loghostAddr}\n`);
    const daemon = start(holder, [
      DK,
      'syslogd',
      '-n',
      '-f',
      join(d, 'syslog.conf'),
      '-p',
      join(d, 'log'),
      '--state-dir',
      join(d, 'state'),
      '--queue-mem',
      '512K',
    ]);
    await waitFor(() => /listening on unix/.test(daemon.err()), `host ${i}'s daemon`, 15000);
    hosts.push({ sock: join(d, 'log'), daemon, holder });
  }

  // the streams: COUNT numbered messages per host, all at once
  const t0 = Date.now();
  const senders = hosts.map((h, i) => {
    const c = spawn('sh', ['-c', `seq 1 ${COUNT} | sed 's/^/h${i + 1} /' | "${process.execPath}" "${DK}" logger -u "${h.sock}" -t lab`], { stdio: 'ignore' });
    children.push(c);
    return new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
  });
  await waitFor(() => stored(db).distinct.size >= Math.min(20000, (HOSTS * COUNT) / 5), 'the streams under way', 60000);
  loghost.child.kill('SIGKILL');
  await new Promise((r) => loghost.child.once('exit', r));
  const killedAt = stored(db).distinct.size;
  await sleep(OUTAGE);
  // each host's status line, asked for with SIGUSR1: waited for (a loaded machine answers late), not slept on
  const reports = (h: (typeof hosts)[number]) => [...h.daemon.err().matchAll(/on disk (\d+) bytes/g)];
  const before = hosts.map((h) => reports(h).length);
  for (const h of hosts) h.daemon.child.kill('SIGUSR1');
  await waitFor(() => hosts.every((h, i) => reports(h).length > before[i]), "every host's status during the outage", 15000);
  const diskDuringOutage = hosts.map((h) => Number(reports(h).pop()?.[1] ?? 0));
  loghost = start(undefined, loghostArgs);
  await waitFor(() => /listening on tcp/.test(loghost.err()), 'the LOGHOST again', 15000);
  const codes = await Promise.all(senders);
  await waitFor(() => stored(db).distinct.size === HOSTS * COUNT, `all ${HOSTS * COUNT} messages`, 180000).catch(() => {});
  const { total, distinct } = stored(db);
  const missing: string[] = [];
  for (let i = 1; i <= HOSTS && missing.length < 10; i++)
    for (let n = 1; n <= COUNT && missing.length < 10; n++) if (!distinct.has(`h${i} ${n}`)) missing.push(`h${i} ${n}`);
  // each host's own account: what it delivered, queued, dropped
  const stats = hosts.map((h) => {
    h.daemon.child.kill('SIGUSR1');
    return h.daemon;
  });
  await sleep(300);
  process.stdout.write(
    `${JSON.stringify({
      mode,
      expected: HOSTS * COUNT,
      stored: total,
      distinct: distinct.size,
      duplicates: total - distinct.size,
      missing,
      storedWhenKilled: killedAt,
      senderExitCodes: codes,
      seconds: Math.round((Date.now() - t0) / 1000),
      hostStats: stats.map((d) => [...d.err().matchAll(/action @@[^\n]*/g)].pop()?.[0] ?? ''),
      // bytes each host's queue held on disk at the end of the outage
      diskDuringOutage,
    })}\n`,
  );
}

main()
  .catch((e) => {
    process.stdout.write(`${JSON.stringify({ error: (e as Error).message })}\n`);
  })
  .finally(() => {
    for (const c of children.reverse()) c.kill('SIGKILL');
    setTimeout(() => process.exit(0), 200);
  });
