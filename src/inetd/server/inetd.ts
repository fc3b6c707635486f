/**
 * The super-server: one listener per enabled service; a connection is
 * checked (TCP wrappers, only_from/no_access, limits per source), then
 * answered by an internal service or handed to a spawned server on fds
 * 0, 1, 2 with the configured user, group and arguments. Reload keeps the
 * listeners of unchanged services open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { basename } from 'node:path';
import { nameCache } from '../../proc/users.js';
import { hostsAccess, matchClient, type WrapperRule } from '../access/tcpwrappers.js';
import type { ServiceConfig } from '../config/service.js';
import { chargenBlock, chargenLine, daytime, timeBytes, udpReplyAllowed } from '../internal/protocols.js';
import { Limits } from './limits.js';
import type { ConnLogger } from './connlog.js';

export interface InetdOptions {
  wrappers: { allow: WrapperRule[]; deny: WrapperRule[] };
  /** daemon messages (listening, closed, errors) */
  log(line: string): void;
  /** connection events (START, EXIT, FAIL) */
  events: ConnLogger;
}

interface Listener {
  key: string;
  svc: ServiceConfig;
  server?: net.Server;
  udp?: dgram.Socket;
  limits: Limits;
  address?: string;
}

/** What makes two configurations of a service share a listening socket. */
const listenKey = (s: ServiceConfig): string => `${s.protocol} ${s.socketType} ${s.bind ?? '*'} ${s.port === 0 ? `0 ${s.id}` : (s.port ?? s.path)}`;

