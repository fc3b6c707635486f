/**
 * dk pstree: psmisc pstree options over the /proc layer.
 */
import { utf8Locale } from '../sys/locale.js';
import { existsSync } from 'node:fs';
import { rawCmdline, taskComm, taskIds } from '../proc/tasks.js';
import { snapshot } from '../proc/snapshot.js';
import { nameCache } from '../proc/users.js';
import { kcmpCall } from '../proc/kcmp.js';
import type { FieldName } from '../proc/types.js';
import { ASCII, Forest, NS_ORDER, Printer, UTF8, VT100, type Symbols, type TreeProc } from './tree.js';

export interface PstreeIO {
  write(s: string): void;
  error(s: string): void;
  env: NodeJS.ProcessEnv;
  /** set when stdout is a terminal */
  tty?: { columns: number };
  procRoot?: string;
  pid?: number;
}

export const PSTREE_USAGE = `Usage: dk pstree [-acglpsStTuZ] [ -h | -H PID ] [ -n | -N type ] [ -A | -G | -U ] [ PID | USER ]
   or: dk pstree -V

Display a tree of processes.

  -a, --arguments     show command line arguments
  -A, --ascii         use ASCII line drawing characters
  -c, --compact-not   don't compact identical subtrees
  -C, --color=age     color process by age
  -g, --show-pgids    show process group ids
  -G, --vt100         use VT100 line drawing characters
  -h, --highlight-all highlight current process and its ancestors
  -H PID, --highlight-pid=PID
                      highlight this process and its ancestors
  -l, --long          don't truncate long lines
  -n, --numeric-sort  sort output by PID
  -N TYPE, --ns-sort=TYPE
                      sort output by this namespace type
                              (cgroup, ipc, mnt, net, pid, time, user, uts)
  -p, --show-pids     show PIDs; implies -c
  -s, --show-parents  show parents of the selected process
  -t, --thread-names  show full thread names
  -T, --hide-threads  hide threads, show only processes
  -S, --ns-changes    show namespace transitions
      --shared        show what each child shares with its parent (kcmp):
                      [vm,files,fs,sig]; [-] where it may not be compared
  -u, --uid-changes   show uid transitions
  -U, --unicode       use UTF-8 (Unicode) line drawing characters
  -V, --version       display version information
  -Z, --security-context
                      show security attributes

  PID    start at this PID; default is 1 (init)
  USER   show only trees rooted at processes of this user
`;

const LONG: Record<string, string> = {
  arguments: 'a',
  ascii: 'A',
  'compact-not': 'c',
  color: 'C',
  vt100: 'G',
  'highlight-all': 'h',
  'highlight-pid': 'H',
  long: 'l',
  'numeric-sort': 'n',
  'ns-sort': 'N',
  'show-pids': 'p',
  'show-pgids': 'g',
  'show-parents': 's',
  'thread-names': 't',
  'hide-threads': 'T',
  'uid-changes': 'u',
  'ns-changes': 'S',
  shared: 'K',
  unicode: 'U',
  version: 'V',
  'security-context': 'Z',
  help: '?',
};
const WITH_ARG = new Set(['C', 'H', 'N']);

class UsageError extends Error {}

function invalid(what: string): UsageError {
  return new UsageError(what);
}

interface Opts {
  flags: Set<string>;
  color?: string;
  highlight?: number;
  /** -N: the namespace kind, an index into NS_ORDER */
  nsSort?: number;
  operand?: string;
}

