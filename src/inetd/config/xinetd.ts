/**
 * xinetd.conf: "defaults { ... }", "service NAME { ... }" blocks of
 * "attribute = values" (and "+=" / "-=" for list attributes), plus
 * "includedir DIR" and "includefile FILE". Pure over a file reader so tests
 * and the daemon share it; every problem is file:line, and a bad service is
 * reported and left out while the others load.
 */
import { dirname, join, resolve } from 'node:path';
import { parseAccessTimes } from '../access/times.js';
import { XINETD_INTERNAL, type ConfigProblem, type ServiceConfig, type SocketType } from './service.js';
import type { ServicesTable } from './services.js';

export interface XinetdReader {
  read(path: string): string | undefined;
  /** file names in a directory */
  list(dir: string): string[] | undefined;
}

interface Attr {
  op: '=' | '+=' | '-=';
  values: string[];
  line: number;
}

interface Block {
  kind: 'defaults' | 'service';
  name: string;
  attrs: Map<string, Attr[]>;
  file: string;
  line: number;
}

/** A value's reading: the number it means, or why it cannot be read. */
type Parse = (v: string) => number | { error: string };

const whole: Parse = (v) => (/^\d+$/.test(v) ? Number(v) : { error: `must be a number, not '${v}'` });
// rlimit_as = 8M / 512K
const size: Parse = (v) => {
  const m = /^(\d+)([KM]?)$/i.exec(v);
  if (!m) return { error: `must be a size like 64M, not '${v}'` };
  const unit = m[2].toUpperCase();
  return Number(m[1]) * (unit === 'K' ? 1024 : unit === 'M' ? 1 << 20 : 1);
};
const nice: Parse = (v) => (/^-?\d+$/.test(v) && Number(v) >= -20 && Number(v) <= 19 ? Number(v) : { error: `must be a number from -20 to 19, not '${v}'` });
const octal: Parse = (v) => (/^[0-7]{1,4}$/.test(v) ? parseInt(v, 8) : { error: `must be octal, not '${v}'` });
const positive: Parse = (v) => (Number(v) > 0 ? Number(v) : { error: `must be a positive number, not '${v}'` });

interface AttributeSpec {
  /** takes +=, -= and several values */
  list?: boolean;
  /** numbers: how to read the value (UNLIMITED is always "no limit") */
  parse?: Parse;
  /** xinetd knows it, dk inetd does not act on it: accepted with a warning naming why */
  unsupported?: string;
}

/** Every attribute xinetd 2.3.15 knows, and what dk inetd does with it. */
const ATTRIBUTES: Record<string, AttributeSpec> = {
  socket_type: {},
  protocol: {},
  wait: {},
  user: {},
  group: {},
  server: {},
  server_args: { list: true },
  port: { parse: whole },
  bind: {},
  interface: {},
  type: { list: true },
  id: {},
  disable: {},
  enabled: {},
  flags: { list: true },
  only_from: { list: true },
  no_access: { list: true },
  access_times: { list: true },
  instances: { parse: whole },
  per_source: { parse: whole },
  cps: { list: true },
  max_load: { parse: positive },
  log_type: {},
  log_on_success: { list: true },
  log_on_failure: { list: true },
  redirect: {},
  env: { list: true },
  passenv: { list: true },
  nice: { parse: nice },
  umask: { parse: octal },
  banner: {},
  banner_success: {},
  banner_fail: {},
  rlimit_as: { parse: size },
  rlimit_cpu: { parse: whole },
  rlimit_data: { parse: size, unsupported: 'only rlimit_as and rlimit_cpu are applied' },
  rlimit_rss: { parse: size, unsupported: 'only rlimit_as and rlimit_cpu are applied' },
  rlimit_stack: { parse: size, unsupported: 'only rlimit_as and rlimit_cpu are applied' },
  groups: { unsupported: 'servers get the groups of their user (initgroups) whatever this says' },
  rpc_version: { unsupported: 'RPC services are not registered with the port mapper' },
  rpc_number: { unsupported: 'RPC services are not registered with the port mapper' },
  libwrap: { unsupported: 'TCP wrappers are asked under the server program name' },
  mdns: { unsupported: 'nothing is announced over mDNS' },
  deny_time: { unsupported: 'sources over a limit are refused per connection, not banned for a time' },
  v6only: { unsupported: 'the protocol decides: tcp6/udp6 only IPv6, tcp/udp IPv4' },
};

