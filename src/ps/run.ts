/**
 * dk ps: options -> selection -> snapshot (only the files the columns need)
 * -> order -> rows. I/O is injected so tests can run it in-process.
 */
import { snapshot, systemInfo } from '../proc/snapshot.js';
import type { StatDevice } from '../proc/tty.js';
import { nameCache, type NameCache } from '../proc/users.js';
import type { FieldName, ProcessInfo } from '../proc/types.js';
import { sortItem } from './sortkeys.js';
import { COLUMNS, SHARING_KIND, specifierList, type RenderContext } from './columns.js';
import { systemShareGroups } from '../proc/kcmp.js';
import { daemonColumn, DAEMON_FORMAT, isDaemon } from './daemons.js';
import { KERNEL_FORMAT } from './kernel.js';
import { BSD_FORMATS, expand, parseFormatList, PsError, sysvList, type FormatNode } from './format.js';
import { layout, type LineKind, OUTBUF_SIZE, renderRow } from './layout.js';
import { parseArgs, type PsRequest, type SelectList } from './options.js';
import { forest, forestArt, sortRows } from './order.js';
import { ownTty, selector, ttyDevice } from './select.js';
import { charsetFromEnv } from './text.js';

export interface PsIO {
  write(s: string): void;
  error(s: string): void;
  env: NodeJS.ProcessEnv;
  /** terminal size when stdout is a terminal */
  tty?: { columns: number; rows: number };
  procRoot?: string;
  devRoot?: string;
  /** stands in for stat(2) on terminal device nodes (fixture trees) */
  statDevice?: StatDevice;
  euid?: number;
  now?: number;
}

export const PS_HELP = `Usage: dk ps [options]

Selection:  -e -A all   -a -d   a x g   r running   -N --deselect
            -p/p/--pid LIST  --ppid LIST  -s/--sid LIST  -t/t/--tty LIST  T
            -u/U/--user LIST  -U/--User LIST  -g LIST  -G/--Group LIST  --group LIST
            -C NAMES  -q/q/--quick-pid LIST  NUMBERS (PIDs)
Format:     -f -F -l -j -c -y -P -H   u l j s v X   -o/o/--format LIST  -O/O LIST
            -L -T H (threads)  f --forest  c e S n  w ww --cols N
            --sort/k [+-]KEY,...  --no-headers h  --headers  -M -Z --context
daemonkit:  --json (rows as JSON)  --daemons (daemon-like processes)  --why (daemon traits)
            --kernel (kernel threads and their roles: kswapd, writeback, keventd ...)
            -o vmgrp,filesgrp,fsgrp,sighgrp,iogrp,semgrp (what a task shares: kcmp)
`;

export const PS_VERSION = 'dk ps (daemonkit), compatible with procps-ng 4.0.2';

function pidWidth(pidMax: number): number {
  return String(pidMax).length;
}

function buildFormat(r: PsRequest, env: NodeJS.ProcessEnv, pw: number): FormatNode[] {
  let nodes: FormatNode[];
  if (r.formats.length) {
    nodes = r.formats.flatMap((f) => parseFormatList(f, pw));
  } else if (r.formatsO.length) {
    const bsd = r.formatsO.every((o) => o.bsd);
    nodes = [...expand('pid', pw), ...r.formatsO.flatMap((o) => parseFormatList(o.list, pw)), ...expand(bsd ? 'END_BSD' : 'END_SYS5', pw)];
  } else if (r.bsdFormat) {
    nodes = threadColumns(expand(BSD_FORMATS[r.bsdFormat], pw), r, pw);
  } else if (r.daemons) {
    nodes = parseFormatList(DAEMON_FORMAT, pw);
  } else if (r.kernel) {
    nodes = parseFormatList(KERNEL_FORMAT, pw);
  } else if (env.PS_FORMAT && !Object.values(r.sysv).some(Boolean)) {
    nodes = parseFormatList(env.PS_FORMAT, pw);
  } else {
    const s = r.sysv;
    nodes = expand(sysvList({ ...s, L: r.threadOpts.L, T: r.threadOpts.T, preferBsd: r.preferBsd }).join(','), pw);
  }
  if (r.context) nodes.unshift(...expand('label', pw));
  return nodes;
}

