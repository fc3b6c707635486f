/**
 * Live data over one WebSocket per page: the page says what it shows
 * ({"sub": "processes"}, "overview", "services", "network", or "logs" with
 * its filters) and gets pushes; nothing is read for a topic no open page
 * shows. Processes go out as deltas (changed rows, gone PIDs) once a
 * second. The upgrade needs the session cookie and the console's origin.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { follow, openReader, type LogReader } from '../../logstore/reader.js';
import type { Daemons } from './daemons.js';
import { cookies, logRow, ownOrigin } from './http.js';
import { parseLogQuery } from './logquery.js';
import { RowDelta, type ProcessTable } from './processes.js';
import type { Sampler } from './sampler.js';
import { SESSION_COOKIE, type Sessions } from './sessions.js';

export interface HubContext {
  sessions: Sessions;
  sampler: Sampler;
  table: ProcessTable;
  daemons: Daemons;
  secure: boolean;
  log(line: string): void;
}

type Topic = 'processes' | 'overview' | 'services' | 'network' | 'logs';

interface Client {
  ws: WebSocket;
  topics: Set<Topic>;
  rows: RowDelta;
  /** the last services/network status sent, to push only changes */
  last: Map<Topic, string>;
  stopLogs?: () => void;
}

const MAX_MESSAGE = 16 * 1024;

export class Hub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  private readonly clients = new Set<Client>();
  private timer: NodeJS.Timeout | undefined;
  private readonly offPoint: () => void;
  private busy = false;

  constructor(private readonly ctx: HubContext) {
    this.offPoint = ctx.sampler.onPoint((p) => this.send('overview', { topic: 'overview', point: p }));
  }

  /** Takes the upgrades for /api/live from an HTTP server; refuses those without a session or from elsewhere. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const refuse = (status: string) => {
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      };
      if ((req.url ?? '').split('?')[0] !== '/api/live') return refuse('404 Not Found');
      if (req.headers.origin !== ownOrigin(req, this.ctx.secure)) return refuse('403 Forbidden');
      const s = this.ctx.sessions.get(cookies(req.headers.cookie).get(SESSION_COOKIE));
      if (!s) return refuse('401 Unauthorized');
      this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws));
    });
  }

  private open(ws: WebSocket): void {
    const c: Client = { ws, topics: new Set(), rows: new RowDelta(), last: new Map() };
    this.clients.add(c);
    ws.on('message', (data) => this.message(c, data.toString()));
    ws.on('close', () => {
      c.stopLogs?.();
      this.clients.delete(c);
      this.schedule();
    });
    ws.on('error', () => {});
  }

  private message(c: Client, text: string): void {
    let m: { sub?: string; unsub?: string; query?: Record<string, string> };
    try {
      m = JSON.parse(text);
    } catch {
      return this.reply(c, { error: 'not JSON' });
    }
    const topic = (m.sub ?? m.unsub) as Topic;
    if (!['processes', 'overview', 'services', 'network', 'logs'].includes(topic)) return this.reply(c, { error: `no topic '${String(topic)}'` });
    if (m.unsub) {
      c.topics.delete(topic);
      if (topic === 'logs') c.stopLogs?.();
      if (topic === 'processes') c.rows = new RowDelta();
      c.last.delete(topic);
      return this.schedule();
    }
    c.topics.add(topic);
    if (topic === 'overview') this.reply(c, { topic: 'overview', history: this.ctx.sampler.history() });
    if (topic === 'logs') void this.followLogs(c, m.query ?? {});
    this.schedule();
    void this.tick();
  }

  private reply(c: Client, msg: object): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(msg));
  }

  private send(topic: Topic, msg: object): void {
    const text = JSON.stringify(msg);
    for (const c of this.clients) if (c.topics.has(topic) && c.ws.readyState === c.ws.OPEN) c.ws.send(text);
  }

  /** The 1 s tick runs only while some page shows processes, services or network. */
  private schedule(): void {
    const wanted = [...this.clients].some((c) => c.topics.has('processes') || c.topics.has('services') || c.topics.has('network'));
    if (wanted && !this.timer) {
      this.timer = setInterval(() => void this.tick(), 1000);
      this.timer.unref();
    } else if (!wanted && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const watching = (t: Topic) => [...this.clients].filter((c) => c.topics.has(t));
      const procs = watching('processes');
      if (procs.length) {
        const rows = this.ctx.table.sample();
        for (const c of procs) this.reply(c, { topic: 'processes', ...c.rows.delta(rows) });
      }
      const svc = watching('services');
      const net = watching('network');
      if (svc.length || net.length) {
        const all = await this.ctx.daemons.statuses();
        const init = all.find((f) => f.status.name === 'init')?.status;
        const services = init
          ? { target: (init.detail as { target?: string }).target, units: (init.detail as { units: unknown[] }).units }
          : { error: 'no dk init answers' };
        const pick = (n: string) => all.find((f) => f.status.name === n)?.status;
        const network = { inetd: pick('inetd'), rpcbind: pick('rpcbind'), syslogd: pick('syslogd') };
        for (const [topic, list, msg] of [
          ['services', svc, services],
          ['network', net, network],
        ] as const) {
          const text = JSON.stringify({ topic, ...msg });
          for (const c of list) {
            if (c.last.get(topic) === text) continue;
            c.last.set(topic, text);
            c.ws.send(text);
          }
        }
      }
    } catch (e) {
      this.ctx.log(`dk console: live update: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private async followLogs(c: Client, query: Record<string, string>): Promise<void> {
    c.stopLogs?.();
    const q = parseLogQuery(query);
    if (typeof q === 'string') return this.reply(c, { topic: 'logs', error: q });
    const db = await this.ctx.daemons.store();
    if (!db) return this.reply(c, { topic: 'logs', error: 'no log store' });
    let store: LogReader;
    try {
      store = await openReader(db);
    } catch (e) {
      return this.reply(c, { topic: 'logs', error: (e as Error).message });
    }
    const keep = q.grep ? (r: { msg: string }) => q.grep!.test(r.msg) : undefined;
    const { limit: _l, newestFirst: _n, before: _b, ...filter } = q.filter;
    const stop = follow(store, filter, await store.maxId(), (rows) => this.reply(c, { topic: 'logs', rows: rows.map(logRow) }), keep, 200);
    c.stopLogs = () => {
      stop();
      void store.close();
      c.stopLogs = undefined;
    };
  }

  close(): void {
    this.offPoint();
    if (this.timer) clearInterval(this.timer);
    for (const c of this.clients) {
      c.stopLogs?.();
      c.ws.terminate();
    }
    this.wss.close();
  }
}
