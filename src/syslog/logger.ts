/**
 * dk logger: util-linux logger's options and wire formats. Local socket
 * messages go as "<PRI>Mmm dd hh:mm:ss TAG[PID]: text" (what glibc sends);
 * network messages default to RFC 5424, or --rfc3164.
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { hostname, userInfo } from 'node:os';
import { UnixDatagramClient } from '../sys/unixdgram.js';
import { octetFrame } from './protocol/framing.js';
import type { StructuredElement, SyslogMessage } from './protocol/message.js';
import { facilityCode, severityCode } from './protocol/pri.js';
import { formatRfc3164 } from './protocol/rfc3164.js';
import { formatRfc5424 } from './protocol/rfc5424.js';

export interface LoggerIO {
  write(s: string): void;
  error(s: string): void;
  stdin(): Promise<string>;
}

export const LOGGER_HELP = `Usage: dk logger [options] [message]

  -p, --priority PRI     facility.level (default user.notice)
  -t, --tag TAG          tag (default: user name)
  -i                     log the logger's PID;  --id[=ID] log this PID
  -s, --stderr           also to stderr;  -e, --skip-empty  skip empty lines
  -f, --file FILE        log the lines of FILE
  -u, --socket PATH      local socket (default /dev/log)
  -n, --server HOST      send over the network;  -P, --port PORT (default 514)
  -T, --tcp  -d, --udp   transport;  --octet-count  RFC 6587 framing on TCP
  --rfc3164 | --rfc5424  wire format (network default: RFC 5424)
  --msgid ID  --sd-id ID  --sd-param 'name="value"'  --size BYTES
`;

class LoggerError extends Error {}

function priority(spec: string): [number, number] {
  const [f, l] = spec.includes('.') ? spec.split('.') : ['user', spec];
  if (/^\d+$/.test(spec)) return [Number(spec) >> 3, Number(spec) & 7];
  const fac = facilityCode(f);
  const sev = severityCode(l);
  if (fac === undefined) throw new LoggerError(`unknown facility name: ${f}`);
  if (sev === undefined) throw new LoggerError(`unknown priority name: ${l}`);
  return [fac, sev];
}

export async function runLogger(argv: string[], io: LoggerIO): Promise<number> {
  let fac = 1;
  let sev = 5;
  let tag: string | undefined;
  let pid: string | undefined;
  let toStderr = false;
  let skipEmpty = false;
  let file: string | undefined;
  let socketPath = '/dev/log';
  let server: string | undefined;
  let port = 514;
  let transport: 'tcp' | 'udp' | undefined;
  let format: 'rfc3164' | 'rfc5424' | undefined;
  let octet = false;
  let msgId: string | undefined;
  const sd: StructuredElement[] = [];
  let size = 1024;
  const words: string[] = [];
  try {
    for (let i = 0; i < argv.length; i++) {
      let a = argv[i];
      let inline: string | undefined;
      if (a.startsWith('--') && a.includes('=')) {
        inline = a.slice(a.indexOf('=') + 1);
        a = a.slice(0, a.indexOf('='));
      }
      const v = (): string => {
        if (inline !== undefined) return inline;
        const x = argv[++i];
        if (x === undefined) throw new LoggerError(`option requires an argument -- '${a}'`);
        return x;
      };
      switch (a) {
        case '-p':
        case '--priority':
          [fac, sev] = priority(v());
          break;
        case '-t':
        case '--tag':
          tag = v();
          break;
        case '-i':
          pid = String(process.pid);
          break;
        case '--id':
          pid = inline ?? String(process.pid);
          break;
        case '-s':
        case '--stderr':
          toStderr = true;
          break;
        case '-e':
        case '--skip-empty':
          skipEmpty = true;
          break;
        case '-f':
        case '--file':
          file = v();
          break;
        case '-u':
        case '--socket':
          socketPath = v();
          break;
        case '-n':
        case '--server':
          server = v();
          break;
        case '-P':
        case '--port':
          port = Number(v());
          break;
        case '-T':
        case '--tcp':
          transport = 'tcp';
          break;
        case '-d':
        case '--udp':
          transport = 'udp';
          break;
        case '--rfc3164':
          format = 'rfc3164';
          break;
        case '--rfc5424':
          format = 'rfc5424';
          if (inline === undefined) break;
          break;
        case '--octet-count':
          octet = true;
          break;
        case '--msgid':
          msgId = v();
          break;
        case '--sd-id':
          sd.push({ id: v(), params: [] });
          break;
        case '--sd-param': {
          const m = /^([^=]+)="(.*)"$/.exec(v());
          if (!m || !sd.length) throw new LoggerError('--sd-param needs --sd-id first and name="value"');
          sd[sd.length - 1].params.push([m[1], m[2]]);
          break;
        }
        case '--size':
          size = Number(v());
          break;
        case '-h':
        case '--help':
          io.write(LOGGER_HELP);
          return 0;
        case '--':
          words.push(...argv.slice(i + 1));
          i = argv.length;
          break;
        default:
          if (a.startsWith('-') && a !== '-') throw new LoggerError(`invalid option -- '${a.replace(/^-+/, '')}'`);
          words.push(a);
      }
    }
  } catch (e) {
    if (!(e instanceof LoggerError)) throw e;
    io.error(`dk logger: ${e.message}\n`);
    return 1;
  }
  tag ??= userInfo().username;
  const net5424 = server !== undefined && format !== 'rfc3164';
  const lines = words.length
    ? [words.join(' ')]
    : (file ? fs.readFileSync(file, 'utf8') : await io.stdin()).split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
  const send = sender(server, port, transport ?? 'udp', socketPath, octet || transport === 'tcp');
  let failed = false;
  for (const line of lines) {
    if (skipEmpty && line.trim() === '') continue;
    const m: SyslogMessage = {
      facility: fac,
      severity: sev,
      timestamp: new Date(),
      hostname: hostname().split('.')[0],
      app: tag,
      procId: pid,
      msgId,
      structuredData: sd,
      msg: line,
      format: net5424 || format === 'rfc5424' ? 'rfc5424' : 'rfc3164',
    };
    let wire = m.format === 'rfc5424' ? formatRfc5424(m) : formatRfc3164(m, { hostname: server !== undefined });
    if (Buffer.byteLength(wire) > size) wire = Buffer.from(wire).subarray(0, size).toString();
    if (toStderr) io.error(`${wire.replace(/^<\d+>/, '')}\n`);
    if (!(await send.send(wire))) failed = true;
  }
  await send.close();
  if (failed) {
    io.error(`dk logger: ${server ? `${server}:${port}` : socketPath}: could not send\n`);
    return 1;
  }
  return 0;
}

interface Sender {
  send(wire: string): Promise<boolean>;
  close(): Promise<void>;
}

function sender(server: string | undefined, port: number, proto: 'tcp' | 'udp', socketPath: string, framed: boolean): Sender {
  if (server === undefined) {
    const c = new UnixDatagramClient(socketPath);
    return { send: async (w) => c.send(Buffer.from(w), true), close: async () => c.close() };
  }
  if (proto === 'udp') {
    const s = dgram.createSocket(net.isIPv6(server) ? 'udp6' : 'udp4');
    return {
      send: (w) => new Promise((res) => s.send(w, port, server, (e) => res(!e))),
      close: () => new Promise((res) => s.close(() => res())),
    };
  }
  const sock = net.connect(port, server);
  let ok = true;
  sock.on('error', () => (ok = false));
  const ready = new Promise<void>((res) => {
    sock.once('connect', () => res());
    sock.once('error', () => res());
  });
  return {
    send: async (w) => {
      await ready;
      if (!ok) return false;
      sock.write(framed ? octetFrame(w) : `${w}\n`);
      return true;
    },
    close: () => new Promise((res) => (ok ? sock.end(() => res()) : res())),
  };
}
