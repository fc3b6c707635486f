/**
 * syslog(3) for Node: openlog/syslog/closelog/setlogmask with glibc's
 * options, over the local datagram socket. Sending never blocks and never
 * throws into the caller: when the daemon is away or its queue is full,
 * messages wait in a bounded buffer and are retried; a restarted daemon is
 * reconnected to.
 *
 * @module daemonkit/syslog
 */
import * as fs from 'node:fs';
import { UnixDatagramClient } from '../sys/unixdgram.js';
import { formatRfc3164 } from './protocol/rfc3164.js';

export const LOG_PID = 0x01;
export const LOG_CONS = 0x02;
export const LOG_ODELAY = 0x04;
export const LOG_NDELAY = 0x08;
export const LOG_NOWAIT = 0x10;
export const LOG_PERROR = 0x20;

export const LOG_EMERG = 0;
export const LOG_ALERT = 1;
export const LOG_CRIT = 2;
export const LOG_ERR = 3;
export const LOG_WARNING = 4;
export const LOG_NOTICE = 5;
export const LOG_INFO = 6;
export const LOG_DEBUG = 7;

export const LOG_KERN = 0 << 3;
export const LOG_USER = 1 << 3;
export const LOG_MAIL = 2 << 3;
export const LOG_DAEMON = 3 << 3;
export const LOG_AUTH = 4 << 3;
export const LOG_SYSLOG = 5 << 3;
export const LOG_LPR = 6 << 3;
export const LOG_NEWS = 7 << 3;
export const LOG_UUCP = 8 << 3;
export const LOG_CRON = 9 << 3;
export const LOG_AUTHPRIV = 10 << 3;
export const LOG_LOCAL0 = 16 << 3;
export const LOG_LOCAL1 = 17 << 3;
export const LOG_LOCAL2 = 18 << 3;
export const LOG_LOCAL3 = 19 << 3;
export const LOG_LOCAL4 = 20 << 3;
export const LOG_LOCAL5 = 21 << 3;
export const LOG_LOCAL6 = 22 << 3;
export const LOG_LOCAL7 = 23 << 3;

export const LOG_MASK = (pri: number): number => 1 << pri;
export const LOG_UPTO = (pri: number): number => (1 << (pri + 1)) - 1;

export interface LoggerOptions {
  ident?: string;
  /** LOG_PID | LOG_CONS | LOG_NDELAY | LOG_PERROR ... */
  option?: number;
  facility?: number;
  /** the log socket (default /dev/log) */
  path?: string;
  /** messages kept while the daemon cannot take them (default 1000) */
  buffer?: number;
}

export class SyslogClient {
  private readonly sock: UnixDatagramClient;
  private readonly queue: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private mask = 0xff;
  /** messages dropped because the buffer was full */
  dropped = 0;

  constructor(private readonly o: LoggerOptions = {}) {
    this.sock = new UnixDatagramClient(o.path ?? '/dev/log');
    if ((o.option ?? 0) & LOG_NDELAY) this.sock.connect();
  }

  setlogmask(mask: number): number {
    const old = this.mask;
    if (mask) this.mask = mask;
    return old;
  }

  /** syslog(priority, message): priority is a level, optionally or'ed with a facility. */
  syslog(priority: number, message: string): void {
    try {
      const severity = priority & 7;
      if (!(this.mask & (1 << severity))) return;
      const facility = (priority & ~7) >> 3 || (this.o.facility ?? LOG_USER) >> 3;
      const opt = this.o.option ?? 0;
      const line = formatRfc3164(
        {
          facility,
          severity,
          timestamp: new Date(),
          app: this.o.ident ?? processName(),
          procId: opt & LOG_PID ? String(process.pid) : undefined,
          structuredData: [],
          msg: message,
          format: 'rfc3164',
        },
        { hostname: false },
      );
      if (opt & LOG_PERROR) process.stderr.write(`${line.replace(/^<\d+>\S+ +\d+ \S+ /, '')}\n`);
      this.queue.push(Buffer.from(line));
      if (this.queue.length > (this.o.buffer ?? 1000)) {
        this.queue.shift();
        this.dropped++;
      }
      this.drain();
    } catch {
      // a logger must never take its caller down
    }
  }

  private drain(): void {
    while (this.queue.length) {
      if (!this.sock.send(this.queue[0])) {
        if ((this.o.option ?? 0) & LOG_CONS) this.console(this.queue[0]);
        this.retryLater();
        return;
      }
      this.queue.shift();
    }
  }

  private console(line: Buffer): void {
    try {
      const fd = fs.openSync('/dev/console', fs.constants.O_WRONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
      fs.writeSync(fd, `${line.toString().replace(/^<\d+>/, '')}\r\n`);
      fs.closeSync(fd);
    } catch {
      // no console for us
    }
  }

  private retryLater(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, 200);
    // waiting messages do not keep the program alive
    this.timer.unref();
  }

  closelog(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.drain();
    this.sock.close();
  }
}

function processName(): string {
  return (process.argv[1] ?? process.argv0).split('/').pop() ?? 'node';
}

let global: SyslogClient | undefined;

export function openlog(ident?: string, option = 0, facility = LOG_USER, path?: string): void {
  global?.closelog();
  global = new SyslogClient({ ident, option, facility, path });
}

export function syslog(priority: number, message: string): void {
  (global ??= new SyslogClient()).syslog(priority, message);
}

export function setlogmask(mask: number): number {
  return (global ??= new SyslogClient()).setlogmask(mask);
}

export function closelog(): void {
  global?.closelog();
  global = undefined;
}
