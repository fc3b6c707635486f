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

export interface Output {
  readonly name: string;
  written: number;
  dropped: number;
  /** messages waiting for a peer or a database, for outputs that queue */
  readonly queued?: number;
  /** bytes of the queue kept on disk, for outputs with a disk queue */
  readonly diskBytes?: number;
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
  /** everything accepted is on its way or on disk */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class FileOutput implements Output {
  written = 0;
  dropped = 0;
  lastError: Failure | undefined;
  private fd: number | undefined;
  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly sync: boolean,
    private readonly mode = 0o640,
    private readonly uid?: number,
    private readonly gid?: number,
  ) {
    this.open();
  }
  private open(): void {
    const fresh = !fs.existsSync(this.path);
    try {
      this.fd = fs.openSync(this.path, 'a', this.mode);
    } catch (e) {
      // unwritable: counted as dropped until a reopen works
      this.fd = undefined;
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
  write(lines: string[]): void {
    this.writeBytes(Buffer.from(`${lines.join('\n')}\n`), lines.length);
  }
  writeBytes(buf: Buffer, count: number): void {
    if (this.fd === undefined) this.open();
    if (this.fd === undefined) {
      this.dropped += count;
      return;
    }
    let off = 0;
    try {
      while (off < buf.length) off += fs.writeSync(this.fd, buf, off);
      if (this.sync) fs.fdatasyncSync(this.fd);
      this.written += count;
    } catch (e) {
      this.dropped += count;
      this.lastError = failure(e);
    }
  }
  reopen(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.open();
  }
  async flush(): Promise<void> {
    if (this.fd !== undefined) fs.fdatasyncSync(this.fd);
  }
  async close(): Promise<void> {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
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
        fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
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
      return a.path.startsWith('/dev/') ? new DeviceOutput(name, () => [a.path]) : new FileOutput(name, a.path, a.sync, a.mode, a.uid, a.gid);
    case 'udp':
      return new UdpOutput(name, a.host, a.port);
    case 'tcp':
      return new TcpForward(name, a.host, a.port, {
        queueDir: store.stateDir ? join(store.stateDir, 'queues', `${a.host}_${a.port}`.replace(/[^\w.-]/g, '_')) : undefined,
        log: store.log,
        tls: a.tls ? (store.tls ?? {}) : undefined,
        memBytes: store.queueMem,
        maxBytes: store.queueMax,
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
      });
    case 'discard':
      return undefined;
  }
}
