/**
 * The system functions against python3-psutil, asked at the same instant:
 * ours before and after psutil's answer. Counters must fall between our two
 * readings; figures that go up and down (free memory, disk space) within a
 * stated slack of them; tables (sockets, pids) must hold everything both
 * our readings hold and nothing neither holds but from processes that came
 * or went meanwhile (see table); the rest must be equal.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { cpuPercent, cpuTimesPercent } from '../../src/index.js';
import { type Answer, type Call, type Psutil, startPsutil } from './psutil.js';
import { numbers, ours, shape } from './shapes.js';
import { statOf } from '../helpers/children.js';

/** lasted(pid): the process was there, the same one, before our first reading and after our second */
type Check = (a: unknown, p: unknown, b: unknown, lasted: (pid: number) => boolean) => string | undefined;

/** every process's start time (stat field 22), keyed by PID */
const startTimes = (): Map<number, string> => {
  const m = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    // gone while we listed: it did not last
    const start = /^\d+$/.test(name) ? statOf(Number(name))?.[19] : undefined;
    if (start !== undefined) m.set(Number(name), start);
  }
  return m;
};

const json = (v: unknown) => JSON.stringify(v);

const same: Check = (a, p, b) => (json(a) === json(p) || json(b) === json(p) ? undefined : `ours ${json(a)}, psutil ${json(p)}`);

/** every number between our two readings (widened by slack), the shapes equal */
const within =
  (slack: (i: number) => number = () => 1e-9): Check =>
  (a, p, b) => {
    if (json(shape(a)) !== json(shape(p))) return `shapes differ: ours ${json(a)}, psutil ${json(p)}`;
    const [na, np, nb] = [numbers(a), numbers(p), numbers(b)];
    const bad = np.findIndex((x, i) => x < Math.min(na[i], nb[i]) - slack(i) || x > Math.max(na[i], nb[i]) + slack(i));
    return bad < 0 ? undefined : `number ${bad}: psutil ${np[bad]} outside ours ${na[bad]}..${nb[bad]} (${json(p)})`;
  };
const counter = within();

/** a row without its owner: what a socket is, whoever holds it */
const socketOnly = (r: string): string => {
  const { pid: _, fd: __, ...rest } = JSON.parse(r) as Record<string, unknown>;
  return json(rest);
};

/**
 * A table read twice by us: psutil's must hold every row both ours hold.
 * A row neither of ours holds is a process that came or went between our
 * readings (another test file runs beside this one: each child it spawns
 * has socketpairs on fds 0-2), allowed; from a process that lasted through
 * both readings it is a miss of ours (or a socket a lasting daemon of
 * another test opened and closed in between: the caller asks again).
 * unixShared: a row psutil lacks may be another holder of a socket it lists
 * (psutil 5.9 keeps only the last process holding a shared unix socket; we
 * list each).
 */
const table =
  ({ unixShared = false } = {}): Check =>
  (a, p, b, lasted) => {
    const [sa, sp, sb] = [a, p, b].map((x) => new Set((x as unknown[]).map(json)));
    const shared = new Set([...sp].map(socketOnly));
    const missing = [...sa].filter((r) => sb.has(r) && !sp.has(r) && !(unixShared && JSON.parse(r).family === 1 && shared.has(socketOnly(r))));
    const extra = [...sp].filter((r) => !sa.has(r) && !sb.has(r));
    const ownerLasted = (r: string) => {
      const row = JSON.parse(r) as number | { pid: number | null };
      const pid = typeof row === 'number' ? row : row.pid;
      return pid === null || lasted(pid);
    };
    const unexplained = extra.filter(ownerLasted);
    if (missing.length === 0 && unexplained.length === 0) return undefined;
    return `missing from psutil's: ${missing.slice(0, 5).join(' ')}; only psutil's, from processes that lasted: ${unexplained.slice(0, 5).join(' ')} (${unexplained.length}; ${extra.length - unexplained.length} more from processes that came or went)`;
  };

const MiB = 1024 * 1024;
/** memory moves while the two programs run: 64 MiB, and a point of percent */
const memory = within((i) => (i === 2 ? 1 : 64 * MiB));
const disk = within((i) => (i === 3 ? 0.5 : 64 * MiB));

const sortedLists: Check = (a, p, b) => {
  const norm = (v: unknown) =>
    json(
      Object.entries(v as Record<string, unknown[]>)
        .map(([k, l]) => [k, l.map(json).sort()])
        .sort(),
    );
  return norm(a) === norm(p) || norm(b) === norm(p) ? undefined : `ours ${norm(a)}, psutil ${norm(p)}`;
};

/** psutil 5.9's maxfile and maxpath were deprecated and left in 6.0: not part of our DiskPartition */
const dropMax = (v: unknown) => (v as Record<string, unknown>[]).map(({ maxfile: _, maxpath: __, ...rest }) => rest);

