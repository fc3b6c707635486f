/**
 * syslog.conf in the classic sysklogd syntax (and the legacy rsyslog
 * directives such files carry): selectors, actions, continuation lines,
 * includes. Parsing never stops at a bad line: each problem is reported as
 * file:line:col: reason and the line is skipped.
 */
import * as fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { nameCache } from '../../proc/users.js';
import { pgUrl } from '../../logstore/pgurl.js';
import { FACILITIES, facilityCode, severityCode } from '../protocol/pri.js';

export const NFACILITIES = FACILITIES.length + 1; // + "mark" (24)
const MARK = 24;
const ALL = 0xff;

export type Action =
  | { kind: 'file'; path: string; sync: boolean; mode: number; uid?: number; gid?: number }
  | { kind: 'udp' | 'tcp'; host: string; port: number; tls?: boolean }
  | { kind: 'pipe'; path: string }
  | { kind: 'users'; users: string[] }
  | { kind: 'wall' }
  | { kind: 'discard' }
  /** the SQLite log store; path undefined: the daemon's default database */
  | { kind: 'sqlite'; path?: string }
  /** the PostgreSQL log store, by URL */
  | { kind: 'pgsql'; url: string };

export type OutputFormat = 'traditional' | 'rfc5424' | 'json';

export interface Rule {
  /** per facility, a bit per severity (bit s = severity s selected) */
  masks: Uint8Array;
  action: Action;
  format: OutputFormat;
  /** the selector and the action as the file writes them */
  selector?: string;
  actionText?: string;
  file: string;
  line: number;
}

export interface ConfigError {
  file: string;
  line: number;
  col: number;
  reason: string;
}

export interface Listener {
  proto: 'udp' | 'tcp' | 'tls';
  host?: string;
  port: number;
}

export interface Config {
  rules: Rule[];
  errors: ConfigError[];
  listeners: Listener[];
  /** files that were read, in order */
  files: string[];
  /** $FileCreateMode/$FileOwner/$FileGroup as they stand: they apply to the file actions after them */
  fileOptions: FileOptions;
  /** $Umask, when given */
  umask?: number;
}

export interface FileOptions {
  mode: number;
  uid?: number;
  gid?: number;
}

/** Log files are created readable by their owner and group only, unless $FileCreateMode says otherwise. */
export const DEFAULT_FILE_MODE = 0o640;

/** Applies one selector ("mail,news.!=crit") to the masks; returns an error text or undefined. */
export function applySelector(masks: Uint8Array, sel: string): string | undefined {
  const dot = sel.lastIndexOf('.');
  if (dot <= 0) return `selector '${sel}' has no '.'`;
  const facs = sel.slice(0, dot).split(',');
  let level = sel.slice(dot + 1).toLowerCase();
  let negate = false;
  let exact = false;
  if (level.startsWith('!')) {
    negate = true;
    level = level.slice(1);
  }
  if (level.startsWith('=')) {
    exact = true;
    level = level.slice(1);
  }
  let bits: number;
  if (level === '*') bits = ALL;
  else if (level === 'none') {
    bits = ALL;
    negate = !negate;
    if (exact) return `'=none' makes no sense in '${sel}'`;
  } else {
    const sev = severityCode(level);
    if (sev === undefined) return `unknown level '${level}'`;
    bits = exact ? 1 << sev : (1 << (sev + 1)) - 1;
  }
  const targets: number[] = [];
  for (const f of facs) {
    if (f === '*') {
      for (let i = 0; i < NFACILITIES; i++) if (i !== MARK) targets.push(i);
      continue;
    }
    const code = facilityCode(f);
    if (code === undefined) return `unknown facility '${f}'`;
    targets.push(code);
  }
  for (const t of targets) masks[t] = negate ? masks[t] & ~bits : masks[t] | bits;
  return undefined;
}

export function matches(rule: Rule, facility: number, severity: number): boolean {
  return ((rule.masks[Math.min(facility, NFACILITIES - 1)] ?? 0) & (1 << severity)) !== 0;
}

function parseHostPort(s: string, defPort: number): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d{1,5}))?$/.exec(s);
  if (!m) return undefined;
  const port = m[3] ? Number(m[3]) : defPort;
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2], port };
}

const TEMPLATES: Record<string, OutputFormat> = {
  RSYSLOG_TraditionalFileFormat: 'traditional',
  RSYSLOG_FileFormat: 'rfc5424',
  RSYSLOG_SyslogProtocol23Format: 'rfc5424',
  rfc5424: 'rfc5424',
  traditional: 'traditional',
  json: 'json',
};

