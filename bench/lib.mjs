// Shared bench helpers: wall-clock timing of whole commands and the report line.
import { spawnSync } from 'node:child_process';

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

export function report(name, ours, peer) {
  console.log(`${name}: ours ${f(ours.median)} (min ${f(ours.min)}), peer ${f(peer.median)} (min ${f(peer.min)}), ratio ${(ours.median / peer.median).toFixed(2)} (min ${(ours.min / peer.min).toFixed(2)})`);
}
