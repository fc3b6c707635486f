/**
 * What a shutting-down init may unmount, from /proc/self/mountinfo
 * (proc(5)): every mount but the root and the kernel's own file systems,
 * deepest first, so a mount under another goes before it.
 */

export interface MountEntry {
  id: number;
  parent: number;
  /** where it is mounted, with mountinfo's octal escapes (\040 for a space) undone */
  path: string;
  fstype: string;
  options: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo */
const unescapeOctal = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses mountinfo text; lines that do not have its shape are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
    const dash = f.indexOf('-', 6);
    if (f.length < 10 || dash < 0 || dash + 2 >= f.length) continue;
    const id = Number(f[0]);
    const parent = Number(f[1]);
    if (!Number.isInteger(id) || !Number.isInteger(parent)) continue;
    out.push({ id, parent, path: unescapeOctal(f[4]), fstype: f[dash + 1], options: f[5] });
  }
  return out;
}

/** The kernel's interfaces: they hold no data to save, and the shutdown itself needs /proc. */
const API_FS = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'cgroup',
  'cgroup2',
  'mqueue',
  'debugfs',
  'tracefs',
  'securityfs',
  'pstore',
  'bpf',
  'configfs',
  'fusectl',
  'binfmt_misc',
  'autofs',
  'hugetlbfs',
  'efivarfs',
  'nsfs',
]);

const depth = (path: string): number => (path === '/' ? 0 : path.split('/').length - 1);

/**
 * The mounts to unmount, deepest path first (a mount under another goes
 * before it, whatever order mount --move left mountinfo in), and of two on
 * one path the later, which is on top; API file systems and the root stay.
 */
export function unmountOrder(mounts: MountEntry[]): MountEntry[] {
  return mounts
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => m.path !== '/' && !API_FS.has(m.fstype))
    .sort((a, b) => depth(b.m.path) - depth(a.m.path) || b.i - a.i)
    .map(({ m }) => m);
}
