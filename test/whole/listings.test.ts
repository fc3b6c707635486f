/**
 * Whole-system listings against the peers (issue 13): ps -elf, ps aux,
 * ps -eLf, pstree -p and lsof -n -P over every process on the machine, not
 * only over processes a test chose. The rule for rows that legitimately
 * change between two reads: the peer runs before and after dk; a row of dk's
 * must equal the row with the same key in one of the two peer listings, and
 * only keys present in all three listings are held to it (processes and
 * descriptors born or gone in between, and each tool's own process, are
 * not). The header must name the same columns (their widths follow rows
 * that come and go between the reads, e.g. another test's processes: exact
 * widths are held on the zoo by the differential tests), the common keys
 * must come in the same order, and most of the table must be common, so the
 * check cannot pass by comparing nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dk, run } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';

type Keyed = { header: string; rows: Map<string, string>; order: string[] };

type Key = (line: string, header: string) => string | undefined;

function keyed(out: string, key: Key, headerLines = 1): Keyed {
  const lines = out.replace(/\n$/, '').split('\n');
  const rows = new Map<string, string>();
  const order: string[] = [];
  const header = lines.slice(0, headerLines).join('\n');
  for (const l of lines.slice(headerLines)) {
    const k = key(l, header);
    if (k === undefined) continue;
    // a key seen twice (lsof's mem rows of one file) keeps every occurrence
    let kk = k;
    for (let i = 2; rows.has(kk); i++) kk = `${k}#${i}`;
    rows.set(kk, l);
    order.push(kk);
  }
  return { header, rows, order };
}

/** seconds in a time field ([[dd-]hh:]mm:ss), or a plain number, or undefined */
function numeric(v: string): number | undefined {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(v);
  return m ? ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3])) * 60 + Number(m[4]) : undefined;
}

/**
 * A row read between two of the peer's reads: a field the peer read the
 * same both times must be that; a field that moved meanwhile (%CPU and C of
 * a busy process, TIME, VSZ of one that allocates) is not held, beyond
 * being of the same kind (a number or time where the peer's are); and for a
 * process that changed at all between the reads, none of its moving columns
 * (state, wchan, CPU, sizes) is held.
 */
/** columns whose value a running process changes from one instant to the next */
const RATIO = new Set(['C', '%CPU']);
const MOVING = new Set(['S', 'STAT', 'WCHAN', 'C', '%CPU', '%MEM', 'TIME', 'VSZ', 'RSS', 'SZ', 'NLWP', 'SIZE/OFF']);

/** a kernel worker's name ends with the workqueue it last ran (kworker/1:1-events), which changes all the time */
const workqueue = (v: string) => v.replace(/^(\[?kworker\/[^-\]\s]+)-[^\]\s]*/, '$1');

function between(mine: string, before: string, after: string, header: string[]): boolean {
  if (mine === before || mine === after) return true;
  const [m, b, a] = [mine, before, after].map((l) => l.trim().split(/\s+/).map(workqueue));
  // the command line changed between the peer's reads (an exec; a daemon naming itself, as dk syslogd does as it
  // starts): ours is one of the two, of a process that was running, so its moving columns are not held
  if (m.length !== b.length || m.length !== a.length)
    return [b, a].some((c) => c.length === m.length && m.every((v, i) => MOVING.has(header[i] ?? '') || v === c[i]));
  // a process the peer saw change between its reads was running: its moving columns are not held
  const running = before !== after;
  // the state is a sample of one instant: an idle task caught running (R) or in a wait (D) by one read only
  const stateAt = header.findIndex((h) => h === 'S' || h === 'STAT');
  const caught = stateAt >= 0 && [m, b, a].some((f) => /^[RD]/.test(f[stateAt] ?? ''));
  return m.every((v, i) => {
    if (running && MOVING.has(header[i] ?? '')) return true;
    // a CPU share is a ratio taken at an instant: for a busy process it can dip and come back between two reads that agree
    if (RATIO.has(header[i] ?? '') && Math.abs(Number(v) - Number(b[i])) <= 1) return true;
    if (caught && (i === stateAt || header[i] === 'WCHAN')) return v.slice(1) === b[i].slice(1) || v.slice(1) === a[i].slice(1) || header[i] === 'WCHAN';
    // wchan is a sample of its own instant (stat's state another): '-' where the task was running just then
    if (header[i] === 'WCHAN' && [v, b[i], a[i]].includes('-')) return true;
    if (b[i] === a[i]) return v === b[i];
    if (v === b[i] || v === a[i]) return true;
    return numeric(v) !== undefined && numeric(b[i]) !== undefined && numeric(a[i]) !== undefined;
  });
}

/** the column titles a row has: by default the header's */
type Columns = (row: string, header: string) => string[];
const titles = (h: string) => h.trim().split(/\s+/);

