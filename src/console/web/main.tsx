/** The console page: log in, then the pages by the hash (#/processes, #/process/PID, ...). */
import { type JSX, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { login, logout, session, type SessionInfo } from './api.js';
import { LogsPage } from './pages/logs.js';
import { NetworkPage } from './pages/network.js';
import { OverviewPage } from './pages/overview.js';
import { ProcessPage } from './pages/process.js';
import { ProcessesPage } from './pages/processes.js';
import { ServicesPage } from './pages/services.js';

const PAGES = [
  ['overview', 'Overview'],
  ['processes', 'Processes'],
  ['services', 'Services'],
  ['logs', 'Logs'],
  ['network', 'Network services'],
] as const;

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function Login({ onIn }: { onIn: (s: SessionInfo) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  return (
    <form
      class="login"
      onSubmit={(e) => {
        e.preventDefault();
        login(user, password).then(onIn, (err: Error) => setError(err.message));
      }}
    >
      <h1>dk console</h1>
      <label>
        User <input name="user" autocomplete="username" value={user} onInput={(e) => setUser(e.currentTarget.value)} />
      </label>
      <label>
        Password <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </label>
      <button type="submit">Log in</button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}

function App() {
  const [me, setMe] = useState<SessionInfo | null | undefined>(undefined);
  const hash = useHash();
  useEffect(() => {
    session().then((s) => setMe(s ?? null));
  }, []);
  if (me === undefined) return <p class="muted">…</p>;
  if (me === null) return <Login onIn={setMe} />;
  const [, page = 'overview', arg] = hash.split('/');
  const admin = me.role === 'admin';
  let body: JSX.Element;
  if (page === 'process' && arg) body = <ProcessPage pid={Number(arg)} admin={admin} />;
  else if (page === 'processes') body = <ProcessesPage />;
  else if (page === 'services') body = <ServicesPage admin={admin} />;
  else if (page === 'logs') body = <LogsPage />;
  else if (page === 'network') body = <NetworkPage />;
  else body = <OverviewPage />;
  return (
    <div class="shell">
      <nav>
        <strong>dk console</strong>
        {PAGES.map(([id, name]) => (
          <a key={id} href={`#/${id}`} class={page === id || (page === 'process' && id === 'processes') ? 'active' : ''}>
            {name}
          </a>
        ))}
        <span class="me">
          {me.user} ({me.role}){' '}
          <button
            type="button"
            onClick={() => {
              logout().then(() => setMe(null));
            }}
          >
            Log out
          </button>
        </span>
      </nav>
      <main>{body}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
