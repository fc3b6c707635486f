/**
 * The Overview's history: one sample a second of CPU, memory, swap and
 * paging, the last 10 minutes kept. Three small /proc files a second is
 * cheap enough to keep going while nobody watches, so a page opened later
 * still has its ten minutes.
 */
import { cpuPercents, pagingRates, sampleSystem, thrashing, type SystemSample } from '../../proc/system.js';
import { snapshot } from '../../proc/snapshot.js';
import type { Point } from '../shared/types.js';

export type { Point };

export const HISTORY = 600;

export class Sampler {
  private readonly points: Point[] = [];
  private prev: SystemSample | undefined;
  private kswapd: { pids: number[]; ticks: number; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(p: Point) => void>();
  latest: SystemSample | undefined;

  constructor(private readonly procRoot = '/proc') {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  history(): Point[] {
    return [...this.points];
  }

  onPoint(fn: (p: Point) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  sample(): void {
    const cur = sampleSystem(this.procRoot);
    this.latest = cur;
    const prev = this.prev;
    this.prev = cur;
    const kswapd = this.kswapdCpu(cur.at);
    if (!prev) return;
    const busy = cpuPercents(prev.cpu.total, cur.cpu.total);
    // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait
    const cpu = 100 - (busy[3] ?? 0) - (busy[4] ?? 0);
    const m = cur.mem;
    const rates = pagingRates(prev.vm, cur.vm, (cur.at - prev.at) / 1000);
    const p: Point = {
      t: cur.at,
      cpu: Math.max(0, Math.min(100, cpu)),
      mem: m.total ? ((m.total - m.available) * 100) / m.total : 0,
      swap: m.swapTotal ? ((m.swapTotal - m.swapFree) * 100) / m.swapTotal : 0,
      ...rates,
      kswapd,
      thrashing: thrashing(rates),
    };
    this.points.push(p);
    if (this.points.length > HISTORY) this.points.shift();
    for (const fn of this.listeners) fn(p);
  }

  /** kswapd's share of a CPU since the last sample (the kernel threads are found once) */
  private kswapdCpu(now: number): number {
    const pids =
      this.kswapd?.pids ??
      snapshot({ procRoot: this.procRoot, fields: ['comm'] })
        .procs.filter((p) => p.kernelThread && p.comm.startsWith('kswapd'))
        .map((p) => p.pid);
    const snap = snapshot({ procRoot: this.procRoot, fields: ['utime', 'stime'], pids });
    const ticks = snap.procs.reduce((s, p) => s + p.utime + p.stime, 0);
    const before = this.kswapd;
    this.kswapd = { pids, ticks, at: now };
    if (!before || now <= before.at) return 0;
    return ((ticks - before.ticks) / snap.sys.hz / ((now - before.at) / 1000)) * 100;
  }
}
