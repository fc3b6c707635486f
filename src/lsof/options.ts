/**
 * lsof's command line: -p -u -c -g -d -i -s -U -a -t -F +D +d -n -P -l -w,
 * file names, and --json. Lists take their value attached or as the next
 * word; an item starting with ^ excludes.
 */

import { isIP } from 'node:net';

export class LsofError extends Error {}

export interface InetSpec {
  family?: 4 | 6;
  protocol?: 'TCP' | 'UDP';
  host?: string;
  ports?: [number, number][];
  /** service names still to resolve */
  serviceNames?: string[];
}

export interface LsofRequest {
  pids: number[];
  notPids: number[];
  users: string[];
  notUsers: string[];
  commands: string[];
  notCommands: string[];
  pgids: number[];
  fds: string[];
  notFds: string[];
  inet?: InetSpec[];
  tcpStates?: string[];
  notTcpStates?: string[];
  udpStates?: string[];
  unix: boolean;
  and: boolean;
  terse: boolean;
  fields?: string;
  /** -F?: the list of field letters */
  fieldHelp?: boolean;
  fieldNul: boolean;
  dirs: { path: string; recurse: boolean }[];
  files: string[];
  numericHosts: boolean;
  numericPorts: boolean;
  numericUsers: boolean;
  /** -w: no warnings (such as a UID without a name) */
  noWarnings?: boolean;
  commandWidth: number;
  /** -E/+E: name the other ends of pipes and unix sockets */
  endpoints: boolean;
  /** -g: a PGID column */
  showPgid: boolean;
  /** -K i: never list tasks */
  ignoreTasks?: boolean;
  /** -K: select every task (thread) of a process, listed with TID and TASKCMD */
  tasks?: boolean;
  /** -R: the parent PID column */
  showPpid: boolean;
  /** -s alone: sizes only (SIZE column, no offsets) */
  sizesOnly: boolean;
  json: boolean;
  help: boolean;
  version: boolean;
}

function list(v: string): string[] {
  return v.split(',').filter((x) => x !== '');
}

/** -i [46][protocol][@host][:port[,port|range...]] */
export function parseInet(spec: string): InetSpec {
  const out: InetSpec = {};
  let s = spec;
  if (s[0] === '4' || s[0] === '6') {
    out.family = s[0] === '4' ? 4 : 6;
    s = s.slice(1);
  }
  const proto = /^(tcp|udp)/i.exec(s);
  if (proto) {
    out.protocol = proto[1].toUpperCase() as 'TCP' | 'UDP';
    s = s.slice(proto[1].length);
  }
  if (s.startsWith('@')) {
    const m = /^@(\[[^\]]+\]|[^:]+)/.exec(s);
    if (!m) throw new LsofError(`unacceptable Internet address: -i ${spec}`);
    out.host = m[1].replace(/^\[|\]$/g, '');
    s = s.slice(m[0].length);
  }
  if (s.startsWith(':')) {
    out.ports = [];
    out.serviceNames = [];
    for (const part of s.slice(1).split(',')) {
      const r = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (r) out.ports.push([Number(r[1]), Number(r[2] ?? r[1])]);
      else if (/^[A-Za-z][\w.-]*$/.test(part)) out.serviceNames.push(part);
      else throw new LsofError(`unacceptable port specification in: -i ${spec}`);
    }
    s = '';
  }
  if (s !== '') throw new LsofError(`unacceptable Internet address: -i ${spec}`);
  return out;
}

interface FnetState {
  on: boolean;
  /** 0 for either family */
  family: 0 | 4 | 6;
}

/**
 * One -i as lsof enters it: a family alone updates the 'any Internet file'
 * selection (-i4 then -i6 is -i; -i then -i4 is -i4), an address spec without
 * a family takes that selection's, and an address of the other family is refused.
 */
function addInet(r: LsofRequest, v: string, fnet: FnetState): void {
  const specs = (r.inet ??= []);
  const familyOnly = v === '' || v === '4' || v === '6';
  if (familyOnly) {
    const ft = v === '' ? 0 : (Number(v) as 4 | 6);
    if (ft === 0) fnet.family = 0;
    else if (!fnet.on) fnet.family = ft;
    else if (fnet.family !== 0 && fnet.family !== ft) fnet.family = 0;
    else if (fnet.family === 0 && v !== '') fnet.family = ft;
    fnet.on = true;
    // the folded selection is the one family-only spec the request keeps
    const at = specs.findIndex((sp) => !sp.protocol && sp.host === undefined && !sp.ports?.length && !sp.serviceNames?.length);
    const folded: InetSpec = fnet.family ? { family: fnet.family } : {};
    if (at >= 0) specs[at] = folded;
    else specs.push(folded);
    return;
  }
  const spec = parseInet(v);
  const ft = spec.family ?? (fnet.on ? fnet.family : 0);
  if (ft && spec.host !== undefined) {
    const v4 = isIP(spec.host) === 4;
    const v6 = isIP(spec.host) === 6;
    if (ft === 6 && v4) throw new LsofError(`IPv4 addresses are prohibited: -i ${v}`);
    if (ft === 4 && v6) throw new LsofError(`IPv6 addresses are prohibited: -i ${v}`);
  }
  if (ft) spec.family = ft;
  specs.push(spec);
}

