/**
 * Login attempts, limited per source address and per user name: a guesser
 * from one address, and a spread-out guesser of one account, both wait.
 * Counts failures in a sliding window; a success clears the user's count.
 */
export class AttemptLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds to wait before another attempt under this key; 0: go ahead. */
  waitMs(key: string, now = Date.now()): number {
    const list = this.recent(key, now);
    return list.length >= this.max ? list[0] + this.windowMs - now : 0;
  }

  fail(key: string, now = Date.now()): void {
    const list = this.recent(key, now);
    list.push(now);
    this.failures.set(key, list);
    // bounded memory under a spray of distinct keys
    if (this.failures.size > 10_000) for (const k of this.failures.keys()) if (!this.recent(k, now).length) this.failures.delete(k);
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }
}
