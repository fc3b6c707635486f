/**
 * Accepting TCP connections ourselves instead of through net.Server: when
 * the process is out of descriptors (EMFILE), libuv accepts what waits and
 * closes it at once so as not to spin, and a client that had already sent
 * its lines loses them. Here accept4(2) stops instead and the clients stay
 * in the listen backlog until a descriptor frees (a connection closing, or
 * a retry four times a second); readiness comes from poll(2) off the main
 * thread (Readiness). Each connection becomes a net.Socket as Node's own.
 */
import { constants as fsConstants } from 'node:fs';
import * as net from 'node:net';
import { constants } from 'node:os';
import { loadLibc } from './libc.js';
import { SOCK_CLOEXEC, SOCK_NONBLOCK, type RawSocket } from './rawsocket.js';
import { Readiness } from './readiness.js';

const { EINTR, ENOMEM, ENFILE, EMFILE, ECONNABORTED, ENOBUFS } = constants.errno;
const { O_NONBLOCK } = fsConstants;
const RETRY_MS = 250;
const F_GETFL = 3;
const F_SETFL = 4;

export class Acceptor {
  private readonly ready = new Readiness();
  private starved = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  /** raw: a listening socket of ours (rawListen); onSocket: each connection. */
  constructor(
    readonly raw: RawSocket,
    private readonly onSocket: (s: net.Socket) => void,
    private readonly o: {
      /** where running out of descriptors, and back, is said once each way */
      log: (line: string) => void;
      /** who says it ("dk syslogd", "dk inetd: echo/tcp") and of which clients ("tcp clients") */
      who: string;
      clients?: string;
      /** each socket starts paused (net.Server's pauseOnConnect): bytes stay in the kernel for a server that inherits it */
      paused?: boolean;
    },
  ) {
    // the loop takes connections until EAGAIN: a blocking accept would stop the whole process
    const c = loadLibc();
    c.fcntl(raw.fd, F_SETFL, 'int', c.fcntl(raw.fd, F_GETFL, 'int', 0) | O_NONBLOCK);
    this.arm();
  }

  private arm(): void {
    if (!this.closed) this.ready.watch(this.raw.fd, () => this.drain());
  }

  /** Takes every connection that waits; out of descriptors, leaves the rest waiting and tries again later. */
  private drain(): void {
    const c = loadLibc();
    for (;;) {
      if (this.closed) return;
      const fd = c.accept4(this.raw.fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        if (this.starved) {
          this.starved = false;
          this.o.log(`${this.o.who}: descriptors free again: accepting ${this.o.clients ?? 'clients'}`);
        }
        // pauseOnCreate is the option net.Server itself passes for pauseOnConnect
        const s = new net.Socket({ fd, readable: true, writable: true, ...(this.o.paused ? { pauseOnCreate: true } : {}) } as net.SocketConstructorOpts);
        // a closed connection is a descriptor free again
        s.once('close', () => this.freed());
        this.onSocket(s);
        continue;
      }
      const e = c.errno();
      if (e === EINTR || e === ECONNABORTED) continue;
      if (e === EMFILE || e === ENFILE || e === ENOBUFS || e === ENOMEM) {
        if (!this.starved) {
          this.starved = true;
          this.o.log(`${this.o.who}: out of file descriptors: new ${this.o.clients ?? 'clients'} wait in the backlog until one frees`);
        }
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.drain(), RETRY_MS);
        return;
      }
      // EAGAIN: nothing waits any more
      break;
    }
    this.arm();
  }

  private freed(): void {
    if (!this.starved || this.closed) return;
    clearTimeout(this.retry);
    this.drain();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    this.ready.close();
    loadLibc().close(this.raw.fd);
  }
}
