/**
 * Process against python3-psutil on the zoo (sleepers, a parent with
 * children, threads, open files and sockets of each kind, a stopped, a
 * traced and a zombie process, other users' processes, odd names): every
 * field of the surface, asked of both at the same instant, ours once before
 * and once after psutil's answer, so a value that moves in between is
 * bracketed. Errors must be the same class; as another user, AccessDenied
 * where psutil says it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { NoSuchProcess, Process, processIter, TimeoutExpired } from '../../src/index.js';
import { cHelper } from '../helpers/ctool.js';
import { childrenOf, statOf, until } from '../helpers/children.js';
import { NOBODY, startZoo, type Zoo } from '../helpers/zoo.js';
import { type Answer, type Call, type Psutil, startPsutil } from './psutil.js';
import { numbers, ours, shape } from './shapes.js';

const readComm = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
  } catch {
    return undefined;
  }
};

/** SIGKILL to a process group we started; one already gone is fine */
const killGroup = (pgid: number) => {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // gone already
  }
};

/**
 * How two answers must agree: same value, a counter between our two
 * readings, close enough, same members; 'memory': the same but for PSS, a
 * page's share among all the processes mapping it, which moves whenever
 * any other process (another test file's) maps or unmaps a shared library:
 * there each side's pss must be within its rss and the two within a
 * quarter of it.
 */
type How = 'same' | 'counter' | 'close' | 'members' | 'memory';

/** the value without its pss fields, and the [pss, rss] pairs taken out */
function withoutPss(v: unknown): { rest: unknown; pss: [number, number][] } {
  const pss: [number, number][] = [];
  const strip = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(strip);
    if (x && typeof x === 'object') {
      const o = { ...(x as Record<string, number>) };
      if ('pss' in o) {
        pss.push([o.pss, o.rss]);
        delete o.pss;
      }
      return o;
    }
    return x;
  };
  return { rest: strip(v), pss };
}

/** every Process method psutil has on Linux, and how its value may move between two readings */
const FIELDS: [Call, How][] = [
  [['ppid'], 'same'],
  [['name'], 'same'],
  [['exe'], 'same'],
  [['cmdline'], 'same'],
  [['environ'], 'same'],
  [['cwd'], 'same'],
  [['status'], 'same'],
  [['username'], 'same'],
  [['uids'], 'same'],
  [['gids'], 'same'],
  [['terminal'], 'same'],
  [['create_time'], 'same'],
  [['nice'], 'same'],
  [['ionice'], 'same'],
  [['rlimit', [0]], 'same'],
  [['rlimit', [3]], 'same'],
  [['rlimit', [7]], 'same'],
  [['cpu_affinity'], 'same'],
  [['cpu_num'], 'same'],
  [['cpu_times'], 'counter'],
  [['memory_info'], 'same'],
  [['memory_full_info'], 'memory'],
  [['memory_percent'], 'close'],
  [['memory_maps'], 'memory'],
  [['memory_maps', [], { grouped: false }], 'memory'],
  [['io_counters'], 'counter'],
  [['num_ctx_switches'], 'counter'],
  [['num_fds'], 'same'],
  [['num_threads'], 'same'],
  [['threads'], 'counter'],
  [['open_files'], 'members'],
  [['connections'], 'members'],
  [['connections', ['all']], 'members'],
  [['connections', ['unix']], 'members'],
  [['is_running'], 'same'],
  [['children'], 'members'],
  [['children', [], { recursive: true }], 'members'],
  [['parent'], 'same'],
  [['parents'], 'same'],
];
// Not compared, and why: cpu_percent (a rate over an interval: its own test below), memory_info_ex (deprecated
// alias of memory_info), oneshot/as_dict (batching: processIter's test), send_signal/suspend/resume/terminate/kill/wait
// (actions: the identity tests below), nice/ionice/rlimit/cpu_affinity setters (their own test below).

const sorted = (v: unknown): unknown => (Array.isArray(v) ? [...v].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : v);

