/**
 * Events per second over the last 1, 10 and 60 seconds, from a counter
 * that only grows: one sample a second in a ring of 61, so asking costs
 * nothing and counting costs the caller one increment it does anyway. Each
 * rate is taken over the real time since the sample it starts from.
 */
export interface Rates {
  last1s: number;
  last10s: number;
  last60s: number;
}

const SIZE = 61;

export class RateMeter {
  private readonly counts = new Float64Array(SIZE);
  private readonly times = new Float64Array(SIZE);
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly total: () => number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  sample(now = Date.now()): void {
    const i = this.samples % SIZE;
    this.counts[i] = this.total();
    this.times[i] = now;
    this.samples++;
  }

  rates(now = Date.now()): Rates {
    const count = this.total();
    const over = (s: number): number => {
      // the newest sample at least s seconds old, or the oldest there is
      const back = Math.min(s, this.samples - 1);
      const i = (this.samples - 1 - back) % SIZE;
      const secs = (now - this.times[i]) / 1000;
      return secs > 0 ? (count - this.counts[i]) / secs : 0;
    };
    return { last1s: over(1), last10s: over(10), last60s: over(60) };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
