/** Where a PostgreSQL store is, as syslog.conf may say it. */

/** rsyslog's ":ompgsql:host,db,user,password" as a URL; URLs pass through. */
export function pgUrl(spec: string): string | undefined {
  if (/^postgres(ql)?:\/\//.test(spec)) return spec;
  const parts = spec.split(',');
  if (parts.length < 2 || parts.length > 4 || !parts[0] || !parts[1]) return undefined;
  const [host, db, user, password] = parts.map((p) => encodeURIComponent(p.trim()));
  return `postgres://${user ? `${user}${password ? `:${password}` : ''}@` : ''}${host}/${db}`;
}