/** the field letters lsof 4.95 knows, and what -F? says of each */
const FIELDS: [string, string][] = [
  ['a', 'access: r = read; w = write; u = read/write'],
  ['c', 'command name'],
  ['d', 'device character code'],
  ['D', 'major/minor device number as 0x<hex>'],
  ['f', 'file descriptor'],
  ['G', 'file flaGs'],
  ['i', 'inode number'],
  ['k', 'link count'],
  ['K', 'task ID (TID)'],
  ['l', 'lock: r/R = read; w/W = write; u = read/write'],
  ['L', 'login name'],
  ['m', 'marker between repeated output'],
  ['M', 'task comMand name'],
  ['n', 'comment, name, Internet addresses'],
  ['o', 'file offset as 0t<dec> or 0x<hex>'],
  ['p', 'process ID (PID)'],
  ['g', 'process group ID (PGID)'],
  ['P', 'protocol name'],
  ['r', 'raw device number as 0x<hex>'],
  ['R', 'paRent PID'],
  ['s', 'file size'],
  ['S', 'stream module and device names'],
  ['t', 'file type'],
  ['T', 'TCP/TPI info'],
  ['u', 'user ID (UID)'],
  ['0', '(zero) use NUL field terminator instead of NL'],
];
export const FIELD_LETTERS = FIELDS.map(([c]) => c).join('');
export const FIELD_HELP = `lsof:\tID    field description\n${FIELDS.map(([c, d]) => `\t ${c}    ${d}\n`).join('')}`;

