/**
 * The NUMA node of each CPU, from sysfs (the cpuN/nodeM links), read once:
 * the node a process last ran on is the node of its CPU.
 */
import { readdirSync } from 'node:fs';

let nodes: Map<number, number> | undefined;

function load(sysRoot: string): Map<number, number> {
  const m = new Map<number, number>();
  let cpus: string[] = [];
  try {
    cpus = readdirSync(`${sysRoot}/devices/system/cpu`).filter((d) => /^cpu\d+$/.test(d));
  } catch {
    return m;
  }
  for (const cpu of cpus) {
    try {
      const node = readdirSync(`${sysRoot}/devices/system/cpu/${cpu}`).find((e) => /^node\d+$/.test(e));
      if (node) m.set(Number(cpu.slice(3)), Number(node.slice(4)));
    } catch {
      // a CPU going offline while we look: no node for it
    }
  }
  return m;
}

/** The node of a CPU; -1 where the kernel has no NUMA topology for it (as libnuma says). */
export function numaNode(cpu: number, sysRoot = '/sys'): number {
  nodes ??= load(sysRoot);
  return nodes.get(cpu) ?? -1;
}