/** -T and -L add their columns to the BSD formats as procps does: SPID after PID, LWP after the first of SID..PID, NLWP after %CPU */
function threadColumns(nodes: FormatNode[], r: PsRequest, pw: number): FormatNode[] {
  const after = (heads: string[], spec: string): void => {
    for (const h of heads) {
      const at = nodes.findIndex((n) => n.head === h);
      if (at >= 0) {
        nodes.splice(at + 1, 0, ...expand(spec, pw));
        return;
      }
    }
  };
  if (r.threadOpts.T) after(['PID'], 'spid');
  if (r.threadOpts.L) {
    after(['SID', 'SESS', 'PGID', 'PGRP', 'PPID', 'PID'], 'lwp');
    after(['%CPU'], 'nlwp');
  }
  return nodes;
}

function screenWidth(r: PsRequest, io: PsIO): number {
  let cols = io.tty ? io.tty.columns || 80 : OUTBUF_SIZE;
  const env = Number(io.env.COLUMNS);
  if (io.env.COLUMNS && Number.isInteger(env) && env > 0 && env < OUTBUF_SIZE) cols = env;
  if (r.cols) cols = r.cols;
  if (r.wide === 1 && cols < 132) cols = 132;
  if (r.wide >= 2) cols = OUTBUF_SIZE;
  return cols;
}

function jsonValue(text: string): string | number {
  const t = text.trim();
  return /^-?[0-9]+(\.[0-9]+)?$/.test(t) && t.length < 16 ? Number(t) : t;
}

export function runPs(argv: string[], io: PsIO): number {
  let r: PsRequest;
  const procRoot = io.procRoot ?? '/proc';
  const names = nameCache(procRoot === '/proc' ? '/etc' : `${procRoot}/../etc`);
  try {
    r = parseArgs(argv, (l) => checkNames(l, names));
  } catch (e) {
    if (!(e instanceof PsError)) throw e;
    io.error(`dk ps: error: ${e.message} (see 'dk ps --help')\n`);
    return 1;
  }
  if (r.help !== undefined) {
    io.write(PS_HELP);
    return 0;
  }
  if (r.version) {
    io.write(`${PS_VERSION}\n`);
    return 0;
  }
  if (r.listSpecifiers) {
    io.write(specifierList());
    return 0;
  }
  const quick = quickConflict(r);
  if (quick) {
    io.error(`dk ps: ${quick}\n`);
    return 1;
  }
  try {
    return list(r, io, procRoot, names);
  } catch (e) {
    if (!(e instanceof PsError)) throw e;
    io.error(`dk ps: error: ${e.message} (see 'dk ps --help')\n`);
    return 1;
  }
}

/**
 * procps sorts by an item only when something registered it: a displayed
 * column or a sort key whose printing reads it. Some specifiers sort by an
 * item their own printing does not read (fgid by the kernel flags, vsize by
 * the size in bytes, tty4 by the terminal name), so without a column that
 * reads it such a key leaves the order alone.
 */
const BORROWED: Record<string, string[]> = {
  fgid: ['f', 'flag', 'flags'],
  // procps prints these as '-': they sort only when size, or a code-segment column, reads their item
  vm_data: ['size'],
  vm_stack: ['size'],
  end_code: ['drs', 'dsiz', 'm_drs', 'm_trs', 'trs', 'trss', 'tsiz'],
  start_code: ['drs', 'dsiz', 'm_drs', 'm_trs', 'trs', 'trss', 'tsiz'],
  vsize: ['drs', 'dsiz', 'm_drs', 'm_size', 'm_trs', 'size', 'trs', 'trss', 'tsiz'],
  tty4: ['longtname', 'tname', 'tt', 'tty', 'tty8'],
};
function effectiveSort(keys: PsRequest['sort'], nodes: FormatNode[]): PsRequest['sort'] {
  const present = new Set([...nodes.map((n) => n.col.name), ...keys.map((k) => k.key)]);
  return keys.filter((k) => !BORROWED[k.key] || BORROWED[k.key].some((x) => present.has(x)));
}

/**
 * The kcmp groups the sharing columns show, over every task on the system
 * (a vfork child's memory is its parent's even when the parent is not listed).
 */
