// Shared bench helpers: wall-clock timing of whole commands and the report line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** allowFail: lsof exits 1 when it met unreadable files, which is not a failed run */
export function timeCommand(cmd, args, env = process.env, allowFail = false) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], env, maxBuffer: 256 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !(allowFail && r.status === 1)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return ms;
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)] };
}

const f = (ms) => `${ms.toFixed(1)} ms`;

/**
 * With floor (node -e 0 measured in the same run): also what our command costs
 * above Node's own start-up against the peer's whole time, the target.
 */
export function report(name, ours, peer, floor) {
  const above = floor ? `, above node ${f(floor.median)}: ${((ours.median - floor.median) / peer.median).toFixed(2)} of the peer` : '';
  console.log(
    `${name}: ours ${f(ours.median)} (min ${f(ours.min)}), peer ${f(peer.median)} (min ${f(peer.min)}), ratio ${(ours.median / peer.median).toFixed(2)} (min ${(ours.min / peer.min).toFixed(2)})${above}`,
  );
}

/** one run of node -e 0, the floor under every dk command */
export const nodeOnce = (env = process.env) => timeCommand(process.execPath, ['-e', '0'], env);

/** the listing tools' node starts without it (src/cli/launcher.cjs): their floor is measured the same way */
const LEAN = new Set(['ps', 'pstree', 'lsof', 'top']);
const floorEnv = (tool, env) => {
  if (!LEAN.has(tool) || env.NODE_EXTRA_CA_CERTS === undefined) return env;
  const { NODE_EXTRA_CA_CERTS: _, ...rest } = env;
  return rest;
};

/**
 * ours, the peer and node -e 0 taken in turn, runs times each: the machine
 * drifts by several milliseconds from one minute to the next, so the three
 * medians the target compares come from the same minutes.
 */
export function interleaved(runs, ours, peer, floor = nodeOnce) {
  const o = [];
  const p = [];
  const n = [];
  for (let i = 0; i < runs; i++) {
    o.push(ours());
    p.push(peer());
    n.push(floor());
  }
  return { ours: stats(o), peer: stats(p), floor: stats(n) };
}

/**
 * Debian packages unpacked under dir/x, never installed (apt-get download +
 * dpkg -x): peers that conflict with each other or must not start on the
 * host. Returns dir/x; throws unless `expect` (a path inside it) exists.
 */
export function unpackDebs(dir, pkgs, expect) {
  const got = spawnSync('sh', ['-c', `cd "${dir}" && apt-get download ${pkgs.join(' ')} >/dev/null 2>&1 && for f in *.deb; do dpkg -x "$f" x || exit 1; done`]);
  const x = `${dir}/x`;
  if (got.status !== 0 || !existsSync(`${x}/${expect}`)) throw new Error(`cannot fetch ${pkgs.join(', ')} with apt-get download`);
  return x;
}

/**
 * `dk TOOL args` against the peer TOOL, alternating, after one warm-up run
 * of ours; prints the report line with the node floor of the same moment.
 * dk runs as a user runs it, the executable itself: its first lines choose
 * node's options and environment per tool. The floor is `node -e 0` in the
 * environment that node gets; when that differs from the caller's, the
 * caller's `node -e 0` is printed beside it.
 * allowFail: exit status 1 is a result, not a failed run (lsof).
 */
export function compareTool(dk, tool, args, runs, env, allowFail = false) {
  timeCommand(dk, [tool, ...args], env, allowFail);
  const lean = floorEnv(tool, env);
  const plain = [];
  const r = interleaved(
    runs,
    () => timeCommand(dk, [tool, ...args], env, allowFail),
    () => timeCommand(tool, args, env, allowFail),
    () => {
      if (lean !== env) plain.push(nodeOnce(env));
      return nodeOnce(lean);
    },
  );
  report(`${[tool, ...args].join(' ')} (whole process)`, r.ours, r.peer, r.floor);
  if (plain.length) console.log(`  node -e 0 with NODE_EXTRA_CA_CERTS as set here: ${f(stats(plain).median)}; dk ${tool} starts node without it`);
}
