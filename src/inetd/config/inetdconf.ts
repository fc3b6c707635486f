/**
 * Classic inetd.conf, one service per line:
 *   service socket-type protocol wait|nowait[.max] user[:group|.group] server-path args...
 * "service" may be "addr:service" (openbsd-inetd); a line that is only
 * "addr:" sets the default address for the lines after it. server-path
 * "internal" is an internal service. Pure: every bad line is a problem with
 * file:line, and the rest still load.
 */
import { INTERNAL_SERVICES, type ConfigProblem, type ServiceConfig, type SocketType } from './service.js';
import type { ServicesTable } from './services.js';

const SOCKET_TYPES = ['stream', 'dgram', 'raw', 'seqpacket'];
const PROTOCOLS = ['tcp', 'udp', 'tcp4', 'udp4', 'tcp6', 'udp6', 'tcp46', 'udp46', 'unix'];

export interface ParsedInetd {
  services: ServiceConfig[];
  problems: ConfigProblem[];
}

export function parseInetdConf(text: string, file: string, services: ServicesTable): ParsedInetd {
  const out: ParsedInetd = { services: [], problems: [] };
  let defaultAddr: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i].replace(/\r$/, '');
    // continuation lines start with white space (openbsd-inetd) or the line ends with a backslash
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i].trim()}`;
    const problem = (reason: string) => out.problems.push({ file, line: lineNo, reason });
    const t = line.replace(/^\s*#.*/, '').trim();
    if (!t) continue;
    const f = t.split(/\s+/);
    if (f.length === 1 && f[0].endsWith(':')) {
      defaultAddr = f[0] === '*:' ? undefined : f[0].slice(0, -1);
      continue;
    }
    if (f.length < 6) {
      problem(`expected service socket-type protocol wait|nowait user server [args], found ${f.length} field${f.length === 1 ? '' : 's'}`);
      continue;
    }
    const [svc, sockType, protoRaw, waitField, userField, server, ...args] = f;
    if (!SOCKET_TYPES.includes(sockType)) {
      problem(`unknown socket type '${sockType}' (stream, dgram, raw, seqpacket)`);
      continue;
    }
    const protocol = protoRaw.toLowerCase().replace(/^rpc\//, '');
    if (!PROTOCOLS.includes(protocol)) {
      problem(`unknown protocol '${protoRaw}' (${PROTOCOLS.join(', ')})`);
      continue;
    }
    const wm = /^(wait|nowait)(?:\.(\d+))?$/.exec(waitField);
    if (!wm) {
      problem(`'${waitField}' is not wait, nowait or nowait.MAX`);
      continue;
    }
    const um = /^([^:.\s]+)(?:[:.]([^:.\s]+))?$/.exec(userField);
    if (!um) {
      problem(`bad user '${userField}' (user, user:group or user.group)`);
      continue;
    }
    let bind = defaultAddr;
    let name = svc;
    const colon = svc.lastIndexOf(':');
    if (protocol !== 'unix' && colon > 0) {
      bind = svc.slice(0, colon).replace(/^\[|\]$/g, '');
      name = svc.slice(colon + 1);
    }
    const base = protocol.replace(/[46]+$/, '');
    let port: number | undefined;
    let path: string | undefined;
    if (protocol === 'unix') path = svc;
    else {
      port = /^\d+$/.test(name) ? Number(name) : services.port(name, base);
      if (port === undefined || port > 65535) {
        problem(`unknown service '${name}/${base}' (not in the services file; a number is accepted too)`);
        continue;
      }
    }
    const internal = server === 'internal';
    if (internal && !INTERNAL_SERVICES.includes(name)) {
      problem(`'${name}' is not an internal service (${INTERNAL_SERVICES.join(', ')})`);
      continue;
    }
    if (!internal && !server.startsWith('/')) {
      problem(`server '${server}' must be an absolute path or 'internal'`);
      continue;
    }
    out.services.push({
      name,
      id: `${name}/${protocol}`,
      socketType: sockType as SocketType,
      protocol,
      bind,
      port,
      path,
      wait: wm[1] === 'wait',
      maxPerMinute: wm[2] !== undefined ? Number(wm[2]) : undefined,
      user: um[1],
      group: um[2],
      internal: internal ? name : undefined,
      server: internal ? undefined : server,
      args: internal ? [] : args.length ? args : [server],
      disabled: false,
      file,
      line: lineNo,
    });
  }
  return out;
}