function addSharing(procs: ProcessInfo[], nodes: FormatNode[], procRoot: string): void {
  const kinds = [...new Set(nodes.map((n) => SHARING_KIND[n.col.name]).filter((k) => k !== undefined))];
  const groups = systemShareGroups(kinds, procRoot);
  if (!groups) return;
  for (const p of procs) {
    p.sharing = {};
    for (const [kind, g] of groups) {
      const v = g.get(kind === 'vm' || kind === 'sighand' ? p.pid : p.tid);
      if (v !== undefined) p.sharing[kind] = v;
    }
  }
}

/** -q lists PIDs read directly, in the order given: procps refuses it with what needs the whole table. */
function quickConflict(r: PsRequest): string | undefined {
  const quick = r.lists.filter((l) => l.quick).length;
  if (!quick) return undefined;
  if (quick > 1) return 'q/-q/--quick-pid can only be used once.';
  if (r.lists.length > quick) return 'q/-q/--quick-pid cannot be combined with other selection options.';
  if (r.forest) return 'q/-q/--quick-pid cannot be used together with forest type listings.';
  if (r.sort.length) return 'q/-q,--quick-pid cannot be used together with sort options.';
  if (r.negate) return 'q/-q/--quick-pid cannot be used together with negation switches.';
  return undefined;
}

/** procps resolves user and group names while parsing, so "-aux" can fall back to BSD. */
function checkNames(l: SelectList, names: NameCache): void {
  const users = l.kind === 'euid' || l.kind === 'ruid';
  const groups = l.kind === 'egid' || l.kind === 'rgid';
  if (!users && !groups) return;
  for (const v of l.values) {
    if (/^[0-9]+$/.test(v)) continue;
    if (users && names.uidOf(v) === undefined) throw new PsError('user name does not exist');
    if (groups && names.gidOf(v) === undefined) throw new PsError('group name does not exist');
  }
}

