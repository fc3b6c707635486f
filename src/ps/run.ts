/**
 * dk ps: options -> selection -> snapshot (only the files the columns need)
 * -> order -> rows. I/O is injected so tests can run it in-process.
 */
import { snapshot, systemInfo } from '../proc/snapshot.js';
import type { StatDevice } from '../proc/tty.js';
import { nameCache, type NameCache } from '../proc/users.js';
import type { FieldName, ProcessInfo } from '../proc/types.js';
import { COLUMNS, type RenderContext } from './columns.js';
import { daemonColumn, DAEMON_FORMAT, isDaemon } from './daemons.js';
import { BSD_FORMATS, expand, parseFormatList, PsError, sysvList, type FormatNode } from './format.js';
import { layout, OUTBUF_SIZE, renderRow } from './layout.js';
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
    nodes = expand(BSD_FORMATS[r.bsdFormat], pw);
  } else if (r.daemons) {
    nodes = parseFormatList(DAEMON_FORMAT, pw);
  } else if (env.PS_FORMAT && !Object.values(r.sysv).some(Boolean)) {
    nodes = parseFormatList(env.PS_FORMAT, pw);
  } else {
    const s = r.sysv;
    nodes = expand(sysvList({ ...s, L: r.threads === 'L', T: r.threads === 'T', preferBsd: r.preferBsd }).join(','), pw);
  }
  if (r.context) nodes.unshift(...expand('label', pw));
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
  try {
    return list(r, io, procRoot, names);
  } catch (e) {
    if (!(e instanceof PsError)) throw e;
    io.error(`dk ps: error: ${e.message} (see 'dk ps --help')\n`);
    return 1;
  }
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
  if (r.daemons && r.lists.length === 0 && r.simple.size === 0) r.all = true;
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
  for (const s of r.sort) for (const f of COLUMNS.get(s.key)?.needs ?? []) fields.add(f);
  if (r.bsdE) fields.add('environ');
  if (r.daemons) fields.add('tty');

  // Selecting by PID alone needs only those PIDs read (procps reads them all).
  const onlyPids = !r.all && !r.negate && r.simple.size === 0 && r.lists.length > 0 && r.lists.every((l) => l.kind === 'pid');
  const pids = onlyPids ? [...new Set(r.lists.flatMap((l) => l.values.map(Number)))].sort((a, b) => a - b) : undefined;
  const snap = snapshot({ procRoot, etcRoot, devRoot: io.devRoot, statDevice: io.statDevice, fields: [...fields], threads: r.threads !== undefined, pids });
  let rows: ProcessInfo[] = snap.procs.filter(pred);
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
    bsdC: r.bsdC,
    bsdE: r.bsdE,
    cumulative: r.cumulative,
    numeric: r.numeric,
    wideSignals: false,
  };

  let ordered: { p: ProcessInfo; art: string }[];
  if (r.forest) {
    const unix = r.forest === 'unix';
    ordered = forest(rows, r.sort, ctx, unix).map((f) => ({ p: f.p, art: forestArt(f.prefix, unix) }));
  } else {
    ordered = sortRows(rows, r.sort, ctx).map((p) => ({ p, art: '' }));
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
  const showHeader = r.headers !== 'none' && nodes.some((n) => n.head !== '');
  const gap = r.headers === 'repeat' ? Math.max(1, (r.rows ?? io.tty?.rows ?? 24) - 1) : Infinity;
  const lines: string[] = [];
  const header = showHeader ? renderRow(lay, undefined, ctx, '') : undefined;
  if (header !== undefined) lines.push(header);
  let sinceHeader = 0;
  for (const { p, art } of ordered) {
    if (header !== undefined && sinceHeader === gap) {
      lines.push(header);
      sinceHeader = 0;
    }
    lines.push(renderRow(lay, p, ctx, art));
    sinceHeader++;
  }
  if (lines.length) io.write(`${lines.join('\n')}\n`);
  // procps exits 1 when nothing matched
  return ordered.length ? 0 : 1;
}
