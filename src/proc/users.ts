/**
 * User and group names from /etc/passwd and /etc/group, parsed once per root
 * and cached. Names are resolved from the files directly (not NSS), which is
 * what a process table needs on the machines daemonkit targets.
 */
import { readText } from './read.js';

export function parseIdFile(text: string): Map<number, string> {
  const byId = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    const id = Number(f[2]);
    if (!Number.isInteger(id) || f[0] === '') continue;
    // The first entry for an id wins, as getpwuid() returns it.
    if (!byId.has(id)) byId.set(id, f[0]);
  }
  return byId;
}

export function invert(m: Map<number, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, name] of m) if (!out.has(name)) out.set(name, id);
  return out;
}

export class NameCache {
  private users?: Map<number, string>;
  private groups?: Map<number, string>;

  constructor(private readonly etcRoot = '/etc') {}

  private loadUsers(): Map<number, string> {
    return (this.users ??= parseIdFile(readText(`${this.etcRoot}/passwd`) ?? ''));
  }

  private loadGroups(): Map<number, string> {
    return (this.groups ??= parseIdFile(readText(`${this.etcRoot}/group`) ?? ''));
  }

  user(uid: number): string | undefined {
    return this.loadUsers().get(uid);
  }

  group(gid: number): string | undefined {
    return this.loadGroups().get(gid);
  }

  uidOf(name: string): number | undefined {
    return invert(this.loadUsers()).get(name);
  }

  gidOf(name: string): number | undefined {
    return invert(this.loadGroups()).get(name);
  }
}

const caches = new Map<string, NameCache>();

export function nameCache(etcRoot = '/etc'): NameCache {
  let c = caches.get(etcRoot);
  if (!c) caches.set(etcRoot, (c = new NameCache(etcRoot)));
  return c;
}

export interface Account {
  uid: number;
  gid: number;
  /** supplementary groups, as initgroups(3) sets them */
  groups: number[];
}

/** uid, gid and groups of a user (name or number) from passwd and group files' text. */
export function account(user: string, group: string | undefined, passwd: string, groupText: string): Account | string {
  const pw = passwd.split('\n').map((l) => l.split(':'));
  const gr = groupText.split('\n').map((l) => l.split(':'));
  const entry = /^\d+$/.test(user) ? pw.find((f) => f[2] === user) : pw.find((f) => f[0] === user);
  if (!entry && !/^\d+$/.test(user)) return `unknown user '${user}'`;
  const uid = entry ? Number(entry[2]) : Number(user);
  let gid = entry ? Number(entry[3]) : uid;
  if (group !== undefined) {
    const g = /^\d+$/.test(group) ? Number(group) : gr.find((f) => f[0] === group)?.[2];
    if (g === undefined) return `unknown group '${group}'`;
    gid = Number(g);
  }
  const name = entry?.[0];
  const groups = [gid, ...gr.filter((f) => name !== undefined && (f[3] ?? '').split(',').includes(name)).map((f) => Number(f[2]))];
  return { uid, gid, groups: [...new Set(groups)] };
}

/** account() over this system's /etc/passwd and /etc/group (read now: callers cache what they need). */
export function systemAccount(user: string, group?: string, etcRoot = '/etc'): Account | string {
  return account(user, group, readText(`${etcRoot}/passwd`) ?? '', readText(`${etcRoot}/group`) ?? '');
}
