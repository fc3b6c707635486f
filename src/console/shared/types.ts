/** What the console's server sends and its page reads: one definition for both sides. */

export interface ProcessRow {
  pid: number;
  ppid: number;
  user: string;
  /** R S D Z T t I ... */
  state: string;
  /** percent of one CPU since the last sample */
  cpu: number;
  /** resident set, KiB */
  rss: number;
  threads: number;
  /** seconds since the epoch */
  start: number;
  command: string;
  /** dk ps --daemons' letters: T no tty, G no tpgid, P parent init, S own session ('kernel' for kernel threads) */
  daemon: string;
}

/** One second of the Overview's charts. */
export interface Point {
  /** ms since the epoch */
  t: number;
  /** CPU busy, percent of all CPUs */
  cpu: number;
  /** memory used (total - available), percent */
  mem: number;
  /** swap used, percent (0 without swap) */
  swap: number;
  swapIn: number;
  swapOut: number;
  majflt: number;
  /** CPU of the kswapd threads, percent of one CPU */
  kswapd: number;
  thrashing: boolean;
}