const SUCCESS = ['PID', 'HOST', 'USERID', 'EXIT', 'DURATION', 'TRAFFIC'];
const FAILURE = ['HOST', 'USERID', 'ATTEMPT'];

export interface ParsedXinetd {
  services: ServiceConfig[];
  problems: ConfigProblem[];
  /** attributes accepted but not acted on: they do not stop a service or a reload */
  warnings: ConfigProblem[];
  files: string[];
}

/** Blocks of one file (and what it includes), in order. */
function readBlocks(
  path: string,
  r: XinetdReader,
  out: { blocks: Block[]; problems: ConfigProblem[]; warnings: ConfigProblem[]; files: string[] },
  depth: number,
): void {
  const text = r.read(path);
  if (text === undefined) {
    out.problems.push({ file: path, line: 0, reason: 'cannot read the file' });
    return;
  }
  out.files.push(path);
  const lines = text.split('\n');
  let block: Block | undefined;
  let open = false;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const t = lines[i].replace(/#.*/, '').trim();
    const problem = (reason: string) => out.problems.push({ file: path, line: lineNo, reason });
    if (!t) continue;
    if (!block) {
      const inc = /^include(dir|file)\s+(\S+)$/.exec(t);
      if (inc) {
        const target = resolve(dirname(path), inc[2]);
        if (depth > 8) problem('includes nested too deeply');
        else if (inc[1] === 'file') readBlocks(target, r, out, depth + 1);
        else {
          const names = r.list(target);
          if (!names) problem(`cannot read directory '${inc[2]}'`);
          // as xinetd: files with a dot or ending in ~ are editor and package leftovers
          else for (const n of names.filter((n) => !n.includes('.') && !n.endsWith('~')).sort()) readBlocks(join(target, n), r, out, depth + 1);
        }
        continue;
      }
      const head = /^(defaults|service\s+(\S+))(\s*\{)?$/.exec(t);
      if (!head) {
        problem(`expected 'defaults', 'service NAME', 'includedir DIR' or 'includefile FILE', found '${t}'`);
        continue;
      }
      block = { kind: head[1] === 'defaults' ? 'defaults' : 'service', name: head[2] ?? '', attrs: new Map(), file: path, line: lineNo };
      open = !!head[3];
      continue;
    }
    if (!open) {
      if (t === '{') open = true;
      else {
        problem(`expected '{' after '${block.kind === 'defaults' ? 'defaults' : `service ${block.name}`}'`);
        block = undefined;
      }
      continue;
    }
    if (t === '}') {
      out.blocks.push(block);
      block = undefined;
      open = false;
      continue;
    }
    const m = /^([a-z_]+)\s*(\+=|-=|=)\s*(.*)$/.exec(t);
    if (!m) {
      problem(`expected 'attribute = value', found '${t}'`);
      continue;
    }
    const [, name, op, rest] = m;
    const spec = ATTRIBUTES[name];
    if (!spec) {
      problem(`unknown attribute '${name}'`);
      continue;
    }
    if (spec.unsupported) out.warnings.push({ file: path, line: lineNo, reason: `warning: '${name}' is accepted but not acted on (${spec.unsupported})` });
    if (op !== '=' && !spec.list) {
      problem(`'${op}' only works on list attributes, not '${name}'`);
      continue;
    }
    const list = block.attrs.get(name) ?? [];
    list.push({ op: op as Attr['op'], values: rest.trim() ? rest.trim().split(/\s+/) : [], line: lineNo });
    block.attrs.set(name, list);
  }
  if (block)
    out.problems.push({ file: path, line: block.line, reason: `'${block.kind === 'defaults' ? 'defaults' : `service ${block.name}`}' is not closed with '}'` });
}

/** Applies =, += and -= in order over a starting list (the defaults' value). */
function listValue(base: string[] | undefined, attrs: Attr[] | undefined): string[] | undefined {
  if (!attrs) return base;
  let v = base ? [...base] : undefined;
  for (const a of attrs) {
    if (a.op === '=') v = [...a.values];
    else if (a.op === '+=') v = [...(v ?? []), ...a.values];
    else v = (v ?? []).filter((x) => !a.values.includes(x));
  }
  return v;
}

export function parseXinetd(path: string, r: XinetdReader, services: ServicesTable): ParsedXinetd {
  const acc = { blocks: [] as Block[], problems: [] as ConfigProblem[], warnings: [] as ConfigProblem[], files: [] as string[] };
  readBlocks(path, r, acc, 0);
  const out: ParsedXinetd = { services: [], problems: acc.problems, warnings: acc.warnings, files: acc.files };
  const defaults = new Map<string, string[]>();
  for (const b of acc.blocks.filter((x) => x.kind === 'defaults')) for (const [k, v] of b.attrs) defaults.set(k, listValue(defaults.get(k), v) ?? []);
  const ids = new Set<string>();
  for (const b of acc.blocks.filter((x) => x.kind === 'service')) {
    const bad: string[] = [];
    const line = (k: string) => b.attrs.get(k)?.[0].line ?? b.line;
    const get = (k: string): string[] | undefined =>
      ATTRIBUTES[k]?.list ? listValue(defaults.get(k), b.attrs.get(k)) : (b.attrs.get(k)?.at(-1)?.values ?? defaults.get(k));
    const one = (k: string): string | undefined => get(k)?.join(' ');
    /** a numeric attribute through its parser in the table; UNLIMITED (or absent) is undefined */
    const num = (k: string): number | undefined => {
      const v = one(k);
      if (v === undefined || v.toUpperCase() === 'UNLIMITED') return undefined;
      const r = ATTRIBUTES[k].parse!(v);
      if (typeof r === 'number') return r;
      out.problems.push({ file: b.file, line: line(k), reason: `${k} ${r.error}` });
      bad.push(k);
      return undefined;
    };
    // the values of attributes that are only warned about are still checked
    for (const k of b.attrs.keys()) if (ATTRIBUTES[k]?.unsupported && ATTRIBUTES[k].parse) num(k);
    const types = (get('type') ?? []).map((t) => t.toUpperCase());
    const internal = types.includes('INTERNAL');
    const unlisted = types.includes('UNLISTED');
    const socketType = one('socket_type');
    const waitText = one('wait');
    const disable = (one('disable') ?? 'no').toLowerCase() === 'yes';
    const need = (k: string, v: unknown) => {
      if (v === undefined) {
        out.problems.push({ file: b.file, line: b.line, reason: `service ${b.name}: missing '${k}'` });
        bad.push(k);
      }
    };
    need('socket_type', socketType);
    need('wait', waitText);
    if (!internal && !get('redirect')) need('server', one('server'));
    if (socketType && !['stream', 'dgram', 'raw', 'seqpacket'].includes(socketType)) {
      out.problems.push({ file: b.file, line: line('socket_type'), reason: `unknown socket_type '${socketType}'` });
      bad.push('socket_type');
    }
    if (waitText && !['yes', 'no'].includes(waitText)) {
      out.problems.push({ file: b.file, line: line('wait'), reason: `wait must be yes or no, not '${waitText}'` });
      bad.push('wait');
    }
    const protocol = (one('protocol') ?? (socketType === 'dgram' ? 'udp' : 'tcp')).toLowerCase();
    let port = num('port');
    if (port === undefined && !unlisted) port = services.port(b.name, protocol.replace(/[46]+$/, ''));
    if (port === undefined && !bad.length) {
      out.problems.push({ file: b.file, line: b.line, reason: `service ${b.name}: no port (not in the services file and no 'port' attribute)` });
      bad.push('port');
    }
    if (internal && !XINETD_INTERNAL.includes(b.name)) {
      out.problems.push({ file: b.file, line: b.line, reason: `service ${b.name}: not an internal service (${XINETD_INTERNAL.join(', ')})` });
      bad.push('type');
    }
    const logType = get('log_type');
    let log: ServiceConfig['log'];
    if (logType?.length) {
      const kind = logType[0].toUpperCase();
      if (kind === 'SYSLOG' && logType[1]) log = { type: 'syslog', facility: logType[1], level: logType[2] ?? 'info' };
      else if (kind === 'FILE' && logType[1]) log = { type: 'file', path: logType[1] };
      else {
        out.problems.push({
          file: b.file,
          line: line('log_type'),
          reason: `log_type must be 'SYSLOG facility [level]' or 'FILE path', not '${logType.join(' ')}'`,
        });
        bad.push('log_type');
      }
    }
    const flags = (k: string, allowed: string[]) => {
      const v = get(k);
      const wrong = v?.filter((x) => !allowed.includes(x.toUpperCase()));
      if (wrong?.length) {
        out.problems.push({ file: b.file, line: line(k), reason: `${k}: unknown ${wrong.join(', ')} (${allowed.join(' ')})` });
        bad.push(k);
      }
      return v?.map((x) => x.toUpperCase());
    };
    const success = flags('log_on_success', SUCCESS);
    const failure = flags('log_on_failure', FAILURE);
    const cps = get('cps');
    const redirect = get('redirect');
    if (redirect && (redirect.length !== 2 || !/^\d+$/.test(redirect[1]))) {
      out.problems.push({ file: b.file, line: line('redirect'), reason: `redirect must be 'host port', not '${redirect.join(' ')}'` });
      bad.push('redirect');
    }
    const times = parseAccessTimes(get('access_times') ?? []);
    if ('bad' in times) {
      out.problems.push({ file: b.file, line: line('access_times'), reason: `access_times: '${times.bad}' is not hh:mm-hh:mm` });
      bad.push('access_times');
    }
    const niceValue = num('nice');
    const umaskValue = num('umask');
    const maxLoad = num('max_load');
    const instances = num('instances');
    // UNLIMITED said here stays unlimited: the daemon's --per-source default is for services that say nothing
    const perSource = (one('per_source') ?? '').toUpperCase() === 'UNLIMITED' ? Number.POSITIVE_INFINITY : num('per_source');
    const rlimitAs = num('rlimit_as');
    const rlimitCpu = num('rlimit_cpu');
    const id = one('id') ?? b.name;
    if (bad.length) {
      out.problems.push({ file: b.file, line: b.line, reason: `service ${b.name} left out` });
      continue;
    }
    const disabled = disable || (one('enabled') ?? 'yes').toLowerCase() === 'no';
    // only services that run must have distinct ids (Debian ships disabled duplicates)
    if (!disabled && ids.has(id)) {
      out.problems.push({ file: b.file, line: b.line, reason: `service ${b.name}: id '${id}' is used twice (give one an 'id')` });
      continue;
    }
    if (!disabled) ids.add(id);
    const [user, group] = [one('user') ?? 'root', one('group')];
    const server = one('server') ?? (redirect ? '' : undefined);
    out.services.push({
      name: b.name,
      id,
      socketType: socketType as SocketType,
      protocol,
      bind: one('bind') ?? one('interface'),
      port,
      wait: waitText === 'yes',
      user,
      group,
      internal: internal ? b.name : undefined,
      server: internal || !server ? undefined : server,
      args: internal || !server ? [] : [server.split('/').pop()!, ...(get('server_args') ?? [])],
      disabled,
      unlisted,
      instances,
      perSource,
      cps: cps && cps.length >= 1 ? [Number(cps[0]), Number(cps[1] ?? 10)] : undefined,
      maxLoad,
      onlyFrom: get('only_from'),
      noAccess: get('no_access'),
      accessTimes: get('access_times'),
      log,
      logOnSuccess: success,
      logOnFailure: failure,
      redirect: redirect && redirect.length === 2 ? { host: redirect[0], port: Number(redirect[1]) } : undefined,
      env: get('env'),
      passenv: get('passenv'),
      nice: niceValue,
      umask: umaskValue,
      banner: one('banner'),
      bannerSuccess: one('banner_success'),
      bannerFail: one('banner_fail'),
      flags: get('flags')?.map((f) => f.toUpperCase()),
      rlimitAs,
      rlimitCpu,
      file: b.file,
      line: b.line,
    });
  }
  return out;
}
