/** Processes: every process, live at 1 Hz, sorted and filtered here; a tree (pstree) and a daemons view. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ProcessRow } from '../../shared/types.js';
import { live } from '../api.js';
import { kib, since } from './format.js';

type Row = ProcessRow;

const COLUMNS: [keyof Row, string][] = [
  ['pid', 'PID'],
  ['user', 'USER'],
  ['state', 'S'],
  ['cpu', '%CPU'],
  ['rss', 'RSS'],
  ['threads', 'THR'],
  ['start', 'START'],
  ['command', 'COMMAND'],
];

const NUMERIC = new Set<keyof Row>(['pid', 'cpu', 'rss', 'threads']);

/** Rows in tree order with their depth, children under parents as pstree draws them. */
function treeOrder(rows: Row[]): [Row, number][] {
  const kids = new Map<number, Row[]>();
  const pids = new Set(rows.map((r) => r.pid));
  for (const r of rows) {
    const parent = pids.has(r.ppid) ? r.ppid : 0;
    if (!kids.has(parent)) kids.set(parent, []);
    kids.get(parent)!.push(r);
  }
  const out: [Row, number][] = [];
  const walk = (pid: number, depth: number) => {
    for (const r of (kids.get(pid) ?? []).sort((a, b) => a.pid - b.pid)) {
      out.push([r, depth]);
      if (r.pid !== pid) walk(r.pid, depth + 1);
    }
  };
  walk(0, 0);
  return out;
}

export function ProcessesPage() {
  const [rows, setRows] = useState(new Map<number, Row>());
  const [sort, setSort] = useState<[keyof Row, number]>(['cpu', -1]);
  const [text, setText] = useState('');
  const [user, setUser] = useState('');
  const [state, setState] = useState('');
  const [view, setView] = useState<'list' | 'tree' | 'daemons'>('list');
  useEffect(
    () =>
      live.subscribe('processes', (m) => {
        setRows((prev) => {
          const next = m.full ? new Map<number, Row>() : new Map(prev);
          for (const pid of (m.gone as number[]) ?? []) next.delete(pid);
          for (const r of (m.rows as Row[]) ?? []) next.set(r.pid, r);
          return next;
        });
      }),
    [],
  );
  const shown = useMemo(() => {
    const t = text.toLowerCase();
    let list = [...rows.values()].filter(
      (r) =>
        (!t || r.command.toLowerCase().includes(t) || String(r.pid) === t) &&
        (!user || r.user === user) &&
        (!state || r.state === state) &&
        (view !== 'daemons' || r.daemon === 'TGPS'),
    );
    const [key, dir] = sort;
    list = list.sort((a, b) => (a[key] < b[key] ? -dir : a[key] > b[key] ? dir : a.pid - b.pid));
    return view === 'tree' ? treeOrder(list) : list.map((r) => [r, 0] as [Row, number]);
  }, [rows, sort, text, user, state, view]);
  const users = useMemo(() => [...new Set([...rows.values()].map((r) => r.user))].sort(), [rows]);
  return (
    <section>
      <div class="toolbar">
        <input placeholder="filter: command or PID" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <select value={user} onChange={(e) => setUser(e.currentTarget.value)} aria-label="user">
          <option value="">all users</option>
          {users.map((u) => (
            <option key={u}>{u}</option>
          ))}
        </select>
        <select value={state} onChange={(e) => setState(e.currentTarget.value)} aria-label="state">
          <option value="">all states</option>
          {['R', 'S', 'D', 'Z', 'T', 'I'].map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        {(['list', 'tree', 'daemons'] as const).map((v) => (
          <button key={v} type="button" class={view === v ? 'on' : ''} onClick={() => setView(v)}>
            {v}
          </button>
        ))}
        <span class="muted">
          {shown.length} of {rows.size} processes
        </span>
      </div>
      <table class="procs">
        <thead>
          <tr>
            {COLUMNS.map(([k, h]) => (
              <th key={k} class={NUMERIC.has(k) ? 'num' : ''} onClick={() => setSort([k, sort[0] === k ? -sort[1] : k === 'cpu' || k === 'rss' ? -1 : 1])}>
                {h}
                {sort[0] === k ? (sort[1] > 0 ? ' ▲' : ' ▼') : ''}
              </th>
            ))}
            {view === 'daemons' && <th>DAEMON</th>}
          </tr>
        </thead>
        <tbody>
          {shown.slice(0, 2000).map(([r, depth]) => (
            <tr key={r.pid} data-pid={r.pid}>
              <td class="num">
                <a href={`#/process/${r.pid}`}>{r.pid}</a>
              </td>
              <td>{r.user}</td>
              <td>{r.state}</td>
              <td class="num">{r.cpu.toFixed(1)}</td>
              <td class="num">{kib(r.rss)}</td>
              <td class="num">{r.threads}</td>
              <td>{since(r.start)}</td>
              <td class="cmd" style={{ paddingLeft: `${0.4 + depth * 1.2}em` }}>
                <div title={r.command}>
                  {depth ? '└ ' : ''}
                  {r.command}
                </div>
              </td>
              {view === 'daemons' && <td>{r.daemon}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
