/**
 * SysV init scripts with LSB headers (the "### BEGIN INIT INFO" block),
 * turned into units the way systemd's sysv generator does: the script run
 * with start and stop, a oneshot that stays active, dependencies from
 * Required-Start (hard) and Should-Start (soft), $facilities mapped to
 * targets, Default-Start runlevels to the targets that want it.
 */
import { basename } from 'node:path';
import type { Diagnostic, Unit } from './unit.js';

export interface LsbHeader {
  provides: string[];
  requiredStart: string[];
  shouldStart: string[];
  defaultStart: string[];
  defaultStop: string[];
  description?: string;
}

const FIELDS: Record<string, keyof LsbHeader> = {
  provides: 'provides',
  'required-start': 'requiredStart',
  'should-start': 'shouldStart',
  'default-start': 'defaultStart',
  'default-stop': 'defaultStop',
  'short-description': 'description',
};
const KNOWN = new Set([...Object.keys(FIELDS), 'required-stop', 'should-stop', 'description', 'x-start-before', 'x-stop-after', 'x-interactive']);

/** $facility -> the target standing for it */
const FACILITIES: Record<string, string> = {
  $local_fs: 'local-fs.target',
  $remote_fs: 'remote-fs.target',
  $network: 'network.target',
  $named: 'nss-lookup.target',
  $portmap: 'rpcbind.target',
  $syslog: 'syslog.target',
  $time: 'time-sync.target',
  $all: 'multi-user.target',
};

export function parseLsb(text: string, file: string): { header?: LsbHeader; problems: Diagnostic[]; warnings: Diagnostic[] } {
  const lines = text.split('\n');
  const begin = lines.findIndex((l) => /^### BEGIN INIT INFO\s*$/.test(l));
  const end = lines.findIndex((l, i) => i > begin && /^### END INIT INFO\s*$/.test(l));
  if (begin < 0 || end < 0) return { problems: [{ file, line: 1, reason: 'no LSB header (### BEGIN INIT INFO ... ### END INIT INFO)' }], warnings: [] };
  const h: LsbHeader = { provides: [], requiredStart: [], shouldStart: [], defaultStart: [], defaultStop: [] };
  const warnings: Diagnostic[] = [];
  for (let i = begin + 1; i < end; i++) {
    const m = /^#\s*([A-Za-z-]+):\s*(.*)$/.exec(lines[i]);
    if (!m) continue; // continuation lines of Description
    const key = m[1].toLowerCase();
    if (!KNOWN.has(key)) {
      warnings.push({ file, line: i + 1, reason: `unknown LSB field '${m[1]}', ignored` });
      continue;
    }
    const field = FIELDS[key];
    if (!field) continue;
    if (field === 'description') h.description = m[2].trim();
    else h[field] = m[2].trim().split(/\s+/).filter(Boolean);
  }
  const problems: Diagnostic[] = [];
  if (!h.provides.length) problems.push({ file, line: begin + 1, reason: 'LSB header without Provides:' });
  const bad = h.defaultStart.find((r) => !/^[0-6Ss]$/.test(r));
  if (bad) problems.push({ file, line: begin + 1, reason: `Default-Start: '${bad}' is not a runlevel (0-6, S)` });
  return { header: problems.length ? undefined : h, problems, warnings };
}

const depName = (d: string) => FACILITIES[d] ?? (d.startsWith('$') ? undefined : `${d}.service`);

/** The unit for a script: /etc/init.d/NAME -> NAME.service. */
export function lsbUnit(path: string, h: LsbHeader): Unit {
  const name = `${basename(path)}.service`;
  const hard = h.requiredStart.map(depName).filter((x): x is string => !!x);
  const soft = h.shouldStart.map(depName).filter((x): x is string => !!x);
  // facilities are soft: nothing may fail to boot because no unit stands for $time
  const facilities = h.requiredStart
    .filter((d) => d.startsWith('$'))
    .map(depName)
    .filter((x): x is string => !!x);
  const levels = new Set(h.defaultStart.map((r) => r.toUpperCase()));
  const wantedBy = [
    ...(['2', '3', '4', '5'].some((r) => levels.has(r)) ? ['multi-user.target'] : []),
    ...(levels.has('1') || levels.has('S') ? ['rescue.target'] : []),
  ];
  return {
    name,
    kind: 'service',
    file: path,
    description: h.description ?? `LSB: ${basename(path)}`,
    requires: hard.filter((d) => !facilities.includes(d)),
    wants: [...soft, ...facilities],
    after: [...hard, ...soft],
    before: [],
    conflicts: [],
    wantedBy,
    requiredBy: [],
    // the other names it provides are names of this unit; its runlevels start it with no link (sysv-generator does the same for a linked script)
    alias: h.provides.filter((p) => p !== basename(path)).map((p) => `${p}.service`),
    installActive: true,
    service: {
      type: 'oneshot',
      execStart: [{ argv: [path, 'start'], ignoreFailure: false }],
      execStartPre: [],
      execStartPost: [],
      execStop: [{ argv: [path, 'stop'], ignoreFailure: false }],
      execReload: [],
      restart: 'no',
      restartMs: 100,
      environment: {},
      environmentFiles: [],
      timeoutStartMs: 300_000,
      timeoutStopMs: 300_000,
      killMode: 'process',
      killSignal: 'SIGTERM',
      remainAfterExit: true,
    },
  };
}
