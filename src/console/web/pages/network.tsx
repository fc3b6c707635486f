/** Network services: dk inetd's services, dk rpcbind's registrations, dk syslogd's inputs, actions and queues. */
import { useEffect, useState } from 'preact/hooks';
import { live } from '../api.js';

// the shapes are the daemons' own status objects (README: The status object)
type Status = { pid: number; summary: string; detail: Record<string, unknown> } | undefined;

export function NetworkPage() {
  const [s, setS] = useState<{ inetd: Status; rpcbind: Status; syslogd: Status }>();
  useEffect(() => live.subscribe('network', (m) => setS(m as never)), []);
  if (!s) return <p class="muted">asking the daemons…</p>;
  const inetd = s.inetd?.detail as
    | { services: { id: string; listeners: string[]; active: { pid: number; client?: string }[]; started: number; refused: Record<string, number> }[] }
    | undefined;
  const rpc = s.rpcbind?.detail as { registrations: { program: number; version: number; netid: string; address: string; owner: string }[] } | undefined;
  const sys = s.syslogd?.detail as
    | {
        inputs: { kind: string; address: string; messages: number; kernelDrops?: number }[];
        actions: { action: string; written: number; dropped: number; queued?: number; lastError?: { message: string } }[];
        flowControl: { paused: boolean };
      }
    | undefined;
  return (
    <section>
      <h2>
        dk inetd{' '}
        {s.inetd ? (
          <span class="muted">
            pid {s.inetd.pid}: {s.inetd.summary}
          </span>
        ) : (
          <span class="muted">not running</span>
        )}
      </h2>
      {inetd && (
        <table>
          <thead>
            <tr>
              <th>SERVICE</th>
              <th>LISTENING</th>
              <th>ACTIVE</th>
              <th>STARTED</th>
              <th>REFUSED</th>
            </tr>
          </thead>
          <tbody>
            {inetd.services.map((v) => (
              <tr key={v.id}>
                <td>{v.id}</td>
                <td>{v.listeners.join(' ')}</td>
                <td>{v.active.map((a) => `${a.client ?? '?'}${a.pid ? ` (pid ${a.pid})` : ''}`).join(', ') || '0'}</td>
                <td class="num">{v.started}</td>
                <td>
                  {Object.entries(v.refused)
                    .map(([k, n]) => `${k} ${n}`)
                    .join(', ') || '0'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>
        dk rpcbind{' '}
        {s.rpcbind ? (
          <span class="muted">
            pid {s.rpcbind.pid}: {s.rpcbind.summary}
          </span>
        ) : (
          <span class="muted">not running</span>
        )}
      </h2>
      {rpc && (
        <table>
          <thead>
            <tr>
              <th>PROGRAM</th>
              <th>VERSION</th>
              <th>NETID</th>
              <th>ADDRESS</th>
              <th>OWNER</th>
            </tr>
          </thead>
          <tbody>
            {rpc.registrations.map((r) => (
              <tr key={`${r.program}-${r.version}-${r.netid}`}>
                <td class="num">{r.program}</td>
                <td class="num">{r.version}</td>
                <td>{r.netid}</td>
                <td>{r.address}</td>
                <td>{r.owner}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>
        dk syslogd{' '}
        {s.syslogd ? (
          <span class="muted">
            pid {s.syslogd.pid}: {s.syslogd.summary}
          </span>
        ) : (
          <span class="muted">not running</span>
        )}
      </h2>
      {sys && (
        <>
          {sys.flowControl.paused && <p class="alert">inputs paused: an action is behind</p>}
          <table>
            <thead>
              <tr>
                <th>INPUT</th>
                <th>MESSAGES</th>
                <th>KERNEL DROPS</th>
              </tr>
            </thead>
            <tbody>
              {sys.inputs.map((i) => (
                <tr key={`${i.kind}:${i.address}`}>
                  <td>
                    {i.kind} {i.address}
                  </td>
                  <td class="num">{i.messages}</td>
                  <td class="num">{i.kernelDrops ?? '-'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <thead>
              <tr>
                <th>ACTION</th>
                <th>WRITTEN</th>
                <th>DROPPED</th>
                <th>QUEUED</th>
                <th>LAST ERROR</th>
              </tr>
            </thead>
            <tbody>
              {sys.actions.map((a) => (
                <tr key={a.action}>
                  <td>{a.action}</td>
                  <td class="num">{a.written}</td>
                  <td class="num">{a.dropped}</td>
                  <td class="num">{a.queued ?? '-'}</td>
                  <td>{a.lastError?.message ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
