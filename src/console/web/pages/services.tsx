/** Services: dk init's units, live, with start / stop / restart / reload and each unit's own log lines. */
import { useEffect, useState } from 'preact/hooks';
import { get, live, post } from '../api.js';

interface Unit {
  name: string;
  kind: string;
  state: string;
  pid?: number;
  description?: string;
  result?: string;
  restarts: number;
  since: number;
}

interface LogLine {
  id: number;
  line: string;
}

function UnitLogs({ unit }: { unit: string }) {
  const [rows, setRows] = useState<LogLine[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    get<{ rows: LogLine[] }>(`/api/logs?unit=${encodeURIComponent(unit.replace(/\.service$/, ''))}&limit=20`).then(
      (r) => setRows(r.rows.reverse()),
      (e: Error) => setError(e.message),
    );
  }, [unit]);
  if (error) return <p class="muted">{error}</p>;
  return <pre class="log">{rows.map((r) => r.line).join('\n') || 'no lines'}</pre>;
}

export function ServicesPage({ admin }: { admin: boolean }) {
  const [units, setUnits] = useState<Unit[]>([]);
  const [target, setTarget] = useState('');
  const [error, setError] = useState('');
  const [note, setNote] = useState('');
  const [open, setOpen] = useState('');
  useEffect(
    () =>
      live.subscribe('services', (m) => {
        if (m.error) return setError(String(m.error));
        setError('');
        setUnits((m.units as Unit[]) ?? []);
        setTarget(String(m.target ?? ''));
      }),
    [],
  );
  const act = (unit: string, action: string) =>
    post(`/api/services/${encodeURIComponent(unit)}/${action}`).then(
      () => setNote(`${action} ${unit}: done`),
      (e: Error) => setNote(`${action} ${unit}: ${e.message}`),
    );
  return (
    <section>
      <h2>Services {target && <span class="muted">({target})</span>}</h2>
      {error && <p class="error">{error}</p>}
      <p class="note">{note}</p>
      <table class="units">
        <thead>
          <tr>
            <th>UNIT</th>
            <th>STATE</th>
            <th class="num">PID</th>
            <th>SINCE</th>
            <th class="num">RESTARTS</th>
            <th>DESCRIPTION</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {units.map((u) => (
            <>
              <tr key={u.name} data-unit={u.name} class={u.state === 'failed' ? 'failed' : ''}>
                <td>
                  <button type="button" class="link" onClick={() => setOpen(open === u.name ? '' : u.name)}>
                    {u.name}
                  </button>
                </td>
                <td class="state">
                  {u.state}
                  {u.result ? ` (${u.result})` : ''}
                </td>
                <td class="num">{u.pid ? <a href={`#/process/${u.pid}`}>{u.pid}</a> : '-'}</td>
                <td>{new Date(u.since).toLocaleTimeString()}</td>
                <td class="num">{u.restarts}</td>
                <td>{u.description}</td>
                <td>
                  {admin &&
                    u.kind === 'service' &&
                    ['start', 'stop', 'restart', 'reload'].map((a) => (
                      <button key={a} type="button" onClick={() => act(u.name, a)}>
                        {a}
                      </button>
                    ))}
                </td>
              </tr>
              {open === u.name && (
                <tr key={`${u.name}-log`}>
                  <td colSpan={7}>
                    <UnitLogs unit={u.name} />
                  </td>
                </tr>
              )}
            </>
          ))}
        </tbody>
      </table>
    </section>
  );
}