function sandwich(tool: string, args: string[], key: Key, headerLines = 1, columns: Columns = (_r, h) => titles(h)): { common: number; total: number } {
  const before = keyed(run(tool, args).out, key, headerLines);
  const ours = keyed(dk([tool, ...args]).out, key, headerLines);
  const after = keyed(run(tool, args).out, key, headerLines);
  assert.deepEqual(titles(ours.header), titles(before.header), `${tool} ${args.join(' ')}: header`);
  const common = ours.order.filter((k) => before.rows.has(k) && after.rows.has(k));
  for (const k of common) {
    const mine = ours.rows.get(k)!;
    if (!between(mine, before.rows.get(k)!, after.rows.get(k)!, columns(mine, before.header))) {
      assert.fail(`${tool} ${args.join(' ')}: row ${k}\n  dk:     ${mine}\n  before: ${before.rows.get(k)}\n  after:  ${after.rows.get(k)}`);
    }
  }
  const theirOrder = before.order.filter((k) => common.includes(k));
  assert.deepEqual(common, theirOrder, `${tool} ${args.join(' ')}: order of the rows both have`);
  assert.ok(common.length >= 0.8 * ours.order.length, `${tool} ${args.join(' ')}: only ${common.length} of ${ours.order.length} rows in common`);
  // and the other way: a row the peer printed before and after dk ran was there while dk read
  const steady = before.order.filter((k) => after.rows.has(k));
  const missing = steady.filter((k) => !ours.rows.has(k));
  assert.ok(
    missing.length <= 0.01 * steady.length,
    `${tool} ${args.join(' ')}: ${missing.length} of the peer's ${steady.length} steady rows missing, e.g.\n  ${missing
      .slice(0, 5)
      .map((k) => before.rows.get(k))
      .join('\n  ')}`,
  );
  return { common: common.length, total: ours.order.length };
}

const field = (i: number) => (l: string) => l.trim().split(/\s+/)[i];

describe('whole-system listings, row by row against the peer read before and after', () => {
  test('ps -elf, ps aux, ps -eLf', (t) => {
    if (!requirePeer(t, 'ps', 'procps')) return;
    // keys: PID (ps -elf: 4th column, ps aux: 2nd), PID+LWP for -eLf
    const counts = [sandwich('ps', ['-elf'], field(3)), sandwich('ps', ['aux'], field(1)), sandwich('ps', ['-eLf'], (l) => `${field(1)(l)}/${field(3)(l)}`)];
    t.diagnostic(`rows compared: ${counts.map((c) => `${c.common}/${c.total}`).join(', ')}`);
  });

  test('pstree -p: each process under the same parent', (t) => {
    if (!requirePeer(t, 'pstree', 'psmisc')) return;
    // one edge per line with -l and -A: the key is the child's PID, the value its parent's
    const edges = (out: string): Map<string, string> => {
      const m = new Map<string, string>();
      const stack: { col: number; pid: string }[] = [];
      for (const line of out.split('\n')) {
        // a name starts after its connector (---, -+-, |- or `-), or after the indentation; it may hold
        // spaces ("zoo a\\b(123)"): its column is where it starts, and its PID the (digits) ending it
        let col = 0;
        for (const part of line.split(/(---|-\+-|\|-|`-)/)) {
          const start = col;
          col += part.length;
          if (/^(---|-\+-|\|-|`-)$/.test(part)) continue;
          const pid = /\((\d+)\)\s*$/.exec(part)?.[1];
          if (!pid) continue;
          const at = start + (/^[ |]*/.exec(part)?.[0].length ?? 0);
          while (stack.length && stack[stack.length - 1].col >= at) stack.pop();
          m.set(pid, stack.length ? stack[stack.length - 1].pid : '0');
          stack.push({ col: at, pid });
        }
      }
      return m;
    };
    const before = edges(run('pstree', ['-p', '-l', '-A']).out);
    const ours = edges(dk(['pstree', '-p', '-l', '-A']).out);
    const after = edges(run('pstree', ['-p', '-l', '-A']).out);
    let common = 0;
    for (const [pid, parent] of ours) {
      if (!before.has(pid) || !after.has(pid)) continue;
      common++;
      assert.ok(parent === before.get(pid) || parent === after.get(pid), `${pid}: parent ${parent}, pstree says ${before.get(pid)}`);
    }
    assert.ok(common >= 0.8 * ours.size, `only ${common} of ${ours.size} processes in common`);
    t.diagnostic(`processes compared: ${common}/${ours.size}`);
  });

  // with no selection lsof lists every thread's files too, as task rows (TID, TASKCMD)
  test('lsof -n -P: every descriptor of every process and task', (t) => {
    if (!requirePeer(t, 'lsof', 'lsof')) return;
    // a task row has a TID ending where the header's TID ends; a process row has blanks there
    const tidOf = (l: string, header: string) => {
      const end = header.indexOf(' TID ') + 4;
      return end < 4 ? undefined : /(\d+)$/.exec(l.slice(0, end))?.[1];
    };
    // key: PID, TID, FD and the end of the row (NODE, NAME) with the spacing taken out, as column widths may differ
    // between reads; a descriptor reused for another file is another row
    const key = (l: string, header: string) => {
      const f = l.trim().split(/\s+/);
      const tid = tidOf(l, header);
      return f.length > 4 ? `${f[1]}/${tid ?? ''}/${f[tid ? 5 : 3]}/${f.join(' ').slice(-60)}` : undefined;
    };
    const columns = (row: string, header: string) => titles(header).filter((h) => tidOf(row, header) || (h !== 'TID' && h !== 'TASKCMD'));
    const c = sandwich('lsof', ['-n', '-P'], key, 1, columns);
    t.diagnostic(`rows compared: ${c.common}/${c.total}`);
  });
});
