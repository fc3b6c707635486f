/**
 * Addresses, ports and users as lsof names them: service names from
 * /etc/services unless -P, host names from /etc/hosts unless -n (a reverse
 * lookup that never waits on a resolver), IPv6 in brackets, * for "any".
 */
import { readText } from '../proc/read.js';
import { isIP } from 'node:net';

export interface Names {
  ports: boolean;
  hosts: boolean;
  service(port: number, proto: string): string | undefined;
  host(addr: string): string | undefined;
  /** names found by DNS for addresses /etc/hosts does not know */
  resolved: Map<string, string>;
}

/**
 * Reverse DNS for the given addresses, all at once, giving up after limitMs:
 * a dead resolver delays the listing by that much at most, never hangs it.
 */
export async function resolveHosts(addrs: string[], names: Names, limitMs = 800): Promise<void> {
  const todo = [...new Set(addrs)].filter((a) => names.host(a) === undefined);
  if (!todo.length) return;
  const { Resolver } = await import('node:dns/promises');
  const r = new Resolver({ timeout: Math.min(limitMs, 500), tries: 1 });
  const lookups = todo.map(async (a) => {
    try {
      const [name] = await r.reverse(a);
      if (name) names.resolved.set(a, name);
    } catch {
      // no PTR record or no answer: stays numeric
    }
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(lookups), new Promise<void>((res) => (timer = setTimeout(res, limitMs)))]);
  clearTimeout(timer);
  r.cancel();
}

export function parseServices(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = line.replace(/#.*/, '').trim().split(/\s+/);
    if (f.length < 2) continue;
    const [port, proto] = f[1].split('/');
    const key = `${Number(port)}/${proto?.toLowerCase()}`;
    if (!m.has(key)) m.set(key, f[0]);
  }
  return m;
}

export function parseHosts(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = line.replace(/#.*/, '').trim().split(/\s+/);
    if (f.length < 2 || !isIP(f[0])) continue;
    if (!m.has(f[0])) m.set(f[0], f[1]);
  }
  return m;
}

export function makeNames(ports: boolean, hosts: boolean, etcRoot = '/etc'): Names {
  let services: Map<string, string> | undefined;
  let hostTable: Map<string, string> | undefined;
  return {
    ports,
    hosts,
    service(port, proto) {
      services ??= parseServices(readText(`${etcRoot}/services`) ?? '');
      return services.get(`${port}/${proto.toLowerCase()}`);
    },
    host(addr) {
      hostTable ??= parseHosts(readText(`${etcRoot}/hosts`) ?? '');
      return hostTable.get(addr) ?? this.resolved.get(addr);
    },
    resolved: new Map(),
  };
}

/** inet_ntop for IPv6, including the ::ffff:a.b.c.d form. */
export function ipv6Text(b: Buffer): string {
  const words = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i));
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  // longest run of zero words (length >= 2) becomes "::"
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function formatAddress(addr: Buffer, port: number, proto: string, names: Names): string {
  let host: string;
  if (addr.every((b) => b === 0)) host = '*';
  else {
    const text = addr.length === 4 ? `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}` : ipv6Text(addr);
    const name = names.hosts ? names.host(text) : undefined;
    host = name ?? (addr.length === 4 ? text : `[${text}]`);
  }
  const p = port === 0 ? '*' : (names.ports ? names.service(port, proto) : undefined) ?? String(port);
  return `${host}:${p}`;
}
