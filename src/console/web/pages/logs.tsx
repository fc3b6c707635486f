/** Logs: live tail of the store with journalctl's filters, pausing, and paging back by id. */
import { useEffect, useState } from 'preact/hooks';
import { get, live } from '../api.js';

interface LogLine {
  id: number;
  severity: number;
  line: string;
}

const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

export function LogsPage() {
  const [rows, setRows] = useState<LogLine[]>([]);
  const [paused, setPaused] = useState(false);
  const [error, setError] = useState('');
  const [next, setNext] = useState<string | undefined>();
  const [form, setForm] = useState({ tag: '', priority: '', facility: '', host: '', since: '', until: '', grep: '' });
  const [query, setQuery] = useState<Record<string, string>>({});
  const qs = (q: Record<string, string>) => new URLSearchParams(Object.entries(q).filter(([, v]) => v)).toString();
  useEffect(() => {
    setRows([]);
    get<{ rows: LogLine[]; next?: string }>(`/api/logs?${qs({ ...query, limit: '200' })}`).then(
      (r) => {
        setRows(r.rows.reverse());
        setNext(r.next);
        setError('');
      },
      (e: Error) => setError(e.message),
    );
    if (paused) return;
    return live.subscribe(
      'logs',
      (m) => {
        if (m.error) return setError(String(m.error));
        setRows((prev) => [...prev, ...(m.rows as LogLine[])].slice(-2000));
      },
      Object.fromEntries(Object.entries(query).filter(([, v]) => v)),
    );
  }, [query, paused]);
  const older = () =>
    next !== undefined &&
    get<{ rows: LogLine[]; next?: string }>(`/api/logs?${qs({ ...query, before: next, limit: '200' })}`).then(
      (r) => {
        setRows((prev) => [...r.rows.reverse(), ...prev]);
        setNext(r.next);
      },
      (e: Error) => setError(e.message),
    );
  const field = (k: keyof typeof form, label: string, placeholder = '') => (
    <label>
      {label} <input name={k} placeholder={placeholder} value={form[k]} onInput={(e) => setForm({ ...form, [k]: e.currentTarget.value })} />
    </label>
  );
  return (
    <section>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ ...form });
        }}
      >
        {field('tag', 'unit/tag', 'sshd,cron')}
        <label>
          priority{' '}
          <select name="priority" value={form.priority} onChange={(e) => setForm({ ...form, priority: e.currentTarget.value })}>
            <option value="">any</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l} and above
              </option>
            ))}
          </select>
        </label>
        {field('facility', 'facility', 'auth,mail')}
        {field('host', 'host')}
        {field('since', 'since', '2026-11-30 10:00')}
        {field('until', 'until')}
        {field('grep', 'regex')}
        <button type="submit">Apply</button>
        <button type="button" class={paused ? 'on' : ''} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </form>
      {error && <p class="error">{error}</p>}
      {next !== undefined && (
        <button type="button" onClick={older}>
          older lines
        </button>
      )}
      <pre class="log">
        {rows.map((r) => (
          <div key={r.id} class={`sev${r.severity}`}>
            {r.line}
          </div>
        ))}
      </pre>
    </section>
  );
}
