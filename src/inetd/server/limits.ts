/**
 * Limits that a flooding client cannot turn against the others: instances
 * per service, connections at once per source, and connections per second
 * per source (a source over its rate is refused for a pause; nobody else
 * is). Pure bookkeeping; the server asks and reports.
 */
export interface LimitConfig {
  instances?: number;
  perSource?: number;
  /** inetd's nowait.MAX: spawns per minute, counted per source so one client cannot use up everyone's */
  maxPerMinute?: number;
  /** [connections per second per source, seconds a source is refused after going over] */
  cps?: [number, number];
}

/** code: xinetd's word for the refusal (its FAIL lines are parsed by tools such as fail2ban); reason: ours, in full */
export type Verdict = { ok: true } | { ok: false; code: string; reason: string };

export class Limits {
  private active = 0;
  private readonly bySource = new Map<string, number>();
  private readonly rate = new Map<string, { second: number; count: number; until: number }>();
  private readonly minute = new Map<string, { minute: number; count: number }>();

  constructor(private cfg: LimitConfig) {}

  update(cfg: LimitConfig): void {
    this.cfg = cfg;
  }

  /** May a connection from source start now? If so it is counted until end(). */
  begin(source: string, now = Date.now()): Verdict {
    const c = this.cfg;
    if (c.cps) {
      const r = this.rate.get(source) ?? { second: 0, count: 0, until: 0 };
      if (now < r.until) return { ok: false, code: 'connections per second', reason: `${source} paused after going over ${c.cps[0]} connections per second` };
      const second = Math.floor(now / 1000);
      if (r.second !== second) {
        r.second = second;
        r.count = 0;
      }
      if (++r.count > c.cps[0]) {
        r.until = now + c.cps[1] * 1000;
        this.rate.set(source, r);
        return { ok: false, code: 'connections per second', reason: `more than ${c.cps[0]} connections per second from ${source}` };
      }
      this.rate.set(source, r);
    }
    if (c.maxPerMinute !== undefined) {
      const m = Math.floor(now / 60_000);
      const r = this.minute.get(source);
      const count = r && r.minute === m ? r.count + 1 : 1;
      if (count > c.maxPerMinute) return { ok: false, code: 'connections per minute', reason: `more than ${c.maxPerMinute} a minute from ${source}` };
      this.minute.set(source, { minute: m, count });
    }
    if (c.instances !== undefined && this.active >= c.instances) return { ok: false, code: 'service_limit', reason: `instances limit (${c.instances})` };
    const n = this.bySource.get(source) ?? 0;
    if (c.perSource !== undefined && n >= c.perSource)
      return { ok: false, code: 'per_source_limit', reason: `per_source limit (${c.perSource}) for ${source}` };
    this.active++;
    this.bySource.set(source, n + 1);
    return { ok: true };
  }

  end(source: string): void {
    this.active = Math.max(0, this.active - 1);
    const n = (this.bySource.get(source) ?? 1) - 1;
    if (n > 0) this.bySource.set(source, n);
    else this.bySource.delete(source);
  }

  /** forget rate records that ended long ago (bounded memory under a scan) */
  sweep(now = Date.now()): void {
    for (const [k, r] of this.rate) if (r.until < now && r.second < Math.floor(now / 1000) - 2) this.rate.delete(k);
    for (const [k, r] of this.minute) if (r.minute < Math.floor(now / 60_000)) this.minute.delete(k);
  }

  get running(): number {
    return this.active;
  }
}
