/**
 * Where messages go. Every output takes lines in batches; files are written
 * once per batch (and fdatasync'ed unless the rule said "-"), forwarders keep
 * a bounded queue while the peer is away and reconnect.
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Action } from '../config/conf.js';
import type { Received } from './lines.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TcpForward } from '../forward/tcpforward.js';
import { PgOutput } from './pgoutput.js';
import { StoreOutput, type StoreOptions } from './storeoutput.js';
import { failure, type Failure } from './failure.js';
import { HOLD_MAX, Hold, passing } from './hold.js';

export interface Output {
  readonly name: string;
  written: number;
  dropped: number;
  /** messages waiting for a peer or a database, for outputs that queue */
  readonly queued?: number;
  /** bytes of the queue kept on disk, for outputs with a disk queue */
  readonly diskBytes?: number;
  /** parts of disk-queue segments found damaged at start and set aside */
  readonly damaged?: number;
  /** failed deliveries retried, for outputs that retry */
  retries?: number;
  /** the last failure (open, write, connect, insert), for status */
  readonly lastError?: Failure;
  /** messages the peer said it has written, for forwarders to a dk syslogd (acknowledgements) */
  readonly acknowledged?: number;
  write(lines: string[], raw: string[]): void;
  /** reopen files (SIGHUP, logrotate) */
  reopen(): void;
  /**
   * Bytes accepted but not yet handed to the kernel and that will be sent
   * once the peer reads: the daemon stops reading its inputs while this is
   * high. Outputs that write synchronously have none.
   */
  backlog?(): number;
  /** set by the daemon: called when the backlog went down */
  onRelief?: () => void;
  /** whole lines as bytes (newline-terminated), for outputs that can take them so */
  writeBytes?(buf: Buffer, count: number): void;
  /** whole messages, for stores: these get every message (no repeat folding) */
  writeRecords?(recs: Received[]): void;
  /** holds so much it cannot wait for: the daemon stops reading the inputs that can wait */
  full?(): boolean;
  /** everything accepted is on its way or on disk */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A file: each batch is one write (fdatasync'ed unless the rule said "-").
 * While the disk refuses writes the lines wait in memory (see hold.ts); a
 * write cut short by a full disk leaves no torn line: the part of a line
 * that got in is cut off the file again and waits with the rest.
 */
/**
 * How outputs open files, ttys and pipes: directly, or (dk syslogd --user)
 * by asking the privileged part, which opens by name what the
 * configuration names and hands the descriptor back.
 */
export type Opener = (path: string, flags: number, mode: number) => number;
let opener: Opener = (path, flags, mode) => fs.openSync(path, flags, mode);
export function setOpener(o: Opener): void {
  opener = o;
}
const { O_WRONLY, O_APPEND, O_CREAT, O_NONBLOCK, O_NOCTTY } = fs.constants;

/** An output that may hold what it accepted (a file on a full disk, a store): acknowledgements wait for its commits. */
export interface Settling {
  /** times everything it held got written: what it held before one is written after it */
  readonly commits: number;
  /** messages it holds now */
  readonly uncommitted: number;
  onCommit?: () => void;
}

export const isSettling = (o: Output | undefined): o is Output & Settling => !!o && 'commits' in o && 'uncommitted' in o;

export class FileOutput implements Output, Settling {
  written = 0;
  dropped = 0;
  lastError: Failure | undefined;
  /** times the lines that waited were all written: what waited before one has been written after it */
  commits = 0;
  onCommit?: () => void;
  onRelief?: () => void;
  private fd: number | undefined;
  private openError: unknown;
  private held: Buffer[] = [];
  private heldCounts: number[] = [];
  private heldBytes = 0;
  private heldLines = 0;
  private readonly hold: Hold;
  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly sync: boolean,
    private readonly mode = 0o640,
    private readonly uid?: number,
    private readonly gid?: number,
    o: { log?: (line: string) => void; holdMax?: number } = {},
  ) {
    this.hold = new Hold(name, o.holdMax ?? HOLD_MAX, () => this.retry(), o.log);
    this.open();
  }
  private open(): void {
    const fresh = !fs.existsSync(this.path);
    try {
      this.fd = opener(this.path, O_WRONLY | O_APPEND | O_CREAT, this.mode);
      this.openError = undefined;
    } catch (e) {
      // unwritable: counted as dropped until a reopen works (or held, if the disk is what refuses)
      this.fd = undefined;
      this.openError = e;
      this.lastError = failure(e);
      return;
    }
    // as rsyslog: owner and group are given to files we create, existing ones are left alone
    if (fresh && (this.uid !== undefined || this.gid !== undefined)) {
      try {
        fs.fchownSync(this.fd, this.uid ?? -1, this.gid ?? -1);
      } catch {
        // not privileged: the file stays ours, and is written all the same
      }
    }
  }
  get queued(): number | undefined {
    return this.heldLines || undefined;
  }
  get uncommitted(): number {
    return this.heldLines;
  }
  full(): boolean {
    return this.hold.full(this.heldBytes);
  }
  write(lines: string[]): void {
    this.writeBytes(Buffer.from(`${lines.join('\n')}\n`), lines.length);
  }
  writeBytes(buf: Buffer, count: number): void {
    if (this.heldLines) return this.keep(buf, count);
    const left = this.put(buf, count);
    if (left) this.keep(left.buf, left.count);
  }
  /** Writes whole lines; returns what the disk refused for now (undefined: all written, or dropped for good). */
  private put(buf: Buffer, count: number): { buf: Buffer; count: number } | undefined {
    if (this.fd === undefined) this.open();
    if (this.fd === undefined) {
      if (passing(this.openError)) {
        this.hold.failed(this.openError);
        return { buf, count };
      }
      this.dropped += count;
      return undefined;
    }
    let off = 0;
    try {
      while (off < buf.length) off += fs.writeSync(this.fd, buf, off);
    } catch (e) {
      this.lastError = failure(e);
      const whole = off ? buf.lastIndexOf(0x0a, off - 1) + 1 : 0;
      if (off > whole) {
        try {
          fs.ftruncateSync(this.fd, fs.fstatSync(this.fd).size - (off - whole));
        } catch {
          // the torn line stays; its whole copy follows when the disk takes writes
        }
      }
      const done = lineCount(buf, whole);
      this.written += done;
      if (!passing(e)) {
        this.dropped += count - done;
        return undefined;
      }
      this.hold.failed(e);
      return { buf: buf.subarray(whole), count: count - done };
    }
    this.written += count;
    if (this.sync) {
      try {
        fs.fdatasyncSync(this.fd);
      } catch (e) {
        this.lastError = failure(e);
      }
    }
    return undefined;
  }
  private keep(buf: Buffer, count: number): void {
    if (this.heldBytes + buf.length > this.hold.maxBytes) {
      this.dropped += count;
      this.hold.refuse(count);
      return;
    }
    // a copy: the daemon's line buffer is reused for the next batch
    this.held.push(Buffer.from(buf));
    this.heldCounts.push(count);
    this.heldBytes += buf.length;
    this.heldLines += count;
  }
  /** The lines that waited, oldest first; stops at the first refusal. */
  private retry(): void {
    const before = this.heldLines;
    while (this.held.length) {
      const buf = this.held[0];
      const left = this.put(buf, this.heldCounts[0]);
      if (left) {
        this.heldBytes -= buf.length - left.buf.length;
        this.heldLines -= this.heldCounts[0] - left.count;
        this.held[0] = left.buf;
        this.heldCounts[0] = left.count;
        return;
      }
      this.heldBytes -= buf.length;
      this.heldLines -= this.heldCounts[0];
      this.held.shift();
      this.heldCounts.shift();
    }
    this.hold.resumed(before);
    this.commits++;
    this.onCommit?.();
    this.onRelief?.();
  }
  reopen(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.open();
  }
  async flush(): Promise<void> {
    if (this.heldLines) this.retry();
    if (this.fd !== undefined) fs.fdatasyncSync(this.fd);
  }
  async close(): Promise<void> {
    if (this.heldLines) this.retry();
    this.hold.stop();
    if (this.heldLines) {
      this.dropped += this.heldLines;
      this.hold.log(`dk syslogd: ${this.name}: ${this.heldLines} messages not written at shutdown (${this.lastError?.message})`);
    }
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** newlines in buf before end */
function lineCount(buf: Buffer, end: number): number {
  let n = 0;
  for (let p = buf.indexOf(0x0a); p >= 0 && p < end; p = buf.indexOf(0x0a, p + 1)) n++;
  return n;
}

/** @host: one datagram per message, the raw line as received or re-formatted. */
export class UdpOutput implements Output {
  written = 0;
  dropped = 0;
  private readonly sock: dgram.Socket;
  constructor(
    readonly name: string,
    private readonly host: string,
    private readonly port: number,
  ) {
    this.sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    this.sock.on('error', () => {});
  }
  write(_lines: string[], raw: string[]): void {
    for (const r of raw) {
      this.sock.send(r, this.port, this.host, (e) => (e ? this.dropped++ : this.written++));
    }
  }
  reopen(): void {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    await new Promise<void>((r) => this.sock.close(() => r()));
  }
}

/** |fifo and terminals: written only if someone reads, never blocking the daemon. */
export class DeviceOutput implements Output {
  written = 0;
  dropped = 0;
  constructor(
    readonly name: string,
    private readonly paths: () => string[],
  ) {}
  write(lines: string[]): void {
    const text = Buffer.from(`${lines.join('\r\n')}\r\n`);
    for (const p of this.paths()) {
      let fd: number | undefined;
      try {
        fd = opener(p, O_WRONLY | O_NONBLOCK | O_NOCTTY, 0);
        fs.writeSync(fd, text);
        this.written += lines.length;
      } catch {
        this.dropped += lines.length;
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    }
  }
  reopen(): void {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Logged-in users' terminals from utmp (USER_PROCESS records). */
export function userTerminals(users: string[] | 'all', utmpPath = '/run/utmp'): string[] {
  let b: Buffer;
  try {
    b = fs.readFileSync(utmpPath);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (let o = 0; o + 384 <= b.length; o += 384) {
    if (b.readInt16LE(o) !== 7) continue;
    const line = b.toString('latin1', o + 8, o + 40).replace(/\0.*$/, '');
    const user = b.toString('latin1', o + 44, o + 76).replace(/\0.*$/, '');
    if (users === 'all' || users.includes(user)) out.push(`/dev/${line}`);
  }
  return out;
}

export function makeOutput(a: Action, name: string, store: StoreOptions): Output | undefined {
  switch (a.kind) {
    // /dev/console and ttys: opened per write without becoming our controlling terminal, never blocking
    case 'file':
      return a.path.startsWith('/dev/')
        ? new DeviceOutput(name, () => [a.path])
        : new FileOutput(name, a.path, a.sync, a.mode, a.uid, a.gid, { log: store.log, holdMax: store.holdMax });
    case 'udp':
      return new UdpOutput(name, a.host, a.port);
    case 'tcp':
      return new TcpForward(name, a.host, a.port, {
        queueDir: store.stateDir ? join(store.stateDir, 'queues', `${a.host}_${a.port}`.replace(/[^\w.-]/g, '_')) : undefined,
        log: store.log,
        tls: a.tls ? (store.tls ?? {}) : undefined,
        memBytes: store.queueMem,
        maxBytes: store.queueMax,
        holdMax: store.holdMax,
      });
    case 'pipe':
      return new DeviceOutput(name, () => [a.path]);
    case 'users':
      return new DeviceOutput(name, () => userTerminals(a.users));
    case 'wall':
      return new DeviceOutput(name, () => userTerminals('all'));
    case 'sqlite':
      return new StoreOutput(name, a.path ?? store.defaultPath, store);
    case 'pgsql':
      return new PgOutput(name, a.url, store.log, {
        queueDir: store.stateDir ? join(store.stateDir, 'queues', `pgsql-${createHash('sha256').update(a.url).digest('hex').slice(0, 12)}`) : undefined,
        memBytes: store.queueMem,
        maxBytes: store.queueMax,
        holdMax: store.holdMax,
      });
    case 'discard':
      return undefined;
  }
}