export class Inetd {
  private listeners = new Map<string, Listener>();
  private readonly children = new Set<ChildProcess>();
  private readonly internalPorts = new Set<number>([7, 9, 13, 19, 37]);
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private o: InetdOptions) {}

  /** Opens what is new, closes what is gone, keeps (and updates) what stays. */
  async apply(services: ServiceConfig[], wrappers = this.o.wrappers): Promise<void> {
    this.o = { ...this.o, wrappers };
    const wanted = new Map(services.filter((s) => !s.disabled).map((s) => [listenKey(s), s]));
    for (const [key, l] of this.listeners) {
      const next = wanted.get(key);
      if (next) {
        l.svc = next;
        l.limits.update(next);
      } else {
        l.server?.close();
        l.udp?.close();
        this.listeners.delete(key);
        this.o.log(`dk inetd: ${l.svc.id} closed`);
      }
    }
    for (const [key, svc] of wanted) {
      if (this.listeners.has(key)) continue;
      try {
        await this.open(key, svc);
      } catch (e) {
        this.o.log(`dk inetd: ${svc.file}:${svc.line}: ${svc.id}: cannot listen: ${(e as Error).message}`);
      }
    }
    this.sweeper ??= setInterval(() => {
      for (const l of this.listeners.values()) l.limits.sweep();
    }, 10_000);
    this.sweeper.unref();
  }

  private async open(key: string, svc: ServiceConfig): Promise<void> {
    const l: Listener = { key, svc, limits: new Limits(svc) };
    const v6 = /6$/.test(svc.protocol) || svc.protocol.endsWith('46');
    const host = svc.bind ?? (v6 ? '::' : '0.0.0.0');
    if (svc.socketType === 'dgram') {
      if (!svc.internal) throw new Error('datagram services other than internal ones (wait mode) are not supported yet');
      const s = dgram.createSocket({ type: net.isIPv6(host) || (!svc.bind && v6) ? 'udp6' : 'udp4', ipv6Only: svc.protocol === 'udp6' });
      s.on('message', (m, r) => this.datagram(l, s, m, r));
      s.on('error', (e) => this.o.log(`dk inetd: ${svc.id}: ${e.message}`));
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.bind(svc.port ?? 0, host, () => res());
      });
      l.udp = s;
      l.address = `${s.address().address}:${s.address().port}`;
      this.internalPorts.add(s.address().port);
    } else {
      if (svc.wait && !svc.internal) throw new Error('wait-mode stream services are not supported yet');
      // paused: a spawned server must get every byte the client sent
      const server = net.createServer({ pauseOnConnect: true }, (c) => this.connection(l, c));
      server.on('error', (e) => this.o.log(`dk inetd: ${svc.id}: ${e.message}`));
      await new Promise<void>((res, rej) => {
        server.once('error', rej);
        if (svc.protocol === 'unix') {
          try {
            if (fs.lstatSync(svc.path!).isSocket()) fs.rmSync(svc.path!);
          } catch {
            // nothing there
          }
          server.listen(svc.path!, () => res());
        } else server.listen({ port: svc.port ?? 0, host, ipv6Only: svc.protocol === 'tcp6' }, () => res());
      });
      l.server = server;
      const a = server.address();
      l.address = typeof a === 'string' ? a : `${a?.address}:${a?.port}`;
      if (svc.internal && typeof a !== 'string' && a) this.internalPorts.add(a.port);
    }
    this.listeners.set(key, l);
    this.o.log(`dk inetd: ${svc.id} listening on ${svc.protocol} ${l.address}`);
  }

  /** Access: TCP wrappers under the server's name (or the service's), then xinetd's lists. */
  private refused(svc: ServiceConfig, addr: string): string | undefined {
    const daemon = svc.server ? basename(svc.args[0] ?? svc.server) : svc.name;
    const w = hostsAccess(this.o.wrappers.allow, this.o.wrappers.deny, daemon, { addr });
    if (!w.allowed) return `denied by ${w.rule ? `${w.rule.file}:${w.rule.line}` : 'TCP wrappers'}`;
    if (svc.onlyFrom?.length && !svc.onlyFrom.some((p) => matchClient(xinetdPattern(p), { addr }))) return 'not in only_from';
    if (svc.noAccess?.some((p) => matchClient(xinetdPattern(p), { addr }))) return 'in no_access';
    return undefined;
  }

  private connection(l: Listener, c: net.Socket): void {
    const svc = l.svc;
    const addr = (c.remoteAddress ?? 'local').replace(/^::ffff:/, '');
    c.on('error', () => {});
    const why = this.refused(svc, addr);
    if (why) {
      this.o.events.log({ kind: 'fail', svc, reason: why, host: addr });
      c.destroy();
      return;
    }
    const v = l.limits.begin(addr);
    if (!v.ok) {
      this.o.events.log({ kind: 'fail', svc, reason: v.reason, host: addr });
      c.destroy();
      return;
    }
    const done = once(() => l.limits.end(addr));
    if (svc.internal) return this.internalStream(svc.internal, c, done);
    this.spawnServer(svc, c, addr, done);
  }

  private internalStream(name: string, c: net.Socket, done: () => void): void {
    c.on('close', done);
    c.resume();
    switch (name) {
      case 'echo':
        c.pipe(c);
        return;
      case 'discard':
        c.on('data', () => {});
        return;
      case 'daytime':
        c.end(daytime(new Date()));
        return;
      case 'time':
        c.end(timeBytes(Date.now()));
        return;
      case 'chargen': {
        let n = 0;
        c.on('data', () => {});
        const pump = () => {
          while (!c.destroyed && c.write(chargenBlock(n, 64))) n += 64;
          n += 64;
        };
        c.on('drain', pump);
        pump();
        return;
      }
      default:
        c.end(`${[...this.listeners.values()].map((l) => `${l.svc.id} ${l.address}`).join('\r\n')}\r\n`);
    }
  }

  private datagram(l: Listener, s: dgram.Socket, m: Buffer, r: dgram.RemoteInfo): void {
    const svc = l.svc;
    const addr = r.address.replace(/^::ffff:/, '');
    if (!udpReplyAllowed(r.port, this.internalPorts) || this.refused(svc, addr)) return;
    const reply = (b: Buffer | string) => s.send(b, r.port, r.address);
    switch (svc.internal) {
      case 'echo':
        return reply(m);
      case 'daytime':
        return reply(daytime(new Date()));
      case 'time':
        return reply(timeBytes(Date.now()));
      case 'chargen':
        return reply(chargenLine(Math.floor(Math.random() * 95)));
      default:
        return undefined;
    }
  }

  private spawnServer(svc: ServiceConfig, c: net.Socket, addr: string, done: () => void): void {
    const names = nameCache();
    const uid = /^\d+$/.test(svc.user) ? Number(svc.user) : names.uidOf(svc.user);
    const gid = svc.group ? (/^\d+$/.test(svc.group) ? Number(svc.group) : names.gidOf(svc.group)) : uid !== undefined ? primaryGid(svc.user) : undefined;
    if (uid === undefined) {
      this.o.events.log({ kind: 'fail', svc, reason: `unknown user '${svc.user}'`, host: addr });
      c.destroy();
      return done();
    }
    const env: NodeJS.ProcessEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', REMOTE_HOST: addr, REMOTE_ADDR: addr };
    for (const k of svc.passenv ?? []) if (process.env[k] !== undefined) env[k] = process.env[k];
    for (const kv of svc.env ?? []) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const started = Date.now();
    let child: ChildProcess;
    try {
      child = spawn(svc.server!, svc.args.slice(1), {
        argv0: svc.args[0],
        stdio: [c, c, c],
        env,
        // only when we can: an unprivileged inetd runs servers as itself
        ...(process.getuid?.() === 0 ? { uid, gid } : {}),
      });
    } catch (e) {
      this.o.events.log({ kind: 'fail', svc, reason: `cannot start ${svc.server}: ${(e as Error).message}`, host: addr });
      c.destroy();
      return done();
    }
    // the child has its own copy of the connection now
    c.destroy();
    this.children.add(child);
    child.on('error', (e) => this.o.events.log({ kind: 'fail', svc, reason: `cannot start ${svc.server}: ${e.message}`, host: addr }));
    this.o.events.log({ kind: 'start', svc, pid: child.pid, host: addr });
    child.on('exit', (code, signal) => {
      this.children.delete(child);
      done();
      this.o.events.log({ kind: 'exit', svc, pid: child.pid, status: code, signal, durationMs: Date.now() - started });
    });
  }

  /** Listening addresses, for tests and the "services" internal service. */
  addresses(): Map<string, string> {
    return new Map([...this.listeners.values()].map((l) => [l.svc.id, l.address ?? '']));
  }

  /** Close the listeners; children get graceMs to finish, then SIGTERM. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const l of this.listeners.values()) {
      l.server?.close();
      l.udp?.close();
    }
    this.listeners.clear();
    const end = Date.now() + graceMs;
    while (this.children.size && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    for (const ch of this.children) ch.kill('SIGTERM');
  }
}

/** xinetd's only_from/no_access: a.b.c.0 means the network a.b.c.0/24, as xinetd reads it. */
function xinetdPattern(p: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.0$/.exec(p);
  if (m) return m[3] === '0' ? (m[2] === '0' ? `${m[1]}.` : `${m[1]}.${m[2]}.`) : `${m[1]}.${m[2]}.${m[3]}.`;
  if (/^[0-9a-f:]+(\/\d+)?$/i.test(p) && p.includes(':')) return `[${p.replace(/\/.*/, '')}]${p.includes('/') ? p.slice(p.indexOf('/')) : ''}`;
  if (p.toLowerCase() === 'localhost') return '127.0.0.1';
  return p;
}

function primaryGid(user: string): number | undefined {
  try {
    const line = fs.readFileSync('/etc/passwd', 'latin1').split('\n').find((l) => l.startsWith(`${user}:`));
    return line ? Number(line.split(':')[3]) : undefined;
  } catch {
    return undefined;
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}