/** why a and p differ, or undefined when they agree as `how` says (a, b: ours before and after) */
function disagreement(how: How, a: Answer, p: Answer, b: Answer): string | undefined {
  if (p.err || a.err || b.err) {
    if (p.err === a.err || p.err === b.err) return undefined;
    // psutil 5.9 raises the parent class for some reads of a zombie (environ): ZombieProcess is a NoSuchProcess
    if (p.err === 'NoSuchProcess' && a.err === 'ZombieProcess' && b.err === 'ZombieProcess') return undefined;
    return `errors differ: ours ${a.err ?? 'ok'}/${b.err ?? 'ok'}, psutil ${p.err ?? 'ok'} ${(p as { msg?: string }).msg ?? (a as { msg?: string }).msg ?? ''}`;
  }
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (how === 'same') return same(a.ok, p.ok) || same(b.ok, p.ok) ? undefined : `ours ${JSON.stringify(a.ok)}, psutil ${JSON.stringify(p.ok)}`;
  if (how === 'members')
    return same(sorted(a.ok), sorted(p.ok)) || same(sorted(b.ok), sorted(p.ok))
      ? undefined
      : `ours ${JSON.stringify(sorted(a.ok))}, psutil ${JSON.stringify(sorted(p.ok))}`;
  if (how === 'memory') {
    const [sa, sp, sb] = [a, p, b].map((x) => withoutPss(x.ok));
    if (!same(sa.rest, sp.rest) && !same(sb.rest, sp.rest)) return `ours ${JSON.stringify(a.ok)}, psutil ${JSON.stringify(p.ok)}`;
    const bad = sp.pss.findIndex(([pss, rss], i) => pss > rss || Math.abs(pss - sa.pss[i][0]) > rss / 4 + 4096);
    return bad < 0 ? undefined : `pss ${bad}: ours ${sa.pss[bad]?.[0]}, psutil ${sp.pss[bad][0]} (rss ${sp.pss[bad][1]})`;
  }
  if (how === 'close')
    return Math.abs(Number(a.ok) - Number(p.ok)) < 1e-6 || Math.abs(Number(b.ok) - Number(p.ok)) < 1e-6 ? undefined : `ours ${a.ok}, psutil ${p.ok}`;
  // counter: the same shape, every number between our two readings
  if (!same(shape(a.ok), shape(p.ok))) return `shapes differ: ours ${JSON.stringify(a.ok)}, psutil ${JSON.stringify(p.ok)}`;
  const [na, np, nb] = [numbers(a.ok), numbers(p.ok), numbers(b.ok)];
  const bad = np.findIndex((x, i) => x < na[i] - 1e-9 || x > nb[i] + 1e-9);
  return bad < 0 ? undefined : `number ${bad}: psutil ${np[bad]} outside ours ${na[bad]}..${nb[bad]} (${JSON.stringify(p.ok)})`;
}

/** One round: each field of one process asked of ours, psutil, ours; the fields that disagree, and why. */
async function compareOnce(py: Psutil, pid: number, fields: [Call, How][]): Promise<[[Call, How], string][]> {
  const calls = fields.map(([c]) => c);
  const a = ours(pid, calls);
  const p = await py.ask(pid, calls);
  const b = ours(pid, calls);
  const out: [[Call, How], string][] = [];
  fields.forEach(([c, how], i) => {
    const why = disagreement(how, a[i], p[i], b[i]);
    if (why) out.push([fields[i], `${c[0]}${c[1]?.length ? `(${c[1].join(',')})` : ''}${c[2] ? JSON.stringify(c[2]) : ''}: ${why}`]);
  });
  return out;
}

/**
 * Compares every field of one process; returns the disagreements of the
 * fields that disagreed in three rounds in a row. A value bracketed by our
 * two readings can still move twice inside them on a loaded machine (rss
 * as the kernel reclaims an idle sleeper's pages; uss as another test's
 * sleep maps the same binary); a wrong value disagrees every time. What
 * moved and then agreed goes to `moved`, for the log.
 */
async function compare(py: Psutil, pid: number, fields: [Call, How][] = FIELDS, moved: string[] = []): Promise<string[]> {
  let left = fields;
  let why: string[] = [];
  let first: [[Call, How], string][] | undefined;
  for (let round = 0; round < 3 && left.length; round++) {
    const out = await compareOnce(py, pid, left);
    first ??= out;
    left = out.map(([f]) => f);
    why = out.map(([, w]) => w);
  }
  const failing = new Set(left);
  for (const [f, w] of first ?? []) if (!failing.has(f)) moved.push(w);
  return why;
}

