/**
 * python3-psutil as a peer: one Python process per test file answering
 * JSON lines over stdin/stdout, so each comparison costs a pipe round trip
 * and not a Python start-up, and both sides read the kernel at nearly the
 * same instant. Named tuples come back as objects, enums as their values,
 * exceptions as {err: 'NoSuchProcess'}.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';

const SERVER = `
import sys, json, enum, psutil
def conv(x):
    if hasattr(x, '_asdict'): return {k: conv(v) for k, v in x._asdict().items()}
    if isinstance(x, dict): return {str(k): conv(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set)): return [conv(v) for v in x]
    if isinstance(x, enum.Enum): return x.value
    if isinstance(x, bytes): return x.decode('utf-8', 'replace')
    if isinstance(x, float) and x != x: return None
    if isinstance(x, psutil.Process): return x.pid
    return x
def one(target, name, args, kwargs):
    try:
        return {'ok': conv(getattr(target, name)(*args, **kwargs))}
    except psutil.Error as e:
        return {'err': type(e).__name__}
    except Exception as e:
        return {'err': type(e).__name__, 'msg': str(e)}
for line in sys.stdin:
    req = json.loads(line)
    if req.get('pid') is not None:
        try:
            target = psutil.Process(req['pid'])
        except psutil.Error as e:
            print(json.dumps([{'err': type(e).__name__}] * len(req['calls'])), flush=True)
            continue
    else:
        target = psutil
    print(json.dumps([one(target, c[0], c[1] if len(c) > 1 else [], c[2] if len(c) > 2 else {}) for c in req['calls']]), flush=True)
`;

export type Answer = { ok: unknown; err?: undefined } | { err: string; msg?: string; ok?: undefined };
/** [psutil name, positional args, keyword args] */
export type Call = [string, unknown[]?, Record<string, unknown>?];

export interface Psutil {
  /** the answers to calls on Process(pid), or on the psutil module when pid is undefined */
  ask(pid: number | undefined, calls: Call[]): Promise<Answer[]>;
  close(): Promise<void>;
}

/** Debian's interpreter: a pyenv python3 first on PATH has no python3-psutil */
const PYTHON = '/usr/bin/python3';

/** Starts the peer (as uid, when given), or skips (locally) / fails (CI) when python3-psutil is missing. */
export function startPsutil(t: TestContext | undefined, uid?: number): Psutil | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import psutil'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const msg = 'peer psutil is missing: install the Debian package python3-psutil';
    if (process.env.CI === 'true') assert.fail(msg);
    t?.skip(msg);
    return undefined;
  }
  const child: ChildProcess = spawn(PYTHON, ['-c', SERVER], { stdio: ['pipe', 'pipe', 'inherit'], uid, gid: uid });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  let exited = false;
  child.once('exit', () => {
    exited = true;
    for (const w of waiting.splice(0)) w('null');
  });
  return {
    ask(pid, calls) {
      if (exited) return Promise.reject(new Error('the psutil peer has exited'));
      return new Promise((resolve, reject) => {
        waiting.push((l) => {
          const v = JSON.parse(l) as Answer[] | null;
          if (v === null) reject(new Error('the psutil peer exited'));
          else resolve(v);
        });
        child.stdin!.write(`${JSON.stringify({ pid, calls })}\n`);
      });
    },
    close() {
      if (exited) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
        // bounded: a peer that does not leave on end of input is killed
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}
