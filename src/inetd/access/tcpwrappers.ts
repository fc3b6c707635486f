/**
 * TCP wrappers (hosts_access(5)): hosts.allow is read first, then
 * hosts.deny; the first rule whose daemon list and client list both match
 * decides; no match anywhere allows. Lists are words separated by commas or
 * blanks, with ALL, LOCAL, KNOWN, UNKNOWN, PARANOID, ".domain" suffixes,
 * "a.b.c." prefixes, "net/mask" and "net/len" (IPv4), "[v6addr]" and
 * "[v6net]/len", and "X EXCEPT Y". Pure: text in, decisions out.
 */
import * as net from 'node:net';
import type { ConfigProblem } from '../config/service.js';

export interface WrapperRule {
  daemons: string[];
  clients: string[];
  file: string;
  line: number;
  /** "allow"/"deny" options after a third colon (hosts_options(5)) */
  option?: 'allow' | 'deny';
}

export interface Client {
  addr: string;
  /** verified host name, when known */
  name?: string;
}

export function parseWrappers(text: string, file: string): { rules: WrapperRule[]; problems: ConfigProblem[] } {
  const rules: WrapperRule[] = [];
  const problems: ConfigProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i];
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]}`;
    const t = line.replace(/^\s*#.*/, '').trim();
    if (!t) continue;
    // colons inside [v6] brackets are not field separators
    const fields: string[] = [];
    let cur = '';
    let depth = 0;
    for (const ch of t) {
      if (ch === '[') depth++;
      if (ch === ']') depth = Math.max(0, depth - 1);
      if (ch === ':' && depth === 0 && fields.length < 2) {
        fields.push(cur);
        cur = '';
      } else cur += ch;
    }
    fields.push(cur);
    if (fields.length < 2 || !fields[0].trim() || !fields[1].trim()) {
      problems.push({ file, line: lineNo, reason: 'expected daemon_list : client_list [: option]' });
      continue;
    }
    const words = (s: string) => s.split(/[\s,]+/).filter(Boolean);
    const rule: WrapperRule = { daemons: words(fields[0]), clients: words(fields[1]), file, line: lineNo };
    const opt = fields[2]?.trim().toLowerCase();
    if (opt === 'allow' || opt === 'deny') rule.option = opt;
    rules.push(rule);
  }
  return { rules, problems };
}

function v4(addr: string): number | undefined {
  if (!net.isIPv4(addr)) return undefined;
  return addr.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

function v6Bits(addr: string): bigint | undefined {
  if (!net.isIPv6(addr)) return undefined;
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const expand = (parts: string[]) =>
    parts.flatMap((p) =>
      p.includes('.')
        ? (() => {
            const n = v4(p)!;
            return [(n >>> 16).toString(16), (n & 0xffff).toString(16)];
          })()
        : [p],
    );
  const he = expand(h);
  const te = expand(tl);
  const groups = tail === undefined ? he : [...he, ...Array(8 - he.length - te.length).fill('0'), ...te];
  return groups.reduce((a, g) => (a << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

/** An IPv4-mapped IPv6 client (::ffff:a.b.c.d) is matched as IPv4. */
const plain = (addr: string) => addr.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

export function matchClient(pattern: string, c: Client): boolean {
  const p = pattern.toLowerCase();
  const addr = plain(c.addr);
  const name = c.name?.toLowerCase();
  if (p === 'all') return true;
  if (p === 'local') return !!name && !name.includes('.');
  if (p === 'known') return !!name;
  if (p === 'unknown') return !name;
  if (p === 'paranoid') return false;
  if (p.startsWith('.')) return !!name && name.endsWith(p);
  if (p.endsWith('.') && /^[\d.]+$/.test(p)) return addr.startsWith(p);
  const m4 = /^(\d+\.\d+\.\d+\.\d+)\/(\d+\.\d+\.\d+\.\d+|\d{1,2})$/.exec(p);
  if (m4) {
    const a = v4(addr);
    const n = v4(m4[1]);
    if (a === undefined || n === undefined) return false;
    const mask = m4[2].includes('.') ? v4(m4[2])! : m4[2] === '0' ? 0 : (0xffffffff << (32 - Number(m4[2]))) >>> 0;
    return (a & mask) >>> 0 === (n & mask) >>> 0;
  }
  const m6 = /^\[([0-9a-f:.]+)\](?:\/(\d{1,3}))?$/.exec(p);
  if (m6) {
    const a = v6Bits(c.addr);
    const n = v6Bits(m6[1]);
    if (a === undefined || n === undefined) return false;
    const len = BigInt(m6[2] ?? 128);
    const shift = 128n - len;
    return a >> shift === n >> shift;
  }
  if (net.isIP(p)) return p === addr;
  return !!name && name === p;
}

const matchDaemon = (pattern: string, daemon: string) => pattern.toLowerCase() === 'all' || pattern === daemon;

/** "A B EXCEPT C D EXCEPT E": matches A or B, unless (C or D, unless E). */
function matchList(list: string[], test: (p: string) => boolean): boolean {
  const at = list.findIndex((w) => w.toUpperCase() === 'EXCEPT');
  const head = at < 0 ? list : list.slice(0, at);
  if (!head.some(test)) return false;
  return at < 0 ? true : !matchList(list.slice(at + 1), test);
}

export interface Decision {
  allowed: boolean;
  /** the rule that decided, if one did */
  rule?: WrapperRule;
}

export function hostsAccess(allow: WrapperRule[], deny: WrapperRule[], daemon: string, c: Client): Decision {
  const hit = (r: WrapperRule) => matchList(r.daemons, (p) => matchDaemon(p, daemon)) && matchList(r.clients, (p) => matchClient(p, c));
  for (const r of allow) if (hit(r)) return { allowed: r.option !== 'deny', rule: r };
  for (const r of deny) if (hit(r)) return { allowed: r.option === 'allow', rule: r };
  return { allowed: true };
}