export function parseLsofArgs(argv: string[]): LsofRequest {
  // lsof's -i, -i4 and -i6 alone fold into one 'any Internet file' selection whose family later address specs inherit
  const fnet: FnetState = { on: false, family: 0 };
  const r: LsofRequest = {
    pids: [],
    notPids: [],
    users: [],
    notUsers: [],
    commands: [],
    notCommands: [],
    pgids: [],
    fds: [],
    notFds: [],
    unix: false,
    and: false,
    terse: false,
    fieldNul: false,
    dirs: [],
    files: [],
    numericHosts: false,
    numericPorts: false,
    numericUsers: false,
    commandWidth: 9,
    endpoints: false,
    showPgid: false,
    showPpid: false,
    sizesOnly: false,
    json: false,
    help: false,
    version: false,
  };
  const split = (v: string, yes: string[], no: string[]) => {
    for (const x of list(v)) (x.startsWith('^') ? no : yes).push(x.replace(/^\^/, ''));
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (rest: string, what: string): string => {
      if (rest !== '') return rest;
      const v = argv[++i];
      if (v === undefined) throw new LsofError(`no ${what} specified after ${a}`);
      return v;
    };
    if (a === '--json') {
      r.json = true;
      continue;
    }
    if (a === '--help' || a === '-h' || a === '-?') {
      r.help = true;
      continue;
    }
    if (a === '--') {
      r.files.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('+')) {
      const o = a[1];
      if (o === 'D' || o === 'd') {
        r.dirs.push({ path: value(a.slice(2), 'directory'), recurse: o === 'D' });
        continue;
      }
      if (o === 'c') {
        r.commandWidth = Number(value(a.slice(2), 'width')) || Infinity;
        continue;
      }
      if (o === 'E' && a.length === 2) {
        r.endpoints = true;
        continue;
      }
      throw new LsofError(`unknown option: ${a}`);
    }
    // lsof's getopt does not permute: the first name ends the options, and what follows is names too
    if (!a.startsWith('-') || a === '-') {
      r.files.push(...argv.slice(i));
      break;
    }
    // clusters of flag options, as in "-nP"
    if (/^[naPtUlwbV]+$/.test(a.slice(1))) {
      for (const c of a.slice(1)) {
        if (c === 'n') r.numericHosts = true;
        else if (c === 'P') r.numericPorts = true;
        else if (c === 'a') r.and = true;
        else if (c === 't') r.terse = true;
        else if (c === 'U') r.unix = true;
        else if (c === 'l') r.numericUsers = true;
        else if (c === 'w') r.noWarnings = true;
      }
      continue;
    }
    const o = a[1];
    const rest = a.slice(2);
    switch (o) {
      case 'p': {
        const pids: string[] = [];
        const not: string[] = [];
        split(value(rest, 'process ID'), pids, not);
        for (const x of [...pids, ...not]) if (!/^\d+$/.test(x)) throw new LsofError(`illegal process ID: ${x}`);
        r.pids.push(...pids.map(Number));
        r.notPids.push(...not.map(Number));
        break;
      }
      case 'g': {
        r.showPgid = true;
        const v = rest === '' && (argv[i + 1] === undefined || argv[i + 1].startsWith('-')) ? '' : value(rest, 'process group ID');
        for (const x of list(v)) {
          if (!/^\d+$/.test(x)) throw new LsofError(`illegal process group ID: ${x}`);
          r.pgids.push(Number(x));
        }
        break;
      }
      case 'u':
        split(value(rest, 'user'), r.users, r.notUsers);
        break;
      case 'c':
        split(value(rest, 'command'), r.commands, r.notCommands);
        break;
      case 'd': {
        const before = r.fds.length + r.notFds.length;
        const excluding = r.notFds.length > 0;
        split(value(rest, 'file descriptor'), r.fds, r.notFds);
        // one -d list is all includes or all excludes, across every -d given
        const mixed = before > 0 ? (excluding ? r.fds.length > 0 : r.notFds.length > 0) : r.fds.length > 0 && r.notFds.length > 0;
        if (mixed) {
          const odd = excluding || before === 0 ? r.fds[0] : `^${r.notFds[0]}`;
          throw new LsofError(`${odd.startsWith('^') ? 'exclude' : 'include'} in an ${excluding || before === 0 ? 'exclude' : 'include'} -d list: ${odd}`);
        }
        break;
      }
      case 'i': {
        // -i takes an optional value that must be attached or look like an address
        const next = argv[i + 1];
        const v = rest !== '' ? rest : next !== undefined && /^([46]|tcp|udp|@|:)/i.test(next) ? argv[++i] : '';
        addInet(r, v, fnet);
        break;
      }
      case 's': {
        const v = rest !== '' ? rest : argv[i + 1] !== undefined && /^[A-Za-z]+:/.test(argv[i + 1]) ? argv[++i] : '';
        // -s alone asks for sizes instead of offsets
        if (v === '') {
          r.sizesOnly = true;
          break;
        }
        const m = /^(tcp|udp):(.+)$/i.exec(v);
        if (!m) throw new LsofError(`unknown protocol name (${v.split(':')[0]}) in: -s ${v}`);
        // Linux's UDP sockets have no states lsof can name
        if (m[1].toUpperCase() === 'UDP') throw new LsofError(`no UDP state names available: ${v}`);
        const dest = m[1].toUpperCase() === 'TCP' ? (r.tcpStates ??= []) : (r.udpStates ??= []);
        for (const st of list(m[2])) {
          const excl = st.startsWith('^');
          const name = (excl ? st.slice(1) : st).toUpperCase();
          const into = excl ? (r.notTcpStates ??= []) : dest;
          if (into.includes(name)) throw new LsofError(`duplicate ${m[1].toUpperCase()} ${excl ? 'ex' : 'in'}clusion: ${name}`);
          into.push(name);
        }
        const both = r.tcpStates?.find((st) => r.notTcpStates?.includes(st));
        if (both) throw new LsofError(`can't include and exclude TCP state: ${both}`);
        break;
      }
      case 'R':
        r.showPpid = true;
        break;
      case 'v':
        r.version = true;
        break;
      case 'E':
        r.endpoints = true;
        break;
      case 'K': {
        // an optional value, as lsof reads it: attached, or the next word when it does not start with - or +
        const v = rest !== '' ? rest : argv[i + 1] !== undefined && !/^[-+]/.test(argv[i + 1]) ? argv[++i] : '';
        if (v !== '' && v !== 'i') throw new LsofError(`-K not followed by i (but by ${v})`);
        // the last -K given decides
        r.tasks = v === '';
        r.ignoreTasks = v === 'i';
        break;
      }
      case 'F': {
        // as lsof's optional-value options: a next word not starting with - or + is the field list
        let v = rest === '' && argv[i + 1] !== undefined && !/^[-+]/.test(argv[i + 1]) ? argv[++i] : rest;
        if (v === '?') {
          r.fieldHelp = true;
          break;
        }
        // 0 anywhere in the list ends fields with NUL instead of newline
        if (v.includes('0')) {
          r.fieldNul = true;
          v = v.replaceAll('0', '');
        }
        const bad = [...v].find((c) => !FIELD_LETTERS.includes(c));
        if (bad !== undefined) throw new LsofError(`unknown field: ${bad}`);
        r.fields = v;
        break;
      }
      default:
        throw new LsofError(`unknown option: ${a}`);
    }
  }
  return r;
}
