/**
 * The console's users file: one line per user, `NAME:ROLE:HASH`, where
 * HASH is `scrypt$N$r$p$SALT$KEY` (base64). Pure parsing and formatting;
 * the file is written with mode 0600 (it holds password hashes).
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';

export type Role = 'admin' | 'viewer';

export interface ConsoleUser {
  name: string;
  role: Role;
  hash: string;
}

export interface UsersProblem {
  file: string;
  line: number;
  reason: string;
}

const SCRYPT = { N: 1 << 15, r: 8, p: 1 };
const KEYLEN = 32;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function hashPassword(password: string, salt = randomBytes(16)): string {
  const key = scryptSync(password, salt, KEYLEN, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 << 20 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Constant-time check of a password against a stored hash; false for any malformed hash. */
export function verifyPassword(password: string, hash: string): boolean {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(hash);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // a hash that asks for absurd work is not ours
  if (N > 1 << 20 || r > 32 || p > 16 || (N & (N - 1)) !== 0) return false;
  const want = Buffer.from(m[5], 'base64');
  if (want.length < 16) return false;
  const got = scryptSync(password, Buffer.from(m[4], 'base64'), want.length, { N, r, p, maxmem: 256 << 20 });
  return timingSafeEqual(got, want);
}

export function parseUsers(text: string, file: string): { users: ConsoleUser[]; problems: UsersProblem[] } {
  const users: ConsoleUser[] = [];
  const problems: UsersProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (!t || t.startsWith('#')) continue;
    const problem = (reason: string) => problems.push({ file, line: i + 1, reason });
    const [name, role, hash, ...rest] = t.split(':');
    if (rest.length || hash === undefined) problem('expected NAME:ROLE:HASH');
    else if (!NAME.test(name)) problem(`'${name}' is not a user name (letters, digits, . _ -)`);
    else if (role !== 'admin' && role !== 'viewer') problem(`role must be admin or viewer, not '${role}'`);
    else if (!hash.startsWith('scrypt$')) problem('the hash is not an scrypt hash (dk console passwd makes one)');
    else if (users.some((u) => u.name === name)) problem(`user '${name}' is listed twice`);
    else users.push({ name, role, hash });
  }
  return { users, problems };
}

export const formatUsers = (users: readonly ConsoleUser[]): string => users.map((u) => `${u.name}:${u.role}:${u.hash}\n`).join('');

export function validUserName(name: string): boolean {
  return NAME.test(name);
}

/** Adds or replaces a user in the file (created 0600; an existing file is kept 0600). */
export function setUser(file: string, user: ConsoleUser): void {
  let users: ConsoleUser[] = [];
  if (fs.existsSync(file)) {
    const parsed = parseUsers(fs.readFileSync(file, 'utf8'), file);
    if (parsed.problems.length) {
      const p = parsed.problems[0];
      throw new Error(`${p.file}:${p.line}: ${p.reason}`);
    }
    users = parsed.users;
  }
  const next = [...users.filter((u) => u.name !== user.name), user];
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, formatUsers(next), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

export function loadUsers(file: string): { users: ConsoleUser[]; problems: UsersProblem[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { users: [], problems: [{ file, line: 0, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  return parseUsers(text, file);
}
