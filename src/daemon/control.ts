/**
 * The control protocol every dk daemon speaks (dk init's, generalised): one
 * JSON request per line on a unix stream socket, `{"cmd": VERB, ...}`, one
 * JSON answer per line. Reading (status and the verbs a daemon marks
 * read-only) is open to every local user; changing anything needs root or
 * the daemon's own uid. The kernel says who asks (SO_PEERCRED), not the
 * request, so a request cannot claim to be root.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { peerCred } from '../sys/peercred.js';
import { removeStaleSocket } from '../sys/stalesocket.js';

export interface Request {
  cmd: string;
  [arg: string]: unknown;
}

export interface Verb {
  /** false: anyone may ask; true: root or the daemon's uid only */
  changes: boolean;
  run(req: Request, peer: Peer): Promise<unknown> | unknown;
}

export interface Peer {
  pid?: number;
  uid?: number;
}

/** The answer to a request the daemon could not carry out. */
export interface ControlError {
  error: string;
}

/** A request line that is too long is not a request (and must not grow the daemon's memory). */
const MAX_LINE = 64 * 1024;

/**
 * Serves the verbs on a socket bound at path (mode 0666: the socket is for
 * every user; the directory it lives in decides who can reach it).
 */
export function serveControl(path: string, verbs: ReadonlyMap<string, Verb>, log: (line: string) => void, who = 'dk'): net.Server {
  removeStaleSocket(path);
  const srv = net.createServer((c) => {
    const peer: Peer = peerCred(c) ?? {};
    c.on('error', () => {});
    const answer = (r: unknown) => {
      if (!c.destroyed) c.write(`${JSON.stringify(r)}\n`);
    };
    // answers go out in the order of the requests, whatever each takes
    let turn: Promise<unknown> = Promise.resolve();
    let partial = '';
    c.setEncoding('utf8');
    c.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) turn = turn.then(() => handle(line.replace(/\r$/, '')));
      // a line that never ends is not a request, and must not grow the daemon's memory
      if (partial.length > MAX_LINE) {
        partial = '';
        c.removeAllListeners('data');
        turn = turn.then(() => {
          answer({ error: 'request too long' } satisfies ControlError);
          c.end();
        });
      }
    });
    const handle = (line: string): Promise<void> | void => {
      let req: Request;
      try {
        req = JSON.parse(line) as Request;
        if (typeof req?.cmd !== 'string') throw new Error();
      } catch {
        return answer({ error: 'not a JSON request: {"cmd": "status"}' } satisfies ControlError);
      }
      const verb = verbs.get(req.cmd);
      if (!verb) return answer({ error: `unknown command '${req.cmd}' (known: ${[...verbs.keys()].join(', ')})` } satisfies ControlError);
      if (verb.changes && !mayChange(peer)) {
        log(`${who}: ${req.cmd} refused for uid ${peer.uid ?? '?'} (pid ${peer.pid ?? '?'})`);
        return answer({ error: `permission denied: only root or uid ${process.getuid?.()} may ${req.cmd}` } satisfies ControlError);
      }
      return Promise.resolve()
        .then(() => verb.run(req, peer))
        .then(answer, (e: Error) => answer({ error: e.message } satisfies ControlError));
    };
  });
  srv.on('error', (e) => log(`${who}: control socket ${path}: ${e.message}`));
  // a path is bound by the time listen() returns: opened to its clients now, while the daemon is still root
  srv.listen(path);
  try {
    fs.chmodSync(path, 0o666);
  } catch (e) {
    log(`${who}: control socket ${path}: ${(e as Error).message}`);
  }
  return srv;
}

function mayChange(peer: Peer): boolean {
  return peer.uid === 0 || (peer.uid !== undefined && peer.uid === process.getuid?.());
}

/** One request, one answer. */
export function ask(path: string, req: Request, timeoutMs = 600_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const c = net.connect(path);
    let text = '';
    c.setEncoding('utf8');
    c.setTimeout(timeoutMs, () => c.destroy(new Error(`no answer on ${path}`)));
    c.on('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `nothing is listening on ${path}` : `${path}: ${e.message}`)),
    );
    c.on('connect', () => c.write(`${JSON.stringify(req)}\n`));
    c.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      c.destroy();
      try {
        resolve(JSON.parse(text.slice(0, nl)) as Record<string, unknown>);
      } catch {
        reject(new Error(`${path}: the answer is not JSON`));
      }
    });
    c.on('end', () => reject(new Error(`${path}: closed without an answer`)));
  });
}

/** Is a daemon answering on this socket path? (Before binding it: a live one is not ours to remove.) */
export function answering(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