describe('Process against python3-psutil', () => {
  let py: Psutil | undefined;
  let zoo: Zoo | undefined;
  /** a process with a controlling terminal: script(1) runs it on a pty of its own */
  let tty: ChildProcess | undefined;
  let ttyPid: number | undefined;
  before(async () => {
    py = startPsutil(undefined);
    if (!py) return;
    zoo = await startZoo(cHelper(undefined, 'tasks'));
    tty = spawn('script', ['-qfc', 'exec sleep 317', '/dev/null'], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    await until(() => childrenOf(tty!.pid!).some((c) => statOf(c)?.[0] === 'S' && readComm(c) === 'sleep'), 'the sleeper on a pty');
    ttyPid = childrenOf(tty.pid!).find((c) => readComm(c) === 'sleep');
  });
  after(async () => {
    await py?.close();
    await zoo?.stop();
    if (tty) killGroup(tty.pid!);
  });

  test("every field of every zoo process is psutil's", async (t) => {
    if (!py || !zoo) return void startPsutil(t);
    const problems: string[] = [];
    // and a kernel thread (kthreadd, where the machine has one): no command line, environment or memory
    const kernel = readComm(2) === 'kthreadd' ? { kthreadd: 2 } : {};
    for (const [role, pid] of Object.entries({ ...zoo.byRole, tty: ttyPid!, ...kernel })) {
      const moved: string[] = [];
      const found = await compare(py, pid, FIELDS, moved);
      for (const m of moved) t.diagnostic(`${role} (${pid}) moved between readings, then agreed: ${m}`);
      for (const why of found) {
        // psutil 5.9 calls any ESRCH from a live process's smaps_rollup a zombie; a kernel thread is not one (ours: NoSuchProcess)
        if (role === 'kthreadd' && why === 'memory_full_info: errors differ: ours NoSuchProcess/NoSuchProcess, psutil ZombieProcess ') continue;
        problems.push(`${role} (${pid}) ${why}`);
      }
    }
    assert.match(String(ours(ttyPid, [['terminal']])[0].ok), /^\/dev\/pts\/\d+$/, 'the process on a pty has a terminal');
    assert.deepEqual(problems, []);
    // the zoo holds what the fields are about: else the comparison would be of empty lists
    const files = zoo.byRole.files;
    const [conns, openFiles, threads] = ours(files, [['connections', ['all']], ['open_files'], ['threads']]);
    assert.ok((conns.ok as unknown[]).length >= 4, 'the files helper has TCP, UDP, TCP6 and unix sockets');
    assert.ok((openFiles.ok as unknown[]).length >= 1, 'the files helper has a file open');
    assert.ok((ours(zoo.kinds.thread.parent, [['threads']])[0].ok as unknown[]).length === 2, 'the thread helper has two threads');
    assert.ok(threads.ok);
    const [zombie] = ours(zoo.byRole.zombie, [['status']]);
    assert.equal(zombie.ok, 'zombie');
    assert.equal(ours(zoo.byRole.stopped, [['status']])[0].ok, 'stopped');
  });

  test("memoryInfo from status (processIter reads no statm when it reads status) is statm's", async (t) => {
    if (!py || !zoo) return void startPsutil(t);
    let compared = 0;
    for (const [role, pid] of Object.entries({ ...zoo.byRole, tty: ttyPid! })) {
      let p: Process;
      try {
        p = new Process(pid);
      } catch {
        continue;
      }
      const before = JSON.stringify(p.memoryInfo());
      const viaStatus = p.oneshot(() => {
        p.status();
        return JSON.stringify(p.memoryInfo());
      });
      const after = JSON.stringify(p.memoryInfo());
      assert.ok(viaStatus === before || viaStatus === after, `${role}: statm ${before}, status ${viaStatus}`);
      compared++;
    }
    // and the batch processIter makes agrees with psutil's memory_info for the zoo
    const mine = new Map<number, unknown>();
    for (const p of processIter({ attrs: ['memoryInfo', 'username'] })) mine.set(p.pid, p.info.memoryInfo);
    for (const pid of Object.values(zoo.byRole)) {
      const theirs: Answer = (await py.ask(pid, [['memory_info']]))[0];
      if (theirs.err) continue;
      assert.deepEqual(JSON.parse(JSON.stringify(mine.get(pid) ?? null)), theirs.ok, `memory_info of ${pid}`);
    }
    assert.ok(compared >= 10, `${compared} processes compared`);
  });

  test('a process that is gone: NoSuchProcess on both sides', async (t) => {
    if (!py) return void startPsutil(t);
    const gone = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    const pid = Number(gone);
    const calls: Call[] = [['name'], ['cmdline'], ['status']];
    const [p, o] = [await py.ask(pid, calls), ours(pid, calls)];
    assert.deepEqual(o, p);
    assert.equal(o[0].err, 'NoSuchProcess');
  });

  test('as another user: AccessDenied where psutil says it, values where it answers', async (t) => {
    if (!py || !zoo) return void startPsutil(t);
    if (process.getuid?.() !== 0) return void t.skip('needs root to run both sides as nobody');
    const theirs = startPsutil(t, NOBODY);
    if (!theirs) return;
    try {
      const script = fileURLToPath(new URL('./ours-as.js', import.meta.url));
      const fields = FIELDS.filter(([c]) => !['children', 'parents', 'parent'].includes(c[0]));
      const calls = fields.map(([c]) => c);
      const problems: string[] = [];
      let denied = 0;
      // root's sleeper, the zombie, and a process of another user that is not nobody
      for (const role of ['sleeper0', 'zombie', 'other', 'nodump']) {
        const pid = zoo.byRole[role];
        if (pid === undefined) continue;
        const run = () =>
          JSON.parse(
            spawnSync(process.execPath, [script, String(pid), JSON.stringify(calls)], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' }).stdout,
          ) as Answer[];
        const a = run();
        const p = await theirs.ask(pid, calls);
        const b = run();
        fields.forEach(([c, how], i) => {
          const why = disagreement(how, a[i], p[i], b[i]);
          if (why) problems.push(`${role} ${c[0]}: ${why}`);
          if (p[i].err === 'AccessDenied') denied++;
        });
      }
      assert.deepEqual(problems, []);
      assert.ok(denied >= 10, `psutil was refused ${denied} times: the test must see AccessDenied to compare it`);
    } finally {
      await theirs.close();
    }
  });

  test("cpuPercent over the same interval as psutil's cpu_percent", async (t) => {
    if (!py || !zoo) return void startPsutil(t);
    const busy = spawn('sh', ['-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' });
    try {
      const pids = { busy: busy.pid!, stopped: zoo.byRole.stopped, sleeper: zoo.byRole.sleeper0 };
      for (const [role, pid] of Object.entries(pids)) {
        const ask: Promise<Answer[]> = py.ask(pid, [['cpu_percent', [0.5]]]);
        const measure: Promise<number> = new Process(pid).cpuPercent(0.5);
        const mine: number = await measure;
        const p: number = Number((await ask)[0].ok);
        if (role === 'busy') {
          // both measured the same process over (nearly) the same half second: the ticks differ by the edges only
          assert.ok(Math.abs(mine - p) <= 20, `busy: ours ${mine}, psutil ${p}`);
          assert.ok(mine > 0, `a busy loop uses CPU: ${mine}`);
        } else assert.equal(mine, p, `${role}: ours ${mine}, psutil ${p}`);
      }
      // without an interval: 0 the first time, as psutil's first call
      assert.equal(new Process(busy.pid!).cpuPercent(), 0);
    } finally {
      killGroup(busy.pid!);
    }
  });

  test('processIter: the same processes and the same info as process_iter', async (t) => {
    if (!py || !zoo) return void startPsutil(t);
    const attrs = ['pid', 'ppid', 'name', 'username', 'status', 'cpu_times', 'memory_info', 'create_time', 'cmdline'];
    const mine = new Map<number, Record<string, unknown>>();
    for (const p of processIter({ attrs: ['pid', 'ppid', 'name', 'username', 'status', 'cpuTimes', 'memoryInfo', 'createTime', 'cmdline'] }))
      mine.set(p.pid, p.info);
    const theirs = await py.ask(undefined, [['pids']]);
    const zooPids = Object.values(zoo.byRole);
    for (const pid of zooPids) assert.ok((theirs[0].ok as number[]).includes(pid) && mine.has(pid), `both list ${pid}`);
    // files the kernel will not show (a zombie's cwd and environ, as processIter batches read them): psutil's ad_value
    const denied = new Map<number, unknown>();
    for (const p of processIter({ attrs: ['cwd', 'environ', 'status'] })) denied.set(p.pid, p.info);
    for (const pid of zooPids) {
      // environ on its own: psutil 5.9's as_dict lets a zombie's environ escape as NoSuchProcess (ours: ZombieProcess, the ad value)
      const answers: Answer[] = await py.ask(pid, [['as_dict', [['cwd', 'status']]], ['environ']]);
      const dict: Answer = answers[0];
      const envErr: string | undefined = answers[1].err;
      const ps = dict.ok as Record<string, unknown>;
      const o = denied.get(pid) as Record<string, unknown> | undefined;
      assert.ok(o, `processIter listed ${pid}`);
      assert.deepEqual([o.cwd ?? null, o.status], [ps.cwd, ps.status], `${pid} cwd, status`);
      assert.equal(o.environ === undefined, envErr !== undefined, `${pid} environ shown or not (psutil: ${envErr ?? 'shown'})`);
    }
    assert.equal((denied.get(zoo.byRole.zombie) as Record<string, unknown>).cwd, undefined, "the zombie's cwd is the ad value");
    // kthreadd too: no memory map, so no Vm lines in the status processIter reads instead of statm
    for (const pid of [...zooPids, 2]) {
      const p = await py.ask(pid, [['as_dict', [attrs]]]);
      const info = ours(pid, [['as_dict', [['pid', 'ppid', 'name', 'username', 'status', 'cpuTimes', 'memoryInfo', 'createTime', 'cmdline']]]])[0];
      const ps = p[0].ok as Record<string, unknown>;
      const o = info.ok as Record<string, unknown>;
      const iterated = mine.get(pid);
      assert.ok(iterated, `processIter listed ${pid}`);
      for (const k of attrs) {
        if (k === 'cpu_times') continue;
        const key = k.replace(/_(.)/g, (_, c: string) => c.toUpperCase());
        assert.deepEqual(o[k] ?? null, ps[k] ?? null, `${pid} ${k}`);
        if (k !== 'memory_info') assert.deepEqual(iterated[key] ?? null, ps[k] ?? null, `${pid} ${k} by processIter`);
      }
      // memory moves in a process that runs (node's collector): when processIter's reading of a second ago differs, one read right before psutil's
      let iterMemory = iterated.memoryInfo;
      let theirs = ps.memory_info;
      if (JSON.stringify(iterMemory) !== JSON.stringify(theirs)) {
        iterMemory = [...processIter({ attrs: ['pid', 'username', 'memoryInfo'] })].find((q) => q.pid === pid)?.info.memoryInfo;
        theirs = (await py.ask(pid, [['memory_info']]))[0].ok;
      }
      assert.deepEqual(iterMemory, theirs, `${pid} memory_info by processIter (status's Vm lines for statm)`);
    }
  });

  test('a handle never acts on a reused PID; wait() through a pidfd, with a timeout', async () => {
    const sleeper = spawn('sh', ['-c', 'sleep 300 & echo $!; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const line = await new Promise<string>((resolve) => sleeper.stdout!.once('data', (d: Buffer) => resolve(d.toString())));
      const pid = Number(line.trim());
      const p = new Process(pid);
      // a handle made before the PID was reused: same pid, another start time
      const stat = `${pid} (sleep) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0`;
      const stale = Process.fromStat(pid, stat)!;
      assert.equal(stale.isRunning(), false);
      assert.throws(() => stale.kill(), NoSuchProcess);
      assert.throws(() => stale.setNice(5), NoSuchProcess);
      assert.equal(p.isRunning(), true, 'the stale handle did not signal the process that has the PID now');
      await assert.rejects(p.wait(0.05), TimeoutExpired);
      p.suspend();
      await until(() => p.status() === 'stopped', 'SIGSTOP');
      p.resume();
      await until(() => p.status() !== 'stopped', 'SIGCONT');
      p.terminate();
      // sleep is not our child (the shell's): wait() sees it exit all the same; until the shell
      // collects it, it is a zombie (exited, still holding its PID)
      await p.wait(10);
      assert.ok(!p.isRunning() || p.status() === 'zombie', 'exited once wait() resolved');
      await until(() => !p.isRunning(), 'the shell to collect its child');
      assert.throws(() => p.kill(), NoSuchProcess);
    } finally {
      killGroup(sleeper.pid!);
    }
  });

  test('setters: nice, ionice, rlimit, cpu affinity, read back by psutil', async (t) => {
    if (!py) return void startPsutil(t);
    const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    try {
      const p = new Process(child.pid!);
      p.setNice(7);
      p.setIoNice(2, 6);
      p.setRlimit(7, [100, 200]);
      p.setCpuAffinity([0]);
      const got = await py.ask(child.pid!, [['nice'], ['ionice'], ['rlimit', [7]], ['cpu_affinity']]);
      assert.deepEqual(
        got.map((a) => a.ok),
        [7, { ioclass: 2, value: 6 }, [100, 200], [0]],
      );
      p.setCpuAffinity([]);
      assert.deepEqual((await py.ask(child.pid!, [['cpu_affinity']]))[0].ok, ours(child.pid!, [['cpu_affinity']])[0].ok);
      assert.throws(() => p.setIoNice(9), TypeError);
      assert.throws(() => p.setCpuAffinity([4096]), TypeError);
    } finally {
      killGroup(child.pid!);
    }
  });
});
