/**
 * Calling an RPC server: over UDP (one datagram, retried until the
 * timeout), TCP or a unix stream socket (record marking). Replies are
 * matched by xid; errors come back as values with a reason rpcinfo-like
 * tools can print.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { randomInt } from 'node:crypto';
import { decodeMessage, encodeCall, NULL_AUTH, type OpaqueAuth, type Reply } from './message.js';
import { encodeRecord, RecordDecoder } from './record.js';

export type Transport = { kind: 'udp' | 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface CallSpec {
  prog: number;
  vers: number;
  proc: number;
  args?: Buffer;
  cred?: OpaqueAuth;
}

/** system: a socket error, with strerror's words in detail */
export type CallResult = { reply: Reply } | { error: 'timeout' | 'refused' | 'garbled' | 'system'; detail?: string };

const STRERROR: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ENOENT: 'No such file or directory',
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  ECONNRESET: 'Connection reset by peer',
  EACCES: 'Permission denied',
  EADDRNOTAVAIL: 'Cannot assign requested address',
};

const socketError = (e: NodeJS.ErrnoException): CallResult =>
  e.code === 'ECONNREFUSED' || e.code === 'ENOENT'
    ? { error: 'refused', detail: STRERROR[e.code] }
    : { error: 'system', detail: STRERROR[e.code ?? ''] ?? e.message };

let nextXid = randomInt(1, 0x7fffffff);

export function rpcCall(t: Transport, spec: CallSpec, timeoutMs = 5000): Promise<CallResult> {
  const xid = nextXid++ >>> 0;
  const msg = encodeCall({
    xid,
    prog: spec.prog,
    vers: spec.vers,
    proc: spec.proc,
    cred: spec.cred ?? NULL_AUTH,
    verf: NULL_AUTH,
    args: spec.args ?? Buffer.alloc(0),
  });
  return t.kind === 'udp' ? udpCall(t.host, t.port, xid, msg, timeoutMs) : streamCall(t, xid, msg, timeoutMs);
}

function udpCall(host: string, port: number, xid: number, msg: Buffer, timeoutMs: number): Promise<CallResult> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (r: CallResult) => {
      if (done) return;
      done = true;
      clearInterval(retry);
      clearTimeout(timer);
      s.close();
      resolve(r);
    };
    s.on('message', (b) => {
      const m = decodeMessage(b);
      if ('error' in m) return;
      if (m.type === 'reply' && m.xid === xid) finish({ reply: m });
    });
    s.on('error', (e: NodeJS.ErrnoException) => finish(socketError(e)));
    const send = () => s.send(msg, port, host);
    // as clnt_udp does: resend now and then until the total timeout
    const retry = setInterval(send, Math.min(1000, timeoutMs));
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    s.connect(port, host, () => send());
  });
}

function streamCall(t: Transport, xid: number, msg: Buffer, timeoutMs: number): Promise<CallResult> {
  return new Promise((resolve) => {
    const s = t.kind === 'unix' ? net.connect(t.path) : net.connect((t as { port: number }).port, (t as { host: string }).host);
    const dec = new RecordDecoder();
    let done = false;
    const finish = (r: CallResult) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(r);
    };
    s.setTimeout(timeoutMs, () => finish({ error: 'timeout' }));
    s.on('connect', () => s.write(encodeRecord(msg)));
    s.on('data', (chunk) => {
      const recs = dec.push(chunk);
      if ('error' in recs) return finish({ error: 'garbled', detail: recs.error });
      for (const b of recs) {
        const m = decodeMessage(b);
        if (!('error' in m) && m.type === 'reply' && m.xid === xid) return finish({ reply: m });
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => finish(socketError(e)));
    s.on('close', () => finish({ error: 'garbled', detail: 'connection closed' }));
  });
}
