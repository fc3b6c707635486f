/**
 * The unit subset dk init runs, typed: .service, .target and .socket
 * files read as systemd reads them. Every key it does not know is a
 * warning naming file and line (never silently ignored); a value it cannot
 * use is a problem, and such a unit is not started.
 */
import { expandSpecifiers, hostFacts, type HostFacts } from './specifiers.js';
import { mergeDropins, parseTimespan, parseUnitText, splitCommand, type Entry } from './unitfile.js';

export type ServiceType = 'simple' | 'exec' | 'forking' | 'oneshot' | 'notify';
export type RestartPolicy = 'no' | 'on-failure' | 'always';

export interface ExecLine {
  argv: string[];
  /** "-" prefix: a failure of this command is not the unit's failure */
  ignoreFailure: boolean;
}

export interface ServiceSettings {
  type: ServiceType;
  execStart: ExecLine[];
  execStartPre: ExecLine[];
  execStartPost: ExecLine[];
  execStop: ExecLine[];
  execReload: ExecLine[];
  restart: RestartPolicy;
  restartMs: number;
  user?: string;
  group?: string;
  workingDirectory?: string;
  environment: Record<string, string>;
  environmentFiles: { path: string; optional: boolean }[];
  pidFile?: string;
  timeoutStartMs: number;
  timeoutStopMs: number;
  killMode: 'control-group' | 'process' | 'mixed' | 'none';
  killSignal: string;
  remainAfterExit: boolean;
  /** s6-style readiness (an extension): ready when the service writes a newline to this fd */
  readinessFd?: number;
}

export interface SocketSettings {
  listenStream: string[];
  listenDatagram: string[];
  service?: string;
}

export interface Unit {
  name: string;
  kind: 'service' | 'target' | 'socket';
  file: string;
  description?: string;
  requires: string[];
  wants: string[];
  after: string[];
  before: string[];
  conflicts: string[];
  /** [Install]: where dk initctl enable links the unit (systemd: no effect at boot by themselves) */
  wantedBy: string[];
  requiredBy: string[];
  /** [Install] Alias= (links made by enable), Also= (enabled with it), DefaultInstance= (a template's) */
  alias?: string[];
  also?: string[];
  defaultInstance?: string;
  /** the install targets pull the unit in without links (SysV scripts: their Default-Start runlevels) */
  installActive?: boolean;
  service?: ServiceSettings;
  socket?: SocketSettings;
}

export interface Diagnostic {
  file: string;
  line: number;
  reason: string;
}

/** file:line: reason, as every message about a unit file says it */
export const diagnosticText = (d: Diagnostic): string => `${d.file}:${d.line}: ${d.reason}`;

export interface LoadedUnit {
  unit?: Unit;
  problems: Diagnostic[];
  warnings: Diagnostic[];
}

const UNIT_KEYS = new Set(['Description', 'Documentation', 'Requires', 'Wants', 'After', 'Before', 'Conflicts', 'DefaultDependencies']);
const SERVICE_KEYS = new Set([
  'Type',
  'ExecStart',
  'ExecStartPre',
  'ExecStartPost',
  'ExecStop',
  'ExecReload',
  'Restart',
  'RestartSec',
  'User',
  'Group',
  'WorkingDirectory',
  'Environment',
  'EnvironmentFile',
  'PIDFile',
  'TimeoutStartSec',
  'TimeoutStopSec',
  'TimeoutSec',
  'KillMode',
  'KillSignal',
  'RemainAfterExit',
  'StandardOutput',
  'StandardError',
  'NotifyAccess',
  'ReadinessFd',
]);
const SOCKET_KEYS = new Set(['ListenStream', 'ListenDatagram', 'Service', 'Accept', 'SocketMode']);
const INSTALL_KEYS = new Set(['WantedBy', 'RequiredBy', 'Alias', 'Also', 'DefaultInstance']);
const SECTIONS: Record<string, Set<string>> = { Unit: UNIT_KEYS, Service: SERVICE_KEYS, Socket: SOCKET_KEYS, Install: INSTALL_KEYS };

export interface LoadOptions {
  /** NAME.d/*.conf (and TEMPLATE.d/*.conf for an instance), in the order they apply */
  dropins?: { file: string; text: string }[];
  /** what %h, %H, %b ... resolve to (read from this machine when a value needs them) */
  host?: HostFacts;
}

