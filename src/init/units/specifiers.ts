/**
 * Unit names and the %-specifiers of systemd.unit(5): template names
 * (prefix@instance.type), systemd's name escaping, and the expansion of
 * %n, %i, %h ... in the values that take them. Pure: the facts about the
 * machine and the manager's user come in as a HostFacts, read once by the
 * caller (hostFacts below).
 */
import { readFileSync } from 'node:fs';
import { hostname, release, userInfo } from 'node:os';

export interface UnitName {
  /** the whole name, getty@tty1.service */
  name: string;
  /** before the '@' (or the name without its type): getty */
  prefix: string;
  /** after the '@' (empty for a template, undefined for a plain unit) */
  instance?: string;
  /** service, target, socket ... */
  type: string;
}

/** Splits a unit name; undefined when it is not one (no type, an '@' without a prefix). */
export function parseUnitName(name: string): UnitName | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return undefined;
  const base = name.slice(0, dot);
  const type = name.slice(dot + 1);
  const at = base.indexOf('@');
  if (at === 0) return undefined;
  if (at < 0) return { name, prefix: base, type };
  return { name, prefix: base.slice(0, at), instance: base.slice(at + 1), type };
}

/** A unit name as a user may give it: "sshd" is sshd.service, as systemctl takes it. */
export const serviceName = (name: string): string => (name.includes('.') ? name : `${name}.service`);

/** getty@.service for getty@tty1.service; undefined for a name that is not an instance. */
export function templateOf(name: string): string | undefined {
  const u = parseUnitName(name);
  return u?.instance ? `${u.prefix}@.${u.type}` : undefined;
}

/** systemd's unescaping of a name part (unit_name_unescape): '-' is '/', \xNN a byte. */
export function unescapeName(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '-') bytes.push(0x2f);
    else if (c === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A path as %f gives it (unit_name_path_unescape): "/" before the unescaped text, "-" alone is "/". */
export function unescapePath(s: string): string {
  if (s === '-' || s === '') return '/';
  return `/${unescapeName(s).replace(/^\/+/, '')}`;
}

/** What the specifiers that are not about the unit's name resolve to. */
export interface HostFacts {
  hostname: string;
  /** 32 hex digits, as systemd prints an id128 */
  bootId: string;
  machineId: string;
  kernelRelease: string;
  /** the user the manager runs as (root for the system manager) */
  user: { name: string; uid: number; group: string; gid: number; home: string; shell: string };
  /** %t %S %C %L %E %T %V: /run, /var/lib, ... for the system manager; the XDG directories for a user's */
  dirs: { runtime: string; state: string; cache: string; logs: string; config: string; tmp: string; varTmp: string };
}

export interface SpecifierUnit {
  name: string;
  /** the unit file (the fragment): %y and %Y */
  file?: string;
}

/**
 * Expands the specifiers of one value; an unknown specifier is an error, as
 * systemd refuses the line (EBADSLT). A '%' at the very end stays, as in
 * systemd.
 */
export function expandSpecifiers(value: string, unit: SpecifierUnit, host: HostFacts): string | { error: string } {
  if (!value.includes('%')) return value;
  const n = parseUnitName(unit.name);
  const prefix = n?.prefix ?? unit.name;
  const instance = n?.instance ?? '';
  const lastDash = prefix.lastIndexOf('-');
  const last = lastDash < 0 ? prefix : prefix.slice(lastDash + 1);
  const table: Record<string, () => string> = {
    n: () => unit.name,
    N: () => (n ? unit.name.slice(0, -(n.type.length + 1)) : unit.name),
    p: () => prefix,
    P: () => unescapeName(prefix),
    i: () => instance,
    I: () => unescapeName(instance),
    j: () => last,
    J: () => unescapeName(last),
    f: () => unescapePath(n?.instance ? instance : prefix),
    y: () => unit.file ?? '',
    Y: () => (unit.file ? unit.file.replace(/\/[^/]*$/, '') || '/' : ''),
    u: () => host.user.name,
    U: () => String(host.user.uid),
    g: () => host.user.group,
    G: () => String(host.user.gid),
    h: () => host.user.home,
    s: () => host.user.shell,
    t: () => host.dirs.runtime,
    S: () => host.dirs.state,
    C: () => host.dirs.cache,
    L: () => host.dirs.logs,
    E: () => host.dirs.config,
    T: () => host.dirs.tmp,
    V: () => host.dirs.varTmp,
    H: () => host.hostname,
    l: () => host.hostname.replace(/\..*$/, ''),
    b: () => host.bootId,
    m: () => host.machineId,
    v: () => host.kernelRelease,
    '%': () => '%',
  };
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    if (i === value.length - 1) {
      out += '%';
      break;
    }
    const k = value[++i];
    const f = Object.hasOwn(table, k) ? table[k] : undefined;
    if (!f) return { error: `unknown specifier %${k} (%% is a literal %)` };
    out += f();
  }
  return out;
}

const id128 = (text: string | undefined): string => (text ?? '').trim().replace(/-/g, '').toLowerCase();
const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The facts of this machine and of the user this process runs as. */
export function hostFacts(groupName: (gid: number) => string | undefined = () => undefined, env: NodeJS.ProcessEnv = process.env): HostFacts {
  const u = userInfo();
  const home = u.homedir || (u.uid === 0 ? '/root' : '/');
  const system = u.uid === 0;
  const xdg = (key: string, dflt: string) => (env[key]?.startsWith('/') ? env[key] : `${home}/${dflt}`);
  const tmp = env.TMPDIR?.startsWith('/') ? env.TMPDIR : '/tmp';
  const state = system ? '/var/lib' : xdg('XDG_STATE_HOME', '.local/state');
  return {
    hostname: hostname(),
    bootId: id128(read('/proc/sys/kernel/random/boot_id')),
    machineId: id128(read('/etc/machine-id')),
    kernelRelease: release(),
    user: { name: u.username, uid: u.uid, gid: u.gid, group: groupName(u.gid) ?? String(u.gid), home, shell: u.shell || '/bin/sh' },
    dirs: system
      ? { runtime: '/run', state, cache: '/var/cache', logs: '/var/log', config: '/etc', tmp, varTmp: '/var/tmp' }
      : {
          runtime: env.XDG_RUNTIME_DIR?.startsWith('/') ? env.XDG_RUNTIME_DIR : `/run/user/${u.uid}`,
          state,
          cache: xdg('XDG_CACHE_HOME', '.cache'),
          logs: `${state}/log`,
          config: xdg('XDG_CONFIG_HOME', '.config'),
          tmp,
          varTmp: tmp,
        },
  };
}
