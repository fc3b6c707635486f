/**
 * Which processes ps shows: procps's simple selections (-a -d a x g, the
 * default "my processes on my terminal") as a truth table over three facts,
 * OR'ed with the explicit lists (-p -u -t ...), then r and -N.
 */
import type { FieldName, ProcessInfo } from '../proc/types.js';
import { readAscii } from '../proc/read.js';
import { parseStat } from '../proc/parse/stat.js';
import { statDevice, type StatDevice } from '../proc/tty.js';
import type { NameCache } from '../proc/users.js';
import { PsError } from './format.js';
import type { PsRequest, SelectList } from './options.js';

export interface SelectEnv {
  euid: number;
  /** tty_nr of the invoking process; 0 without a terminal */
  myTty: number;
  names: NameCache;
  /** resolves a terminal name given to -t to its device number */
  ttyDevice(name: string): number | undefined;
}

/** The invoker's terminal from /proc/self/stat. */
export function ownTty(procRoot = '/proc'): number {
  const st = parseStat(readAscii(`${procRoot}/self/stat`) ?? '');
  return st ? st.ttyNr : 0;
}

/** Terminal name to device number, trying the spellings procps accepts. */
export function ttyDevice(name: string, devRoot = '/dev', stat: StatDevice = statDevice): number | undefined {
  if (name === '-' || name === '?') return 0;
  const bare = name.startsWith('/dev/') ? name.slice(5) : name;
  for (const p of [`${devRoot}/${bare}`, `${devRoot}/tty${bare}`, `${devRoot}/pts/${bare}`]) {
    const d = stat(p);
    // the kernel's tty_nr layout: minor bits 0-7, major 8-19, minor high bits above
    if (d) return (d.major << 8) | (d.minor & 0xff) | ((d.minor & ~0xff) << 12);
  }
  return undefined;
}

const SIMPLE_BITS: Record<string, number> = {
  '': 0,
  Ua: 0x0303,
  Ud: 0x3333,
  'Ua,Ud': 0x3f3f,
  Ba: 0x0f0f,
  Bx: 0xaaaa,
  'Ba,Bx': 0xffff,
  Bg: 0xffff,
};

type Pred = (p: ProcessInfo) => boolean;

function ids(values: string[], lookup: (n: string) => number | undefined, what: string): Set<number> {
  const out = new Set<number>();
  for (const v of values) {
    if (/^[0-9]+$/.test(v)) out.add(Number(v));
    else {
      const id = lookup(v);
      if (id === undefined) throw new PsError(`${what} name does not exist`);
      out.add(id);
    }
  }
  return out;
}

function listPred(l: SelectList, env: SelectEnv): Pred {
  switch (l.kind) {
    case 'pid': {
      const s = new Set(l.values.map(Number));
      return (p) => s.has(p.pid);
    }
    case 'ppid': {
      const s = new Set(l.values.map(Number));
      return (p) => s.has(p.ppid);
    }
    case 'sid': {
      const s = new Set(l.values.map(Number));
      return (p) => s.has(p.sid);
    }
    case 'euid': {
      const s = ids(l.values, (n) => env.names.uidOf(n), 'user');
      return (p) => p.euid !== undefined && s.has(p.euid);
    }
    case 'ruid': {
      const s = ids(l.values, (n) => env.names.uidOf(n), 'user');
      return (p) => p.uid !== undefined && s.has(p.uid);
    }
    case 'egid': {
      const s = ids(l.values, (n) => env.names.gidOf(n), 'group');
      return (p) => p.egid !== undefined && s.has(p.egid);
    }
    case 'rgid': {
      const s = ids(l.values, (n) => env.names.gidOf(n), 'group');
      return (p) => p.gid !== undefined && s.has(p.gid);
    }
    case 'sidOrEgroup': {
      // -g takes session ids when numeric and effective group names otherwise
      const sids = new Set(l.values.filter((v) => /^[0-9]+$/.test(v)).map(Number));
      const gids = ids(
        l.values.filter((v) => !/^[0-9]+$/.test(v)),
        (n) => env.names.gidOf(n),
        'group',
      );
      return (p) => sids.has(p.sid) || (p.egid !== undefined && gids.has(p.egid));
    }
    case 'comm': {
      // comm is cut to 15 bytes by the kernel; compare the same prefix
      const s = new Set(l.values.map((v) => v.slice(0, 15)));
      return (p) => s.has(p.comm.slice(0, 15));
    }
    case 'tty': {
      const s = new Set<number>();
      for (const v of l.values) {
        if (v === '.') {
          s.add(env.myTty);
          continue;
        }
        const d = env.ttyDevice(v);
        if (d === undefined) throw new PsError('TTY could not be found');
        s.add(d);
      }
      return (p) => s.has(p.ttyNr);
    }
  }
}

/** The predicate for a parsed request, and the fields it reads. */
export function selector(r: PsRequest, env: SelectEnv): { pred: Pred; needs: FieldName[] } {
  const needs: FieldName[] = [];
  const lists = r.lists.map((l) => listPred(l, env));
  for (const l of r.lists) {
    if (l.kind === 'euid') needs.push('euid');
    if (l.kind === 'ruid') needs.push('uid');
    if (l.kind === 'egid' || l.kind === 'sidOrEgroup') needs.push('egid');
    if (l.kind === 'rgid') needs.push('gid');
  }
  const simpleKey = [...r.simple]
    .filter((s) => s !== 'Bg' || r.simple.size === 1)
    .sort()
    .join(',');
  let bits = SIMPLE_BITS[simpleKey];
  if (bits === undefined) bits = r.simple.has('Bx') || r.simple.has('Bg') ? 0xffff : 0x3f3f;
  const useTable = r.simple.size > 0 || lists.length === 0;
  const defaultSel = r.simple.size === 0 && lists.length === 0;
  if (useTable && !r.all) needs.push('euid');
  const pred: Pred = (p) => {
    let ok = false;
    if (r.all) ok = true;
    // default: my processes on my terminal; BSD syntax ("ps u") also wants a terminal
    else if (defaultSel) ok = p.euid === env.euid && p.ttyNr === env.myTty && !(r.preferBsd && p.ttyNr === 0);
    else {
      if (useTable) {
        const idx = (p.euid === env.euid ? 1 : 0) | (p.sid === p.pid ? 2 : 0) | (p.ttyNr === 0 ? 4 : 0);
        ok = (bits & (1 << idx)) !== 0;
      }
      if (!ok)
        for (const l of lists)
          if (l(p)) {
            ok = true;
            break;
          }
    }
    if (r.running && !(p.state === 'R' || p.state === 'D')) ok = false;
    return r.negate ? !ok : ok;
  };
  return { pred, needs };
}
