/** The page's side of the console API: JSON over fetch with the CSRF token, and one live WebSocket. */

export interface SessionInfo {
  user: string;
  role: 'admin' | 'viewer';
  csrf: string;
}

let csrf = '';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { 'x-csrf-token': csrf } : { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await r.json().catch(() => ({}))) as T & { error?: string };
  if (!r.ok) throw new ApiError(r.status, data.error ?? `${r.status} ${r.statusText}`);
  return data;
}

export const get = <T>(path: string): Promise<T> => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}): Promise<T> => call<T>('POST', path, body);

export async function session(): Promise<SessionInfo | undefined> {
  try {
    const s = await get<SessionInfo>('/api/session');
    csrf = s.csrf;
    return s;
  } catch {
    return undefined;
  }
}

export async function login(user: string, password: string): Promise<SessionInfo> {
  const s = await post<SessionInfo>('/api/login', { user, password });
  csrf = s.csrf;
  return s;
}

export async function logout(): Promise<void> {
  await post('/api/logout').catch(() => {});
  csrf = '';
}

type Listener = (msg: Record<string, unknown>) => void;

/** One WebSocket for the page; topics are asked for while some view shows them, again after a reconnect. */
class Live {
  private ws: WebSocket | undefined;
  private readonly subs = new Map<string, { query?: Record<string, string>; fns: Set<Listener> }>();

  private connect(): void {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`);
    this.ws = ws;
    ws.onopen = () => {
      for (const [topic, s] of this.subs) ws.send(JSON.stringify({ sub: topic, query: s.query }));
    };
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as Record<string, unknown>;
      const s = this.subs.get(String(msg.topic));
      if (s) for (const fn of s.fns) fn(msg);
    };
    ws.onclose = () => {
      if (this.subs.size) setTimeout(() => this.connect(), 1000);
    };
  }

  subscribe(topic: string, fn: Listener, query?: Record<string, string>): () => void {
    let s = this.subs.get(topic);
    if (!s) this.subs.set(topic, (s = { query, fns: new Set() }));
    s.query = query;
    s.fns.add(fn);
    this.connect();
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ sub: topic, query }));
    return () => {
      s.fns.delete(fn);
      if (s.fns.size) return;
      this.subs.delete(topic);
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ unsub: topic }));
    };
  }
}

export const live = new Live();