/**
 * name is the unit's own name (getty@tty1.service for an instance, whose
 * text is its template's): %i and the rest of the specifiers come from it.
 */
export function loadUnit(name: string, text: string, file: string, opts: LoadOptions = {}): LoadedUnit {
  const parsed = mergeDropins(parseUnitText(text, file), opts.dropins ?? []);
  const problems: Diagnostic[] = [...parsed.problems];
  const warnings: Diagnostic[] = [];
  const kind = /\.service$/.test(name) ? 'service' : /\.target$/.test(name) ? 'target' : /\.socket$/.test(name) ? 'socket' : undefined;
  if (!kind) return { problems: [{ file, line: 1, reason: `${name}: not a .service, .target or .socket unit` }], warnings };
  for (const [section, entries] of parsed.sections) {
    const known = SECTIONS[section];
    for (const e of entries) {
      if (!known) warnings.push({ file: e.file ?? file, line: e.line, reason: `unknown section [${section}]: '${e.key}' ignored` });
      else if (!known.has(e.key)) warnings.push({ file: e.file ?? file, line: e.line, reason: `unknown key '${e.key}' in [${section}], ignored` });
    }
  }
  const entries = (section: string, key: string): Entry[] => (parsed.sections.get(section) ?? []).filter((e) => e.key === key);
  const bad = (e: Entry, reason: string) => problems.push({ file: e.file ?? file, line: e.line, reason: `${e.key}=${e.value}: ${reason}` });
  let host = opts.host;
  /** a value with its specifiers expanded; undefined (and a problem) for an unknown one */
  const spec = (e: Entry, v: string): string | undefined => {
    if (!v.includes('%')) return v;
    const r = expandSpecifiers(v, { name, file }, (host ??= hostFacts()));
    if (typeof r === 'string') return r;
    bad(e, r.error);
    return undefined;
  };
  const last = (section: string, key: string): Entry | undefined => entries(section, key).at(-1);
  /** the last assignment's value, specifiers expanded */
  const value = (section: string, key: string): string | undefined => {
    const e = last(section, key);
    return e && spec(e, e.value);
  };
  /** a list key: words accumulate; an empty assignment resets */
  const list = (section: string, key: string): string[] => {
    let out: string[] = [];
    for (const e of entries(section, key)) {
      if (e.value === '') out = [];
      else for (const w of e.value.split(/\s+/)) out.push(spec(e, w) ?? w);
    }
    return out;
  };
  const unit: Unit = {
    name,
    kind,
    file,
    description: value('Unit', 'Description'),
    requires: list('Unit', 'Requires'),
    wants: list('Unit', 'Wants'),
    after: list('Unit', 'After'),
    before: list('Unit', 'Before'),
    conflicts: list('Unit', 'Conflicts'),
    wantedBy: list('Install', 'WantedBy'),
    requiredBy: list('Install', 'RequiredBy'),
    alias: list('Install', 'Alias'),
    also: list('Install', 'Also'),
    defaultInstance: value('Install', 'DefaultInstance'),
  };
  if (kind === 'service') {
    const exec = (key: string): ExecLine[] => {
      let out: ExecLine[] = [];
      for (const e of entries('Service', key)) {
        if (e.value === '') {
          out = [];
          continue;
        }
        let v = e.value;
        let ignoreFailure = false;
        // prefixes: - (failure ignored); @ + ! : accepted as systemd does, meaning nothing more here
        while (/^[-@+!:]/.test(v)) {
          if (v[0] === '-') ignoreFailure = true;
          v = v.slice(1);
        }
        const words = splitCommand(v);
        // specifiers are expanded word by word after the split, as systemd does: 'date +%%s' is one word, date +%s
        const argv = 'error' in words ? words : words.map((w) => spec(e, w));
        if ('error' in argv) bad(e, argv.error);
        else if (argv.includes(undefined)) continue;
        else if (!argv.length) bad(e, 'no command');
        else if (!argv[0]?.startsWith('/')) bad(e, 'the command must be an absolute path');
        else out.push({ argv: argv as string[], ignoreFailure });
      }
      return out;
    };
    const choice = <T extends string>(key: string, allowed: readonly T[], dflt: T): T => {
      const e = last('Service', key);
      if (!e) return dflt;
      if ((allowed as readonly string[]).includes(e.value)) return e.value as T;
      bad(e, `must be one of ${allowed.join(', ')}`);
      return dflt;
    };
    const time = (keys: string[], dflt: number): number => {
      for (const key of keys) {
        const e = last('Service', key);
        if (!e) continue;
        const ms = parseTimespan(e.value);
        if (ms === undefined) bad(e, 'not a time span (like 5s, 1min 30s, 250ms, infinity)');
        else return ms;
      }
      return dflt;
    };
    const environment: Record<string, string> = {};
    for (const e of entries('Service', 'Environment')) {
      const words = splitCommand(e.value);
      if ('error' in words) {
        bad(e, words.error);
        continue;
      }
      for (const word of words) {
        const w = spec(e, word);
        if (w === undefined) continue;
        const eq = w.indexOf('=');
        if (eq <= 0) bad(e, `'${w}' is not NAME=VALUE`);
        else environment[w.slice(0, eq)] = w.slice(eq + 1);
      }
    }
    const bool = (key: string): boolean => /^(1|yes|true|on)$/i.test(last('Service', key)?.value ?? '');
    const s: ServiceSettings = {
      type: choice('Type', ['simple', 'exec', 'forking', 'oneshot', 'notify'] as const, 'simple'),
      execStart: exec('ExecStart'),
      execStartPre: exec('ExecStartPre'),
      execStartPost: exec('ExecStartPost'),
      execStop: exec('ExecStop'),
      execReload: exec('ExecReload'),
      restart: choice('Restart', ['no', 'on-failure', 'always'] as const, 'no'),
      restartMs: time(['RestartSec'], 100),
      user: value('Service', 'User'),
      group: value('Service', 'Group'),
      workingDirectory: value('Service', 'WorkingDirectory'),
      environment,
      environmentFiles: entries('Service', 'EnvironmentFile').map((e) => ({
        path: spec(e, e.value.replace(/^-/, '')) ?? '',
        optional: e.value.startsWith('-'),
      })),
      pidFile: value('Service', 'PIDFile'),
      timeoutStartMs: time(['TimeoutStartSec', 'TimeoutSec'], 90_000),
      timeoutStopMs: time(['TimeoutStopSec', 'TimeoutSec'], 90_000),
      killMode: choice('KillMode', ['control-group', 'process', 'mixed', 'none'] as const, 'control-group'),
      killSignal: last('Service', 'KillSignal')?.value ?? 'SIGTERM',
      remainAfterExit: bool('RemainAfterExit'),
    };
    const rfd = last('Service', 'ReadinessFd');
    if (rfd) {
      if (!/^\d+$/.test(rfd.value) || Number(rfd.value) < 3 || Number(rfd.value) > 63) bad(rfd, 'must be a descriptor number from 3 to 63');
      else s.readinessFd = Number(rfd.value);
    }
    if (!/^(SIG)?[A-Z0-9]+$/.test(s.killSignal)) bad(last('Service', 'KillSignal')!, 'not a signal name');
    if (!s.execStart.length && s.type !== 'oneshot') problems.push({ file, line: 1, reason: `${name}: no ExecStart= (only Type=oneshot may go without)` });
    if (s.execStart.length > 1 && s.type !== 'oneshot')
      problems.push({ file, line: entries('Service', 'ExecStart')[1].line, reason: `${name}: more than one ExecStart= is only for Type=oneshot` });
    if (s.type === 'forking' && !s.pidFile) warnings.push({ file, line: 1, reason: `${name}: Type=forking without PIDFile=: the main process is guessed` });
    unit.service = s;
  }
  if (kind === 'socket') {
    unit.socket = { listenStream: list('Socket', 'ListenStream'), listenDatagram: list('Socket', 'ListenDatagram'), service: value('Socket', 'Service') };
    const accept = last('Socket', 'Accept');
    if (accept && /^(1|yes|true|on)$/i.test(accept.value)) bad(accept, 'Accept=yes (a service instance per connection) is not supported; use dk inetd');
    if (!unit.socket.listenStream.length && !unit.socket.listenDatagram.length)
      problems.push({ file, line: 1, reason: `${name}: no ListenStream= or ListenDatagram=` });
  }
  return { unit: problems.length ? undefined : unit, problems, warnings };
}
