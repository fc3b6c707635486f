/**
 * /etc/services: "name port/proto [aliases...] [# comment]". Pure: text in,
 * lookup table out; lines that do not parse are skipped, as libc does.
 */
export interface ServicesTable {
  /** port of a service name or alias for a protocol ("tcp", "udp") */
  port(name: string, proto: string): number | undefined;
  /** the official name of a port, for logs */
  name(port: number, proto: string): string | undefined;
}

export function parseServices(text: string): ServicesTable {
  const byName = new Map<string, number>();
  const byPort = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, pp, ...aliases] = line.split(/\s+/);
    const m = /^(\d{1,5})\/([a-z0-9]+)$/i.exec(pp ?? '');
    if (!m || Number(m[1]) > 65535) continue;
    const port = Number(m[1]);
    const proto = m[2].toLowerCase();
    for (const n of [name, ...aliases]) if (!byName.has(`${n}/${proto}`)) byName.set(`${n}/${proto}`, port);
    if (!byPort.has(`${port}/${proto}`)) byPort.set(`${port}/${proto}`, name);
  }
  return {
    port: (name, proto) => byName.get(`${name}/${proto}`),
    name: (port, proto) => byPort.get(`${port}/${proto}`),
  };
}