function list(r: PsRequest, io: PsIO, procRoot: string, names: NameCache): number {
  const etcRoot = procRoot === '/proc' ? '/etc' : `${procRoot}/../etc`;
  // --daemons looks at the whole machine unless told otherwise
  if ((r.daemons || r.kernel) && r.lists.length === 0 && r.simple.size === 0) r.all = true;
  const { pred, needs } = selector(r, {
    euid: io.euid ?? process.geteuid?.() ?? 0,
    myTty: ownTty(procRoot),
    names,
    ttyDevice: (n) => ttyDevice(n, io.devRoot, io.statDevice),
  });
  // pid_max decides PID column widths; read it before building the format
  const nodes = buildFormat(r, io.env, pidWidth(systemInfo(procRoot).pidMax));

  const fields = new Set<FieldName>(needs);
  for (const n of nodes) for (const f of n.col.needs) fields.add(f);
  for (const s of r.sort) for (const f of sortItem(s.key)?.needs ?? COLUMNS.get(s.key)?.needs ?? []) fields.add(f);
  if (r.bsdE) fields.add('environ');
  if (r.daemons) fields.add('tty');

  // Selecting by PID alone needs only those PIDs read (procps reads them all).
  const onlyPids = !r.all && !r.negate && r.simple.size === 0 && r.lists.length > 0 && r.lists.every((l) => l.kind === 'pid');
  const quickList = r.lists[0]?.quick && !r.all && r.simple.size === 0 ? r.lists[0].values.map(Number) : undefined;
  const pids = quickList ?? (onlyPids ? [...new Set(r.lists.flatMap((l) => l.values.map(Number)))].sort((a, b) => a - b) : undefined);
  // procps reads threads for a sorted listing only under H: -L, -T, -m and m then show processes alone
  const fancy = r.sort.length > 0 || r.forest !== undefined;
  const tasks = r.threads === 'H' || (r.threads !== undefined && !fancy);
  const snap = snapshot({ procRoot, etcRoot, devRoot: io.devRoot, statDevice: io.statDevice, fields: [...fields], threads: tasks, pids });
  if (fields.has('sharing')) addSharing(snap.procs, nodes, procRoot);
  let rows: ProcessInfo[] = snap.procs.filter(pred);
  if (r.kernel) rows = rows.filter((p) => p.kernelThread);
  let byPid: Map<number, ProcessInfo> | undefined;
  if (r.daemons || r.why) {
    byPid = new Map(snap.procs.filter((p) => p.pid === p.tid).map((p) => [p.pid, p]));
    if (r.daemons) rows = rows.filter((p) => isDaemon(p, byPid!));
    if (r.why) {
      const col = daemonColumn(byPid);
      const at = nodes.findIndex((n) => n.col.just === 'X');
      nodes.splice(at < 0 ? nodes.length : at, 0, { col, head: col.head, width: col.width, just: col.just });
    }
  }

  const ctx: RenderContext = {
    sys: snap.sys,
    now: io.now ?? Math.floor(Date.now() / 1000),
    charset: charsetFromEnv(io.env),
    maxRight: 0,
    forestPrefix: '',
    forestUnit: r.forest === 'unix' ? 2 : 4,
    bsdC: r.bsdC,
    bsdE: r.bsdE,
    cumulative: r.cumulative,
    numeric: r.numeric,
    wideSignals: false,
  };

  const sortKeys = effectiveSort(r.sort, nodes);
  let ordered: { p: ProcessInfo; art: string; kind?: LineKind }[];
  if (r.forest) {
    const unix = r.forest === 'unix';
    ordered = forest(rows, sortKeys, ctx, unix, r.sort.length > 0).map((f) => ({ p: f.p, art: forestArt(f.prefix, unix) }));
  } else if (r.threads === 'm' && tasks) {
    ordered = processThenTasks(snap.procs, pred);
  } else {
    const kind: LineKind = r.threads === 'm' ? 'process' : undefined;
    ordered = sortRows(rows, sortKeys, ctx).map((p) => ({ p, art: '', kind }));
  }

  if (r.json) {
    const wide = { ...ctx, maxRight: OUTBUF_SIZE, forestPrefix: '' };
    const out = ordered.map(({ p }) => {
      const o: Record<string, string | number> = {};
      for (const n of nodes) o[n.col.name] = jsonValue(n.col.print(p, wide));
      return o;
    });
    io.write(`${JSON.stringify(out, null, 2)}\n`);
    return ordered.length ? 0 : 1;
  }

  const lay = layout(nodes, screenWidth(r, io));
  // --headers prints the header even when every column's is empty
  const showHeader = r.headers === 'repeat' || (r.headers !== 'none' && nodes.some((n) => n.head !== ''));
  const gap = r.headers === 'repeat' ? Math.max(1, (r.rows ?? io.tty?.rows ?? 24) - 1) : Infinity;
  const lines: string[] = [];
  const header = showHeader ? renderRow(lay, undefined, ctx, '') : undefined;
  if (header !== undefined) lines.push(header);
  let sinceHeader = 0;
  // procps's lines_to_next_header, which its test columns read
  let countdown = header !== undefined ? 1 : -1;
  for (const { p, art, kind } of ordered) {
    if (header !== undefined && sinceHeader === gap) {
      lines.push(header);
      sinceHeader = 0;
    }
    if (--countdown === 0) countdown = r.headers === 'repeat' ? gap : -1;
    ctx.headerCountdown = countdown;
    lines.push(renderRow(lay, p, ctx, art, kind));
    sinceHeader++;
  }
  if (lines.length) io.write(`${lines.join('\n')}\n`);
  // procps exits 1 when nothing matched
  return ordered.length ? 0 : 1;
}

/**
 * The m and -m listing: tasks ordered by process (and by start within
 * one), each selected process's line (its leader's record, with per-thread
 * columns as '-') followed by a line per task (per-process columns as '-').
 */
function processThenTasks(tasks: ProcessInfo[], pred: (p: ProcessInfo) => boolean): { p: ProcessInfo; art: string; kind: LineKind }[] {
  const sorted = [...tasks].sort((a, b) => a.startTicks - b.startTicks).sort((a, b) => a.pid - b.pid);
  const out: { p: ProcessInfo; art: string; kind: LineKind }[] = [];
  for (let i = 0; i < sorted.length; ) {
    const lead = sorted[i];
    if (!pred(lead)) {
      i++;
      continue;
    }
    out.push({ p: lead, art: '', kind: 'process' });
    for (; i < sorted.length && sorted[i].pid === lead.pid; i++) out.push({ p: sorted[i], art: '', kind: 'task' });
  }
  return out;
}