/** An action as syslog.conf writes it, for statistics and logs (passwords left out). */
export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'file':
      return a.sync ? a.path : `-${a.path}`;
    case 'udp':
      return `@${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
    case 'tcp':
      return `@@${a.tls ? '(tls)' : ''}${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
    case 'pipe':
      return `|${a.path}`;
    case 'users':
      return a.users.join(',');
    case 'wall':
      return '*';
    case 'discard':
      return '~';
    case 'sqlite':
      return `:sqlite:${a.path ?? ''}`;
    case 'pgsql':
      return `:pgsql:${a.url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@')}`;
  }
}

/** The action part of a rule line. */
export function parseAction(text: string, files: FileOptions = { mode: DEFAULT_FILE_MODE }): { action?: Action; format?: OutputFormat; error?: string } {
  let a = text.trim();
  let format: OutputFormat = 'traditional';
  const semi = a.lastIndexOf(';');
  if (semi > 0) {
    const t = a.slice(semi + 1).trim();
    if (!(t in TEMPLATES)) return { error: `unknown output format '${t}'` };
    format = TEMPLATES[t];
    a = a.slice(0, semi).trim();
  }
  if (a === '') return { error: 'rule has no action' };
  if (a === '~' || a === 'stop') return { action: { kind: 'discard' }, format };
  if (a === '*') return { action: { kind: 'wall' }, format };
  // like rsyslog's ":ommysql:" actions; ":sqlite:" alone is the default database of --state-dir
  // ":pgsql:postgres://user@host/db", or rsyslog's ":ompgsql:host,db,user,password"
  const pgsql = /^:(?:om)?pgsql:(.*)$/.exec(a);
  if (pgsql) {
    const url = pgUrl(pgsql[1].trim());
    if (!url) return { error: `the PostgreSQL store needs a postgres:// URL or host,database[,user[,password]]: '${a}'` };
    return { action: { kind: 'pgsql', url }, format };
  }
  const store = /^:(?:om)?sqlite:(.*)$/.exec(a);
  if (store) {
    const path = store[1].trim();
    if (path && !path.startsWith('/')) return { error: `the SQLite store needs an absolute path: '${a}'` };
    return { action: { kind: 'sqlite', path: path || undefined }, format };
  }
  // @@(tls)host[:port]: RFC 5425, syslog over TLS (default port 6514)
  const tlsTarget = /^@@\(tls\)(.+)$/i.exec(a);
  if (tlsTarget) {
    const hp = parseHostPort(tlsTarget[1], 6514);
    if (!hp) return { error: `bad forwarding target '${a}'` };
    return { action: { kind: 'tcp', ...hp, tls: true }, format };
  }
  if (a.startsWith('@@') || a.startsWith('@')) {
    const tcp = a.startsWith('@@');
    const hp = parseHostPort(a.slice(tcp ? 2 : 1), 514);
    if (!hp) return { error: `bad forwarding target '${a}'` };
    return { action: { kind: tcp ? 'tcp' : 'udp', ...hp }, format };
  }
  if (a.startsWith('|')) {
    const path = a.slice(1);
    if (!path.startsWith('/')) return { error: `named pipe must be an absolute path: '${a}'` };
    return { action: { kind: 'pipe', path }, format };
  }
  if (a.startsWith('-/') || a.startsWith('/')) {
    const sync = !a.startsWith('-');
    return { action: { kind: 'file', path: sync ? a : a.slice(1), sync, ...files }, format };
  }
  if (/^[a-z_][a-z0-9_.-]*(,[a-z_][a-z0-9_.-]*)*$/i.test(a)) return { action: { kind: 'users', users: a.split(',') }, format };
  return { error: `cannot understand action '${a}'` };
}

const IGNORED_DIRECTIVES = new Set([
  '$modload',
  '$dircreatemode',
  '$dirowner',
  '$dirgroup',
  '$workdirectory',
  '$actionfiledefaulttemplate',
  '$repeatedmsgreduction',
  '$privdroptouser',
  '$privdroptogroup',
  '$actionfileenablesync',
  '$maxmessagesize',
  '$escapecontrolcharactersonreceive',
  '$systemlogsocketname',
]);

