/**
 * What libsystemd's sd_pid_get_unit/_user_unit/_slice/_session/_owner_uid
 * tell from a process's cgroup path, worked out from /proc/PID/cgroup alone
 * (procps's unit, uunit, slice, lsession and ouid columns): the path names
 * the slices, then the unit, and a user's manager adds its own slices and
 * units below user@UID.service.
 */

const UNIT_TYPES = new Set(['service', 'socket', 'device', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'snapshot', 'slice', 'scope']);
const UNIT_CHARS = /^[A-Za-z0-9:_.\\@-]+$/;

/** A unit name with an instance or none; a bare template ("getty@.service") is not a running unit. */
export function isUnitName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || !UNIT_CHARS.test(name)) return false;
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || !UNIT_TYPES.has(name.slice(dot + 1))) return false;
  const at = name.indexOf('@');
  if (at === 0) return false;
  if (at > 0 && (at + 1 === dot || name.indexOf('@', at + 1) >= 0)) return false;
  return true;
}

/** The path of the systemd hierarchy: name=systemd under cgroup v1 and hybrid setups, else the unified one. */
export function systemdPath(lines: readonly string[]): string | undefined {
  let unified: string | undefined;
  for (const l of lines) {
    const a = l.indexOf(':');
    const b = l.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const ctl = l.slice(a + 1, b);
    if (ctl === 'name=systemd') return l.slice(b + 1);
    if (ctl === '' && l.slice(0, a) === '0') unified = l.slice(b + 1);
  }
  return unified;
}

/**
 * The path relative to the root the system's manager runs in: PID 1's own
 * path less "/init.scope", so a container's processes read as on a host.
 */
export function shiftPath(path: string, pid1Path: string | undefined): string {
  if (!pid1Path) return path;
  const root = pid1Path.endsWith('/init.scope') ? pid1Path.slice(0, -'/init.scope'.length) : pid1Path;
  if (root === '' || root === '/') return path;
  if (path === root) return '/';
  return path.startsWith(`${root}/`) ? path.slice(root.length) : path;
}

const parts = (path: string): string[] => path.split('/').filter((s) => s !== '');
const isSlice = (s: string): boolean => s.endsWith('.slice') && isUnitName(s);

/** The innermost slice; "-.slice" (the root slice) when the path starts with none. */
export function sliceOf(path: string): string {
  let slice = '-.slice';
  for (const s of parts(path)) {
    if (!isSlice(s)) break;
    slice = s;
  }
  return slice;
}

function afterSlices(ps: string[]): string[] {
  let i = 0;
  while (i < ps.length && isSlice(ps[i])) i++;
  return ps.slice(i);
}

/** The unit the process runs in, below the slices. */
export function unitOf(path: string): string | undefined {
  const rest = afterSlices(parts(path));
  return rest.length && isUnitName(rest[0]) && !isSlice(rest[0]) ? rest[0] : undefined;
}

/** The unit inside a user's manager (user@UID.service). */
export function userUnitOf(path: string): string | undefined {
  const rest = afterSlices(parts(path));
  if (!rest.length || !/^user@.+\.service$/.test(rest[0]) || !isUnitName(rest[0])) return undefined;
  return unitOf(`/${rest.slice(1).join('/')}`);
}

/** The login session: the id in a session-ID.scope unit. */
export function sessionOf(path: string): string | undefined {
  const m = /^session-([A-Za-z0-9]+)\.scope$/.exec(unitOf(path) ?? '');
  return m?.[1];
}

/** The owner of a user's slice (user-UID.slice). */
export function ownerUidOf(path: string): number | undefined {
  const m = /^user-(\d+)\.slice$/.exec(sliceOf(path));
  return m ? Number(m[1]) : undefined;
}

/** lxc's container name: what follows the last lxc delimiter on the first line that has one, as procps finds it. */
export function lxcName(text: string): string | undefined {
  for (const delim of ['lxc.payload.', 'lxc.payload/', 'lxc/']) {
    const at = text.indexOf(delim);
    if (at < 0) continue;
    const nl = text.indexOf('\n', at);
    let line = text.slice(at, nl < 0 ? undefined : nl);
    for (let i = line.indexOf(delim); i >= 0; i = line.indexOf(delim)) line = line.slice(i + delim.length);
    const slash = line.indexOf('/');
    return slash < 0 ? line : line.slice(0, slash);
  }
  return undefined;
}
