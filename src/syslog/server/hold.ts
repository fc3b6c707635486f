/**
 * What a file or store action does while its disk refuses writes (full,
 * over quota, an I/O error, locked or damaged database): messages wait in
 * memory up to a bound, the condition is logged once when it starts and
 * once when it ends, and a write is tried again every second until one
 * works. Past the bound the newest are refused and counted; at three
 * quarters of it the daemon stops reading the inputs that can wait (TCP,
 * the local socket), so only what cannot wait (UDP, the kernel) is dropped.
 */
export const RETRY_MS = 1000;
/** default bound: what one action keeps in memory while it cannot write */
export const HOLD_MAX = 64 << 20;

/** errors after which the same write can work later; others (a bad path) are the configuration's */
export function passing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return ['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EAGAIN', 'EMFILE', 'ENFILE', 'ENOMEM'].includes(code) || code.startsWith('SQLITE_');
}

export class Hold {
  /** when the disk started refusing (undefined: it takes writes) */
  since: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** messages refused because the bound was reached, since the start of the daemon */
  refused = 0;
  private refusedLogged = false;

  constructor(
    private readonly what: string,
    readonly maxBytes: number,
    private readonly retry: () => void,
    readonly log: (line: string) => void = () => {},
  ) {}

  get holding(): boolean {
    return this.since !== undefined;
  }

  /** should the inputs that can wait stop being read */
  full(bytes: number): boolean {
    return bytes >= this.maxBytes * 0.75;
  }

  failed(e: unknown): void {
    if (this.since === undefined) {
      this.since = Date.now();
      this.log(
        `dk syslogd: ${this.what}: cannot write (${(e as Error).message}); messages wait in memory (up to ${this.maxBytes} bytes) and the write is tried every second`,
      );
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.retry();
      }, RETRY_MS);
      this.timer.unref();
    }
  }

  /** a message that did not fit in the bound */
  refuse(n: number): void {
    this.refused += n;
    if (!this.refusedLogged) this.log(`dk syslogd: ${this.what}: ${this.maxBytes} bytes wait already; new messages are dropped until the disk takes writes`);
    this.refusedLogged = true;
  }

  /** everything held is written */
  resumed(n: number): void {
    if (this.since === undefined) return;
    const secs = ((Date.now() - this.since) / 1000).toFixed(1);
    this.log(
      `dk syslogd: ${this.what}: writing again after ${secs} s; ${n} messages that waited are written${this.refused ? ` (${this.refused} were dropped)` : ''}`,
    );
    this.since = undefined;
    this.refusedLogged = false;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
