/** One process: what it is, its threads, open files and sockets, libraries and ELF facts, limits; signal and renice. */
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { kib } from './format.js';

interface Detail {
  info: Record<string, unknown> & {
    pid: number;
    comm: string;
    cmdline?: string[];
    user?: string;
    state: string;
    nice: number;
    rss: number;
    exe?: string;
    cwd?: string;
    cgroup?: string;
    ppid: number;
    nlwp: number;
  };
  threads: { tid: number; comm: string; state: string; utime: number; stime: number; processor: number }[];
  files: { fd: string; type: string; device: string; size: string; node: string; name: string }[];
  exe?: { path: string; machine: string; type: string; linking: string; interpreter?: string; needed: string[]; sections: { name: string; size: number }[] };
  limits?: { name: string; soft: string; hard: string; units: string }[];
  environ?: string[];
}

const SIGNALS = ['TERM', 'HUP', 'STOP', 'CONT', 'KILL'];

export function ProcessPage({ pid, admin }: { pid: number; admin: boolean }) {
  const [d, setD] = useState<Detail>();
  const [error, setError] = useState('');
  const [note, setNote] = useState('');
  const [nice, setNice] = useState('');
  const load = () =>
    get<Detail>(`/api/processes/${pid}`).then(
      (x) => {
        setD(x);
        setError('');
      },
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    load();
    const t = setInterval(load, 2000);
    return () => clearInterval(t);
  }, [pid]);
  const act = (path: string, body: unknown, what: string) =>
    post(path, body).then(
      () => setNote(`${what}: done`),
      (e: Error) => setNote(`${what}: ${e.message}`),
    );
  if (error && !d) return <p class="error">{error}</p>;
  if (!d) return <p class="muted">loading…</p>;
  const i = d.info;
  const sections = (d.exe?.sections ?? []).filter((s) => ['.text', '.data', '.rodata', '.bss'].includes(s.name));
  return (
    <section>
      <h2>
        {i.pid} {i.comm} <span class="muted">{error}</span>
      </h2>
      <p class="facts">
        {(i.cmdline ?? []).join(' ') || `[${i.comm}]`} · user {i.user} · state {i.state} · nice {i.nice} · RSS {kib(i.rss)} · {i.nlwp} threads · parent{' '}
        <a href={`#/process/${i.ppid}`}>{i.ppid}</a>
      </p>
      <p class="facts">
        exe {i.exe ?? '-'} · cwd {i.cwd ?? '-'} · cgroup {i.cgroup ?? '-'}
      </p>
      {admin && (
        <div class="toolbar">
          {SIGNALS.map((s) => (
            <button key={s} type="button" class={s === 'KILL' ? 'danger' : ''} onClick={() => act(`/api/processes/${pid}/signal`, { signal: s }, `SIG${s}`)}>
              {s}
            </button>
          ))}
          <input aria-label="nice" placeholder="nice" size={4} value={nice} onInput={(e) => setNice(e.currentTarget.value)} />
          <button type="button" onClick={() => act(`/api/processes/${pid}/renice`, { nice: Number(nice) }, `renice ${nice}`)}>
            renice
          </button>
          <span class="note">{note}</span>
        </div>
      )}
      <h3>Threads ({d.threads.length})</h3>
      <table>
        <thead>
          <tr>
            <th>TID</th>
            <th>NAME</th>
            <th>S</th>
            <th>CPU</th>
            <th>TICKS</th>
          </tr>
        </thead>
        <tbody>
          {d.threads.map((t) => (
            <tr key={t.tid}>
              <td class="num">{t.tid}</td>
              <td>{t.comm}</td>
              <td>{t.state}</td>
              <td class="num">{t.processor}</td>
              <td class="num">{t.utime + t.stime}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Open files and sockets ({d.files.length})</h3>
      <table>
        <thead>
          <tr>
            <th>FD</th>
            <th>TYPE</th>
            <th>DEVICE</th>
            <th>SIZE/OFF</th>
            <th>NODE</th>
            <th>NAME</th>
          </tr>
        </thead>
        <tbody>
          {d.files.map((f) => (
            <tr key={`${f.fd}${f.name}`}>
              <td>{f.fd}</td>
              <td>{f.type}</td>
              <td>{f.device}</td>
              <td class="num">{f.size}</td>
              <td class="num">{f.node}</td>
              <td class="cmd">{f.name}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {d.exe && (
        <>
          <h3>Executable</h3>
          <p class="facts">
            {d.exe.path}: {d.exe.machine} {d.exe.type}, {d.exe.linking}
            {d.exe.interpreter ? `, loader ${d.exe.interpreter}` : ''} · needs {d.exe.needed.join(', ') || 'nothing'} ·{' '}
            {sections.map((s) => `${s.name} ${s.size}`).join(', ')}
          </p>
        </>
      )}
      {d.limits && (
        <>
          <h3>Limits</h3>
          <table>
            <tbody>
              {d.limits.map((l) => (
                <tr key={l.name}>
                  <td>{l.name}</td>
                  <td class="num">{l.soft}</td>
                  <td class="num">{l.hard}</td>
                  <td>{l.units}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {d.environ && (
        <>
          <h3>Environment</h3>
          <pre>{d.environ.join('\n')}</pre>
        </>
      )}
    </section>
  );
}
