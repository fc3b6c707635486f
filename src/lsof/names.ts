/**
 * Addresses, ports and users as lsof names them: service names from
 * /etc/services unless -P, host names from /etc/hosts unless -n (a reverse
 * lookup that never waits on a resolver), IPv6 in brackets, * for "any".
 */
import { createRequire } from 'node:module';

declare const require: NodeJS.Require | undefined;
import { readText } from '../proc/read.js';
import { isIP } from 'node:net';
import { ipv6Text } from '../sys/inet.js';

export { ipv6Text };

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
  // loaded only when there is something to resolve; require, because the bundle runs in vm.Script where import() has no loader
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const { Resolver } = req('node:dns/promises') as typeof import('node:dns/promises');
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

export function formatAddress(addr: Buffer, port: number, proto: string, names: Names): string {
  let host: string;
  if (addr.every((b) => b === 0)) host = '*';
  else {
    const text = addr.length === 4 ? `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}` : ipv6Text(addr);
    const name = names.hosts ? names.host(text) : undefined;
    host = name ?? (addr.length === 4 ? text : `[${text}]`);
  }
  const p = port === 0 ? '*' : ((names.ports ? names.service(port, proto) : undefined) ?? String(port));
  return `${host}:${p}`;
}
