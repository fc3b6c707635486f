/**
 * RFC 1413 identification, for xinetd's log_on_success/log_on_failure
 * USERID: ask the client host's identd which user owns the connection.
 * The query names the connection by the client's port, then ours; the
 * answer is "ports : USERID : opsys : user" or "ports : ERROR : reason".
 */
import * as net from 'node:net';

export type IdentAnswer = { user: string; os: string } | { error: string };

export const identQuery = (remotePort: number, localPort: number): string => `${remotePort} , ${localPort}\r\n`;

/** The answer to our query, or undefined when the line is not one (or is for other ports). */
export function parseIdentReply(line: string, remotePort: number, localPort: number): IdentAnswer | undefined {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*:\s*(USERID|ERROR)\s*:\s*([^\r\n]*?)\s*$/i.exec(line.replace(/\r?\n$/, ''));
  if (!m || Number(m[1]) !== remotePort || Number(m[2]) !== localPort) return undefined;
  if (m[3].toUpperCase() === 'ERROR') return { error: m[4] || 'UNKNOWN-ERROR' };
  // "opsys[,charset] : user"; the user id may itself contain colons
  const colon = m[4].indexOf(':');
  if (colon < 0) return undefined;
  const user = m[4].slice(colon + 1).trim();
  return user ? { user, os: m[4].slice(0, colon).split(',')[0].trim() } : undefined;
}

/** Asks, with a bound on the time and on the answer's size; undefined when no answer came. */
export function ident(host: string, remotePort: number, localPort: number, o: { port?: number; timeoutMs?: number } = {}): Promise<IdentAnswer | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(o.port ?? 113, host);
    let got = '';
    const finish = (a: IdentAnswer | undefined) => {
      s.destroy();
      resolve(a);
    };
    s.setTimeout(o.timeoutMs ?? 5000, () => finish(undefined));
    s.on('connect', () => s.write(identQuery(remotePort, localPort)));
    s.on('data', (b) => {
      got += b.toString('latin1');
      const nl = got.indexOf('\n');
      if (nl >= 0) finish(parseIdentReply(got.slice(0, nl + 1), remotePort, localPort));
      else if (got.length > 1000) finish(undefined);
    });
    s.on('error', () => finish(undefined));
    s.on('close', () => finish(got ? parseIdentReply(got, remotePort, localPort) : undefined));
  });
}