/** getopt_long with GNU permutation: options may follow the operand. */
function parse(argv: string[]): Opts {
  const o: Opts = { flags: new Set() };
  const operands: string[] = [];
  const take = (f: string, arg: string | undefined, next: () => string | undefined): void => {
    if (f === '?') throw new UsageError();
    if (WITH_ARG.has(f)) {
      const v = arg ?? next();
      if (v === undefined) throw new UsageError();
      if (f === 'C') {
        if (v.toLowerCase() !== 'age') throw new UsageError();
        o.color = 'age';
      } else if (f === 'N') {
        const kind = (NS_ORDER as readonly string[]).indexOf(v);
        if (kind < 0) throw new UsageError();
        o.nsSort = kind;
      } else {
        const n = parseInt(v, 10);
        if (!n) throw new UsageError();
        o.highlight = n;
      }
    }
    o.flags.add(f);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string | undefined => argv[++i];
    if (a === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const matches = Object.keys(LONG).filter((k) => k === name || k.startsWith(name));
      const key = matches.includes(name) ? name : matches.length === 1 ? matches[0] : undefined;
      if (!key) throw invalid(matches.length > 1 ? `option '--${name}' is ambiguous` : `unrecognized option '--${name}'`);
      take(LONG[key], eq < 0 ? undefined : a.slice(eq + 1), next);
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const f = a[j];
        if (!'aAcCGhHnNpglsStTuUVZ'.includes(f)) throw invalid(`invalid option -- '${f}'`);
        if (WITH_ARG.has(f)) {
          take(f, a.length > j + 1 ? a.slice(j + 1) : undefined, next);
          break;
        }
        take(f, undefined, next);
      }
    } else operands.push(a);
  }
  if (operands.length > 1) throw new UsageError();
  o.operand = operands[0];
  return o;
}

function outputWidth(io: PstreeIO): number {
  const c = io.env.COLUMNS;
  if (c && /^[0-9]+$/.test(c) && Number(c) > 0) return Number(c);
  if (io.tty?.columns) return io.tty.columns;
  return 132;
}

const latin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