const CALLS: [Call, Check, ((v: unknown) => unknown)?][] = [
  [['cpu_times'], counter],
  [['cpu_times', [], { percpu: true }], counter],
  [['cpu_count'], same],
  [['cpu_count', [], { logical: false }], same],
  [['cpu_stats'], counter],
  [['cpu_freq'], within(() => 50)],
  [['cpu_freq', [], { percpu: true }], within(() => 50)],
  [['getloadavg'], same],
  [['virtual_memory'], memory],
  [['swap_memory'], within((i) => (i === 3 ? 1 : 64 * MiB))],
  [['disk_partitions'], same, dropMax],
  [['disk_partitions', [], { all: true }], same, dropMax],
  [['disk_usage', ['/']], disk],
  [['disk_usage', ['/tmp']], disk],
  [['disk_io_counters'], counter],
  [['disk_io_counters', [], { perdisk: true }], counter],
  [['net_io_counters'], counter],
  [['net_io_counters', [], { pernic: true }], counter],
  [['net_if_addrs'], sortedLists],
  [['net_if_stats'], same],
  [['net_connections', ['all']], table({ unixShared: true })],
  [['net_connections', ['inet']], table()],
  [['net_connections', ['tcp6']], table()],
  [['net_connections', ['udp']], table()],
  [['net_connections', ['unix']], table({ unixShared: true })],
  [['net_connections', ['inet4']], table()],
  [['net_connections', ['inet6']], table()],
  [['net_connections', ['tcp']], table()],
  [['net_connections', ['tcp4']], table()],
  [['net_connections', ['udp4']], table()],
  [['net_connections', ['udp6']], table()],
  [['boot_time'], same],
  [['users'], same],
  [['pids'], table()],
  [['pid_exists', [1]], same],
  [['pid_exists', [process.pid]], same],
  [['pid_exists', [4194304]], same],
  [['sensors_temperatures'], same],
  [['sensors_fans'], same],
  [['sensors_battery'], same],
];
// Not compared here, and why: cpu_percent and cpu_times_percent are rates over an interval (their own test below);
// disk_io_counters/net_io_counters' nowrap handling (counters of this kernel are 64-bit and never wrap in a test).

describe('system functions against python3-psutil', () => {
  let py: Psutil | undefined;
  before(() => {
    py = startPsutil(undefined);
  });
  after(async () => {
    await py?.close();
  });

  test('every system function answers what psutil answers', async (t) => {
    if (!py) return void startPsutil(t);
    const problems: string[] = [];
    const psutil = py;
    /** one round: ours, psutil's, ours again; the reason they disagree, if they do */
    const round = async ([call, check, fix = (v: unknown) => v]: (typeof CALLS)[number]): Promise<string | undefined> => {
      const startsBefore = startTimes();
      const a = ours(undefined, [call])[0];
      const p = (await psutil.ask(undefined, [call]))[0];
      const b = ours(undefined, [call])[0];
      const startsAfter = startTimes();
      const lasted = (pid: number) => startsBefore.has(pid) && startsBefore.get(pid) === startsAfter.get(pid);
      if (a.err || p.err || b.err)
        return a.err === p.err
          ? undefined
          : `ours ${a.err ?? 'ok'}, psutil ${p.err ?? 'ok'} ${(p as { msg?: string }).msg ?? (a as { msg?: string }).msg ?? ''}`;
      return check(a.ok, fix(p.ok), b.ok, lasted);
    };
    for (const entry of CALLS) {
      const [call] = entry;
      // A socket another test file's lasting daemon opens and closes between our readings is psutil's
      // alone once; three rounds in a row that disagree are a difference, not churn.
      const reasons: string[] = [];
      for (let i = 0; i < 3; i++) {
        const why = await round(entry);
        if (why === undefined) break;
        reasons.push(why);
      }
      if (reasons.length === 3) problems.push(`${call[0]}(${json(call[1] ?? [])}${call[2] ? json(call[2]) : ''}): ${reasons.join(' | ')}`);
    }
    assert.deepEqual(problems, []);
    // what the comparison covered is not empty
    const [conns, parts, nics] = ours(undefined, [['net_connections', ['all']], ['disk_partitions'], ['net_if_addrs']]) as { ok: unknown[] }[];
    assert.ok(conns.ok.length > 0 && parts.ok.length > 0 && Object.keys(nics.ok).length > 0);
  });

  test('errors as psutil: a bad connection kind, a path that does not exist', async (t) => {
    if (!py) return void startPsutil(t);
    const calls: Call[] = [
      ['net_connections', ['bogus']],
      ['disk_usage', ['/no/such/dir']],
    ];
    const p = await py.ask(undefined, calls);
    const o = ours(undefined, calls);
    assert.equal(p[0].err, 'ValueError');
    assert.equal(o[0].err, 'TypeError', 'a bad kind is a TypeError in JavaScript terms');
    assert.equal(p[1].err, 'FileNotFoundError');
    assert.equal(o[1].err, 'Error');
    assert.match((o[1] as { msg: string }).msg, /ENOENT/);
  });

  test('cpuPercent and cpuTimesPercent over the same interval as psutil', async (t) => {
    if (!py) return void startPsutil(t);
    const theirs: Promise<Answer[]> = py.ask(undefined, [
      ['cpu_percent', [0.5]],
      ['cpu_times_percent', [0.5]],
    ]);
    const busy: Promise<number> = cpuPercent({ interval: 1 });
    const states = await cpuTimesPercent({ interval: 1 });
    const mine = await busy;
    const p = await theirs;
    // psutil's two calls took a second in turn; ours two at once over the same second: the machine's
    // busy share over nearly the same time, which the other test files keep moving
    assert.ok(Math.abs(mine - Number(p[0].ok)) <= 30, `cpu_percent: ours ${mine}, psutil ${p[0].ok}`);
    const sum = Object.values(states).reduce((s, x) => s + x, 0) - states.guest - states.guestNice;
    assert.ok(Math.abs(sum - 100) <= 1, `the states add up to 100: ${sum}`);
    assert.deepEqual(
      Object.keys(p[1].ok as object).sort(),
      Object.keys(states)
        .map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
        .sort(),
    );
    // interval-less calls: since the previous call
    cpuPercent();
    const again = cpuPercent({ perCpu: true });
    assert.equal(again.length, ours(undefined, [['cpu_count']])[0].ok);
  });
});
