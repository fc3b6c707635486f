/**
 * The table of registrations: program, version, netid, universal address
 * and owner, in registration order (as rpcbind lists them). Bounded, and
 * with rpcbind's rules: one address per program, version and netid; only
 * the owner or the superuser takes a registration away.
 */
import type { Rpcb } from '../rpc/pmap.js';

export const SUPERUSER = 'superuser';
export const UNKNOWN_OWNER = 'unknown';

/** the owner string rpcbind records for a caller's uid */
export const ownerOf = (uid: number | undefined): string => (uid === undefined ? UNKNOWN_OWNER : uid === 0 ? SUPERUSER : String(uid));

export class Registry {
  private list: Rpcb[] = [];

  constructor(private readonly max = 10_000) {}

  all(): readonly Rpcb[] {
    return this.list;
  }

  /** False when prog/vers/netid is taken or the table is full. */
  set(b: Rpcb): boolean {
    if (this.list.length >= this.max) return false;
    if (this.list.some((e) => e.prog === b.prog && e.vers === b.vers && e.netid === b.netid)) return false;
    this.list.push({ ...b });
    return true;
  }

  /**
   * Removes prog/vers on netid (every netid when netid is empty), when the
   * caller may: the owner or the superuser. False when nothing was removed.
   */
  unset(prog: number, vers: number, netid: string, caller: string): boolean {
    const hit = (e: Rpcb) => e.prog === prog && e.vers === vers && (!netid || e.netid === netid);
    if (!this.list.some(hit)) return false;
    if (caller !== SUPERUSER && this.list.some((e) => hit(e) && e.owner !== caller)) return false;
    this.list = this.list.filter((e) => !hit(e));
    return true;
  }

  /**
   * The registration for prog/vers on netid; with exact false, another
   * version of the program on that netid will do (rpcbind's GETADDR answers
   * so that the caller learns the versions from the server itself).
   */
  find(prog: number, vers: number, netid: string, exact = false): Rpcb | undefined {
    let other: Rpcb | undefined;
    for (const e of this.list) {
      if (e.prog !== prog || e.netid !== netid) continue;
      if (e.vers === vers) return e;
      other ??= e;
    }
    return exact ? undefined : other;
  }

  toJSON(): Rpcb[] {
    return this.list;
  }
}
