/**
 * Whether a C tool started with this environment would run in a UTF-8
 * locale: what setlocale(LC_ALL, "") then nl_langinfo(CODESET) give in
 * glibc. ps, pstree and lsof escape or draw differently by it, and the
 * environment alone does not say: a LANG=en_US.UTF-8 on a machine (or
 * container) that never generated that locale leaves glibc in "C", and the
 * peers print '?' for every non-ASCII byte. The locales installed are read
 * from /usr/lib/locale: its directories and the names in locale-archive.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';

/** the categories setlocale(LC_ALL, "") sets; one that fails to load fails them all (glibc) */
const CATEGORIES = [
  'LC_CTYPE',
  'LC_NUMERIC',
  'LC_TIME',
  'LC_COLLATE',
  'LC_MONETARY',
  'LC_MESSAGES',
  'LC_PAPER',
  'LC_NAME',
  'LC_ADDRESS',
  'LC_TELEPHONE',
  'LC_MEASUREMENT',
  'LC_IDENTIFICATION',
];

/** The locale name a category gets from the environment: LC_ALL, then the category, then LANG; empty ones are unset. */
function nameFor(env: NodeJS.ProcessEnv, category: string): string {
  return env.LC_ALL || env[category] || env.LANG || 'C';
}

/** glibc's normalised codeset: lower case, letters and digits only ("UTF-8" → "utf8"). */
export function normalizeLocale(name: string): string {
  const m = /^([^.@]*)(?:\.([^@]*))?(@.*)?$/.exec(name);
  if (!m || m[2] === undefined) return name;
  const codeset = m[2].toLowerCase().replace(/[^a-z0-9]/g, '');
  return `${m[1]}.${codeset}${m[3] ?? ''}`;
}

export interface LocaleStore {
  /** names in /usr/lib/locale/locale-archive */
  archive(): ReadonlySet<string>;
  /** a compiled locale directory /usr/lib/locale/NAME */
  directory(name: string): boolean;
}

/** The names a locale-archive holds (glibc's locarhead: a hash table of offsets into its string table). */
export function archiveNames(b: Buffer): Set<string> {
  const out = new Set<string>();
  if (b.length < 56 || b.readUInt32LE(0) !== 0xde020109) return out;
  const hashOffset = b.readUInt32LE(8);
  const hashSize = b.readUInt32LE(16);
  for (let i = 0; i < hashSize; i++) {
    const at = hashOffset + i * 12;
    if (at + 12 > b.length) break;
    const nameOffset = b.readUInt32LE(at + 4);
    const recOffset = b.readUInt32LE(at + 8);
    if (recOffset === 0 || nameOffset >= b.length) continue;
    const end = b.indexOf(0, nameOffset);
    if (end > nameOffset) out.add(b.toString('latin1', nameOffset, end));
  }
  return out;
}

const LOCALE_DIR = '/usr/lib/locale';

/** Reads the header, the hash table and the string table: a few KB, not the archive's locale data. */
function readArchive(path: string): Set<string> {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(56);
    if (readSync(fd, head, 0, 56, 0) < 56 || head.readUInt32LE(0) !== 0xde020109) return new Set();
    // everything up to the end of the string table (the hash table comes before it in glibc's layout)
    const end = Math.max(head.readUInt32LE(8) + head.readUInt32LE(16) * 12, head.readUInt32LE(20) + head.readUInt32LE(24));
    const b = Buffer.alloc(Math.min(end, 16 << 20));
    const n = readSync(fd, b, 0, b.length, 0);
    return archiveNames(b.subarray(0, n));
  } catch {
    return new Set();
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function systemLocales(dir = LOCALE_DIR): LocaleStore {
  let names: Set<string> | undefined;
  return {
    archive: () => (names ??= readArchive(`${dir}/locale-archive`)),
    directory: (name) => existsSync(`${dir}/${name}/LC_CTYPE`),
  };
}

/** Whether glibc can load the locale a category names. */
function loadable(name: string, store: LocaleStore): boolean {
  if (name === 'C' || name === 'POSIX') return true;
  // glibc 2.35 and later build C.UTF-8 in
  if (/^C\.utf-?8$/i.test(name)) return true;
  if (name.includes('/') && !name.startsWith('/')) return false;
  const normal = normalizeLocale(name);
  return store.archive().has(normal) || store.archive().has(name) || store.directory(normal) || store.directory(name);
}

/** The codeset the tool's LC_CTYPE ends up with, as UTF-8 or not. */
export function utf8Locale(env: NodeJS.ProcessEnv, store: LocaleStore = systemLocales()): boolean {
  const ctype = nameFor(env, 'LC_CTYPE');
  if (!/utf-?8/i.test(ctype)) return false;
  // setlocale(LC_ALL, "") is all or nothing: a category naming a missing locale leaves every one in "C"
  const names = new Set(CATEGORIES.map((c) => nameFor(env, c)));
  for (const n of names) if (!loadable(n, store)) return false;
  return true;
}
