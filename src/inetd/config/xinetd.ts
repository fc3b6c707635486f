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

const LIST_ATTRS = new Set(['only_from', 'no_access', 'access_times', 'log_on_success', 'log_on_failure', 'env', 'passenv', 'server_args', 'flags', 'type']);
const KNOWN = new Set([
  'socket_type', 'protocol', 'wait', 'user', 'group', 'server', 'server_args', 'port', 'bind', 'interface', 'type', 'id', 'disable', 'enabled', 'flags',
  'only_from', 'no_access', 'access_times', 'instances', 'per_source', 'cps', 'max_load', 'log_type', 'log_on_success', 'log_on_failure', 'redirect',
  'env', 'passenv', 'nice', 'umask', 'banner', 'banner_success', 'banner_fail', 'rlimit_as', 'rlimit_cpu', 'rlimit_data', 'rlimit_rss', 'rlimit_stack',
  'groups', 'rpc_version', 'rpc_number', 'libwrap', 'mdns', 'deny_time', 'cps',
]);
const SUCCESS = ['PID', 'HOST', 'USERID', 'EXIT', 'DURATION', 'TRAFFIC'];
const FAILURE = ['HOST', 'USERID', 'ATTEMPT'];

export interface ParsedXinetd {
  services: ServiceConfig[];
  problems: ConfigProblem[];
  files: string[];
}

/** Blocks of one file (and what it includes), in order. */
function readBlocks(path: string, r: XinetdReader, out: { blocks: Block[]; problems: ConfigProblem[]; files: string[] }, depth: number): void {
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
    if (!KNOWN.has(name)) {
      problem(`unknown attribute '${name}'`);
      continue;
    }
    if (op !== '=' && !LIST_ATTRS.has(name)) {
      problem(`'${op}' only works on list attributes, not '${name}'`);
      continue;
    }
    const list = block.attrs.get(name) ?? [];
    list.push({ op: op as Attr['op'], values: rest.trim() ? rest.trim().split(/\s+/) : [], line: lineNo });
    block.attrs.set(name, list);
  }
  if (block) out.problems.push({ file: path, line: block.line, reason: `'${block.kind === 'defaults' ? 'defaults' : `service ${block.name}`}' is not closed with '}'` });
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
  const acc = { blocks: [] as Block[], problems: [] as ConfigProblem[], files: [] as string[] };
  readBlocks(path, r, acc, 0);
  const out: ParsedXinetd = { services: [], problems: acc.problems, files: acc.files };
  const defaults = new Map<string, string[]>();
  for (const b of acc.blocks.filter((x) => x.kind === 'defaults')) for (const [k, v] of b.attrs) defaults.set(k, listValue(defaults.get(k), v) ?? []);
  const ids = new Set<string>();
  for (const b of acc.blocks.filter((x) => x.kind === 'service')) {
    const bad: string[] = [];
    const line = (k: string) => b.attrs.get(k)?.[0].line ?? b.line;
    const get = (k: string): string[] | undefined => (LIST_ATTRS.has(k) ? listValue(defaults.get(k), b.attrs.get(k)) : (b.attrs.get(k)?.at(-1)?.values ?? defaults.get(k)));
    const one = (k: string): string | undefined => get(k)?.join(' ');
    const num = (k: string): number | undefined => {
      const v = one(k);
      if (v === undefined || v.toUpperCase() === 'UNLIMITED') return undefined;
      if (!/^\d+$/.test(v)) {
        out.problems.push({ file: b.file, line: line(k), reason: `${k} must be a number, not '${v}'` });
        bad.push(k);
        return undefined;
      }
      return Number(v);
    };
    // rlimit_as = 8M / 512K / UNLIMITED
    const size = (k: string): number | undefined => {
      const v = one(k);
      if (v === undefined || v.toUpperCase() === 'UNLIMITED') return undefined;
      const m = /^(\d+)([KM]?)$/i.exec(v);
      if (!m) {
        out.problems.push({ file: b.file, line: line(k), reason: `${k} must be a size like 64M, not '${v}'` });
        bad.push(k);
        return undefined;
      }
      return Number(m[1]) * (m[2].toUpperCase() === 'K' ? 1024 : m[2].toUpperCase() === 'M' ? 1 << 20 : 1);
    };
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
        out.problems.push({ file: b.file, line: line('log_type'), reason: `log_type must be 'SYSLOG facility [level]' or 'FILE path', not '${logType.join(' ')}'` });
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
    const niceText = one('nice');
    if (niceText !== undefined && (!/^-?\d+$/.test(niceText) || Number(niceText) < -20 || Number(niceText) > 19)) {
      out.problems.push({ file: b.file, line: line('nice'), reason: `nice must be a number from -20 to 19, not '${niceText}'` });
      bad.push('nice');
    }
    const umaskText = one('umask');
    if (umaskText !== undefined && !/^[0-7]{1,4}$/.test(umaskText)) {
      out.problems.push({ file: b.file, line: line('umask'), reason: `umask must be octal, not '${umaskText}'` });
      bad.push('umask');
    }
    const maxLoad = one('max_load');
    if (maxLoad !== undefined && !(Number(maxLoad) > 0)) {
      out.problems.push({ file: b.file, line: line('max_load'), reason: `max_load must be a positive number, not '${maxLoad}'` });
      bad.push('max_load');
    }
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
      instances: num('instances'),
      perSource: num('per_source'),
      cps: cps && cps.length >= 1 ? [Number(cps[0]), Number(cps[1] ?? 10)] : undefined,
      maxLoad: maxLoad !== undefined ? Number(maxLoad) : undefined,
      onlyFrom: get('only_from'),
      noAccess: get('no_access'),
      accessTimes: get('access_times'),
      log,
      logOnSuccess: success,
      logOnFailure: failure,
      redirect: redirect && redirect.length === 2 ? { host: redirect[0], port: Number(redirect[1]) } : undefined,
      env: get('env'),
      passenv: get('passenv'),
      nice: niceText !== undefined ? Number(niceText) : undefined,
      umask: umaskText !== undefined ? parseInt(umaskText, 8) : undefined,
      banner: one('banner'),
      bannerSuccess: one('banner_success'),
      bannerFail: one('banner_fail'),
      flags: get('flags')?.map((f) => f.toUpperCase()),
      rlimitAs: size('rlimit_as'),
      rlimitCpu: num('rlimit_cpu'),
      file: b.file,
      line: b.line,
    });
  }
  return out;
}
