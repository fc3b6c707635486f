/**
 * dk initctl's protocol: one JSON request per line on a unix stream socket,
 * one JSON answer per line. Looking is open to every local user; changing
 * anything needs root or the uid dk init runs as (the socket's peer
 * credentials say who is asking, not the request).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { createInterface } from 'node:readline';
import { peerCred } from '../sys/peercred.js';
import { removeStaleSocket } from '../sys/stalesocket.js';

export interface Request {
  cmd: string;
  unit?: string;
}

export type Handler = (req: Request) => Promise<unknown>;

const READ_ONLY = new Set(['status', 'list']);

export function serveControl(path: string, handle: Handler, log: (line: string) => void): net.Server {
  removeStaleSocket(path);
  const srv = net.createServer((c) => {
    const uid = peerCred(c)?.uid;
    c.on('error', () => {});
    createInterface({ input: c }).on('line', (line) => {
      let req: Request;
      try {
        req = JSON.parse(line) as Request;
      } catch {
        c.write(`${JSON.stringify({ error: 'not a JSON request' })}\n`);
        return;
      }
      if (!READ_ONLY.has(req.cmd) && uid !== 0 && uid !== process.getuid?.()) {
        log(`dk init: ${req.cmd} ${req.unit ?? ''} refused for uid ${uid}`);
        c.write(`${JSON.stringify({ error: `permission denied: only root or uid ${process.getuid?.()} may ${req.cmd}` })}\n`);
        return;
      }
      handle(req).then(
        (r) => c.write(`${JSON.stringify(r)}\n`),
        (e: Error) => c.write(`${JSON.stringify({ error: e.message })}\n`),
      );
    });
  });
  srv.listen(path, () => fs.chmodSync(path, 0o666));
  return srv;
}

/** One request, one answer. */
export function ask(path: string, req: Request, timeoutMs = 600_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const c = net.connect(path);
    c.setTimeout(timeoutMs, () => c.destroy(new Error('no answer from dk init')));
    c.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `dk init is not listening on ${path}` : e.message)));
    c.on('connect', () => c.write(`${JSON.stringify(req)}\n`));
    createInterface({ input: c }).once('line', (line) => {
      c.destroy();
      resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}