export function runPstree(argv: string[], io: PstreeIO): number {
  let o: Opts;
  try {
    o = parse(argv);
  } catch (e) {
    io.error(`${e instanceof Error && e.message ? `dk pstree: ${e.message}\n` : ''}${PSTREE_USAGE}`);
    return 1;
  }
  const f = o.flags;
  if (f.has('V')) {
    io.write('dk pstree (daemonkit), compatible with pstree (PSmisc) 23.6\n');
    return 0;
  }
  const procRoot = io.procRoot ?? '/proc';
  if (o.nsSort !== undefined && !existsSync(`${procRoot}/self/ns/${NS_ORDER[o.nsSort]}`)) {
    io.error(`procfs file for ${NS_ORDER[o.nsSort]} namespace not available\n`);
    return 1;
  }
  const names = nameCache(procRoot === '/proc' ? '/etc' : `${procRoot}/../etc`);
  let rootPid = 1;
  let user: number | undefined;
  let pidSet = false;
  if (o.operand !== undefined) {
    if (/^[0-9]/.test(o.operand)) {
      if (!/^[0-9]+$/.test(o.operand)) {
        io.error(PSTREE_USAGE);
        return 1;
      }
      rootPid = Number(o.operand);
      pidSet = true;
    } else {
      user = names.uidOf(o.operand);
      if (user === undefined) {
        io.error(`No such user name: ${o.operand}\n`);
        return 1;
      }
    }
  }
  const width = outputWidth(io);
  const trunc = !f.has('l');
  const args = f.has('a');
  const needUid = f.has('u') || user !== undefined;
  const fields: FieldName[] = ['comm'];
  if (needUid) fields.push('euid');
  if (f.has('Z')) fields.push('label');
  if (f.has('S') || o.nsSort !== undefined) fields.push('namespaces');
  const snap = snapshot({ procRoot, fields });
  const procs: TreeProc[] = snap.procs.map((p) => ({
    pid: p.pid,
    ppid: p.ppid,
    pgid: p.pgid,
    uid: p.euid ?? 0,
    comm: latin1(p.comm),
    cmdline: args ? rawCmdline(p.pid, procRoot) : undefined,
    age: Math.max(0, snap.sys.uptime - p.startTicks / snap.sys.hz),
    label: p.label,
    threads: f.has('T') ? [] : threadsOf(procRoot, p.pid, f.has('t'), p.comm),
    ns: p.namespaces ? NS_ORDER.map((n) => p.namespaces?.[n] ?? 0) : undefined,
  }));
  const forest = new Forest({ byPid: f.has('n'), args, trunc, width });
  forest.load(procs, f.has('T'));

  if (f.has('K')) markShared(forest);

  const highlight = f.has('h') ? (io.pid ?? process.pid) : o.highlight;
  const term = io.env.TERM;
  if (f.has('H') && !term) {
    io.error('TERM is not set\n');
    return 1;
  }
  if (highlight !== undefined && term && term !== 'dumb') {
    for (let n = forest.find(highlight); n; n = n.parent) n.highlight = true;
  }
  if (f.has('s') && pidSet) {
    const child = forest.find(rootPid);
    if (!child) {
      io.error(`Process ${rootPid} not found.\n`);
      return 1;
    }
    forest.trimToParents(child);
    rootPid = 1;
  }

  let sym: Symbols = io.tty && utf8Locale(io.env) ? UTF8 : ASCII;
  if (f.has('A')) sym = ASCII;
  if (f.has('G')) sym = VT100;
  if (f.has('U')) sym = UTF8;
  const printer = new Printer({
    sym,
    width,
    trunc,
    args,
    compact: !(f.has('c') || f.has('p')),
    pids: f.has('p'),
    pgids: f.has('g'),
    userChanges: f.has('u'),
    nsChanges: f.has('S'),
    label: f.has('Z'),
    color: o.color === 'age',
    bold: ['\x1b[1m', '\x1b[0m'],
    userName: (uid) => names.user(uid),
  });
  if (o.nsSort !== undefined) {
    // psmisc walks from init whatever PID or user was given; a namespace it could not read (0) is left out
    for (const { ns, roots } of forest.byNamespace(o.nsSort)) {
      if (ns === 0) continue;
      printer.raw(`[${ns}]\n`);
      for (const r of roots) printer.dump(r, 0, 1, true, true, 0, 0);
    }
  } else if (user === undefined) {
    printer.dump(forest.find(rootPid), 0, 1, true, true, 0, 0);
  } else {
    let dumped = false;
    const walk = (n: ReturnType<Forest['find']>): void => {
      if (!n) return;
      if (n.uid === user) {
        if (dumped) printer.raw('\n');
        printer.dump(n, 0, 1, true, true, user, 0);
        dumped = true;
        return;
      }
      for (const c of n.children) walk(c);
    };
    walk(forest.find(1));
    if (!dumped) {
      io.error('No processes found.\n');
      return 1;
    }
  }
  io.write(printer.text());
  return 0;
}

/**
 * --shared: on each edge, the kernel objects child and parent share (kcmp):
 * a thread shares them all, a forked child none, a vfork child the memory
 * while its parent waits, clone(CLONE_FILES) the descriptor table.
 */
function markShared(forest: Forest): void {
  const cmp = kcmpCall();
  for (const [child, parent] of forest.edges()) {
    if (!cmp) {
      child.shared = '-';
      continue;
    }
    const kinds = (['vm', 'files', 'fs', 'sighand'] as const).map((k) => [k, cmp(child.pid, parent.pid, k)] as const);
    if (kinds.some(([, r]) => r < 0)) child.shared = '-';
    else
      child.shared =
        kinds
          .filter(([, r]) => r === 0)
          .map(([k]) => (k === 'sighand' ? 'sig' : k))
          .join(',') || undefined;
  }
}

function threadsOf(procRoot: string, pid: number, ownNames: boolean, comm: string): { tid: number; comm: string }[] {
  const tids = taskIds(pid, procRoot);
  if (tids.length <= 1) return [];
  return tids.map((tid) => ({ tid, comm: latin1((ownNames && tid !== pid ? taskComm(pid, tid, procRoot) : undefined) ?? comm) }));
}
