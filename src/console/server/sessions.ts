/**
 * Console sessions: a random id in an HttpOnly cookie, a CSRF token the
 * page sends back with every change, an idle timeout and an absolute one.
 * In memory: a restart of the console logs everyone out.
 */
import { randomBytes } from 'node:crypto';
import type { Role } from './users.js';

export interface Session {
  id: string;
  user: string;
  role: Role;
  csrf: string;
  created: number;
  seen: number;
}

export const SESSION_COOKIE = 'dk_session';

export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(
    private readonly idleMs = 30 * 60_000,
    private readonly maxMs = 12 * 3600_000,
  ) {}

  create(user: string, role: Role, now = Date.now()): Session {
    this.sweep(now);
    const s: Session = { id: randomBytes(32).toString('base64url'), user, role, csrf: randomBytes(24).toString('base64url'), created: now, seen: now };
    this.byId.set(s.id, s);
    return s;
  }

  /** The live session with this id, its idle clock restarted; undefined when unknown or expired. */
  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    if (now - s.seen > this.idleMs || now - s.created > this.maxMs) {
      this.byId.delete(id);
      return undefined;
    }
    s.seen = now;
    return s;
  }

  end(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  /** Ends every session of a user (a changed password, a removed user). */
  endUser(user: string): void {
    for (const [id, s] of this.byId) if (s.user === user) this.byId.delete(id);
  }

  private sweep(now: number): void {
    for (const [id, s] of this.byId) if (now - s.seen > this.idleMs || now - s.created > this.maxMs) this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }
}