export function parseConfigText(text: string, file: string, cfg: Config, depth = 0): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i];
    // continuation lines
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i].trimStart();
    const err = (col: number, reason: string) => cfg.errors.push({ file, line: lineNo, col, reason });
    const body = line.replace(/\r$/, '');
    const trimmed = body.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const col0 = body.length - body.trimStart().length + 1;
    if (trimmed.startsWith('$')) {
      const [name, ...rest] = trimmed.split(/\s+/);
      const arg = rest.join(' ');
      const key = name.toLowerCase();
      const argCol = col0 + name.length + 1;
      if (key === '$includeconfig') includeFiles(arg, file, cfg, depth, (r) => err(col0, r));
      else if (key === '$filecreatemode' || key === '$umask') {
        if (!/^0?[0-7]{3}$/.test(arg)) err(argCol, `${name} needs an octal mode like 0640, not '${arg}'`);
        else if (key === '$umask') cfg.umask = parseInt(arg, 8);
        else cfg.fileOptions = { ...cfg.fileOptions, mode: parseInt(arg, 8) };
      } else if (key === '$fileowner' || key === '$filegroup') {
        const user = key === '$fileowner';
        const id = /^\d+$/.test(arg) ? Number(arg) : user ? nameCache().uidOf(arg) : nameCache().gidOf(arg);
        if (id === undefined) err(argCol, `unknown ${user ? 'user' : 'group'} '${arg}'`);
        else cfg.fileOptions = { ...cfg.fileOptions, [user ? 'uid' : 'gid']: id };
      } else if (key === '$udpserverrun' || key === '$inputtcpserverrun') {
        const port = Number(arg);
        if (!Number.isInteger(port) || port < 1 || port > 65535) err(col0 + name.length + 1, `bad port '${arg}'`);
        else cfg.listeners.push({ proto: key === '$udpserverrun' ? 'udp' : 'tcp', port });
      } else if (!IGNORED_DIRECTIVES.has(key) && !key.startsWith('$modload')) err(col0, `unsupported directive '${name}'`);
      continue;
    }
    if (/^include\s/.test(trimmed)) {
      includeFiles(trimmed.slice(8).trim(), file, cfg, depth, (r) => err(col0, r));
      continue;
    }
    const lm = /^(udp|tcp)\s+(.+)$/.exec(trimmed);
    if (lm) {
      const hp = /^(?:(\[[^\]]+\]|[^:\s]+):)?(\d{1,5})$/.exec(lm[2].trim());
      if (!hp || Number(hp[2]) > 65535 || Number(hp[2]) < 1) err(col0 + lm[1].length + 1, `bad listen address '${lm[2].trim()}'`);
      else cfg.listeners.push({ proto: lm[1] as 'udp' | 'tcp', host: hp[1]?.replace(/^\[|\]$/g, ''), port: Number(hp[2]) });
      continue;
    }
    if (/^[a-z]+\s*\(/i.test(trimmed)) {
      err(col0, 'RainerScript statements are not supported; use the classic selector/action syntax');
      continue;
    }
    // selector<whitespace>action
    const m = /^(\S+)\s+(.+)$/.exec(trimmed);
    if (!m) {
      err(col0, 'expected a selector and an action');
      continue;
    }
    const masks = new Uint8Array(NFACILITIES);
    let bad = false;
    let col = col0;
    for (const sel of m[1].split(';')) {
      if (sel === '') {
        col += 1;
        continue;
      }
      const e = applySelector(masks, sel);
      if (e) {
        err(col, e);
        bad = true;
        break;
      }
      col += sel.length + 1;
    }
    if (bad) continue;
    const actionCol = col0 + body.trim().indexOf(m[2]);
    const a = parseAction(m[2], cfg.fileOptions);
    if (a.error || !a.action) {
      err(actionCol, a.error ?? 'bad action');
      continue;
    }
    cfg.rules.push({ masks, action: a.action, format: a.format ?? 'traditional', selector: m[1], actionText: m[2], file, line: lineNo });
  }
}

function includeFiles(spec: string, from: string, cfg: Config, depth: number, report: (r: string) => void): void {
  if (depth > 8) return report('includes nested too deeply');
  const path = resolve(dirname(from), spec);
  let files: string[] = [];
  try {
    if (/[*?]/.test(path)) {
      const dir = dirname(path);
      const re = new RegExp(
        `^${path
          .slice(dir.length + 1)
          .replace(/[.+^${}()|\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      files = fs
        .readdirSync(dir)
        .filter((f) => re.test(f))
        .sort()
        .map((f) => join(dir, f));
    } else if (fs.statSync(path).isDirectory())
      files = fs
        .readdirSync(path)
        .filter((f) => f.endsWith('.conf'))
        .sort()
        .map((f) => join(path, f));
    else files = [path];
  } catch {
    return report(`cannot read include '${spec}'`);
  }
  for (const f of files) loadConfigFile(f, cfg, depth + 1);
}

function loadConfigFile(file: string, cfg: Config, depth: number): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    cfg.errors.push({ file, line: 0, col: 0, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return;
  }
  cfg.files.push(file);
  parseConfigText(text, file, cfg, depth);
}

/** Reads a config file and everything it includes; errors are collected, never thrown. */
const emptyConfig = (): Config => ({ rules: [], errors: [], listeners: [], files: [], fileOptions: { mode: DEFAULT_FILE_MODE } });

export function loadConfig(file: string): Config {
  const cfg = emptyConfig();
  loadConfigFile(file, cfg, 0);
  return cfg;
}

/** A configuration from text, as if read from file (includes are still read from disk). */
export function parseConfig(text: string, file: string): Config {
  const cfg = emptyConfig();
  parseConfigText(text, file, cfg);
  return cfg;
}

export const formatError = (e: ConfigError): string => `${e.file}:${e.line}:${e.col}: ${e.reason}`;
