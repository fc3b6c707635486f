/**
 * The dependency graph of a boot: which units a target pulls in
 * (Requires/Wants, and the units whose WantedBy/RequiredBy name it), the
 * order among them (After/Before), and ordering cycles reported with the
 * whole path. Pure over the loaded units.
 */
import type { Unit } from './units/unit.js';

export interface Transaction {
  /** the units to start, the target included */
  units: Set<string>;
  /** name -> units it must start after (within the transaction) */
  after: Map<string, Set<string>>;
  /** wanted or required units that do not exist (a Requires on one fails the requirer) */
  missing: { from: string; name: string; hard: boolean }[];
}

export function transaction(units: ReadonlyMap<string, Unit>, target: string): Transaction {
  // reverse install edges: target -> units that say WantedBy=target, for the units whose install
  // section is in force without links (SysV scripts); the others are pulled in by NAME.wants/ links
  const installed = new Map<string, { name: string; hard: boolean }[]>();
  for (const u of units.values())
    if (u.installActive)
      for (const [list, hard] of [
        [u.wantedBy, false],
        [u.requiredBy, true],
      ] as const)
        for (const t of list) installed.set(t, [...(installed.get(t) ?? []), { name: u.name, hard }]);
  const set = new Set<string>();
  const missing: Transaction['missing'] = [];
  const visit = (name: string): void => {
    if (set.has(name)) return;
    const u = units.get(name);
    if (!u) return;
    set.add(name);
    const deps = [...u.requires.map((d) => ({ name: d, hard: true })), ...u.wants.map((d) => ({ name: d, hard: false })), ...(installed.get(name) ?? [])];
    // a socket unit brings its service along when it is activated, not at boot
    for (const d of deps) {
      if (!units.has(d.name)) missing.push({ from: name, ...d });
      else visit(d.name);
    }
  };
  visit(target);
  const after = new Map<string, Set<string>>([...set].map((n) => [n, new Set<string>()]));
  for (const n of set) {
    const u = units.get(n)!;
    for (const a of u.after) if (set.has(a)) after.get(n)!.add(a);
    for (const b of u.before) if (set.has(b)) after.get(b)!.add(n);
    // a target is reached when what it pulls in has started (systemd's default dependencies)
    if (u.kind === 'target')
      for (const d of [...u.requires, ...u.wants, ...(installed.get(n) ?? []).map((x) => x.name)])
        if (set.has(d) && !units.get(d)!.after.includes(n)) after.get(n)!.add(d);
    // a unit is ordered after a socket that activates it
    if (u.kind === 'socket') {
      const svc = u.socket?.service ?? n.replace(/\.socket$/, '.service');
      if (set.has(svc)) after.get(svc)!.add(n);
    }
  }
  return { units: set, after, missing };
}

/** An ordering cycle as the path that closes it (a -> b -> ... -> a), or undefined. */
export function findCycle(after: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const walk = (n: string): string[] | undefined => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of [...(after.get(n) ?? [])].sort()) {
      if (state.get(d) === 'open') return [...stack.slice(stack.indexOf(d)), d];
      if (!state.has(d)) {
        const c = walk(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of [...after.keys()].sort()) {
    if (state.has(n)) continue;
    const c = walk(n);
    if (c) return c;
  }
  return undefined;
}

/** Levels of a boot: each unit's longest chain of predecessors (0: nothing to wait for). */
export function levels(after: ReadonlyMap<string, ReadonlySet<string>>): Map<string, number> {
  const memo = new Map<string, number>();
  const level = (n: string, seen: Set<string>): number => {
    const m = memo.get(n);
    if (m !== undefined) return m;
    if (seen.has(n)) return 0; // cycles are refused before this is used
    seen.add(n);
    let l = 0;
    for (const d of after.get(n) ?? []) l = Math.max(l, level(d, seen) + 1);
    memo.set(n, l);
    return l;
  };
  for (const n of after.keys()) level(n, new Set());
  return memo;
}
