/**
 * dk status as an administrator reads it, after systemctl status: a
 * headline, the process (PID, uptime, memory, CPU), the configuration and
 * its last reload, the daemon's own key figures, then its last log lines.
 * Pure: the caller gathers the statuses and the log lines.
 */
import type { DaemonStatus } from '../daemon/runtime.js';
import { renderUpdateStatus } from '../daemon/update.js';
import { renderInetdStatus } from '../inetd/server/status.js';
import { renderInitStatus } from '../init/status.js';
import { renderRpcbindStatus } from '../rpcbind/status.js';
import { renderSyslogdStatus } from '../syslog/server/status.js';

/** "3h 2min 5s", as systemctl says a duration */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const parts: string[] = [];
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}min`);
  if (s % 60 || !parts.length) parts.push(`${s % 60}s`);
  return parts.slice(0, 3).join(' ');
}

/** 1536 -> "1.5K", as systemctl shows memory */
export function bytes(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}B` : `${v.toFixed(1)}${units[u]}`;
}

/** Each daemon's own text renderer (its USR1 text), by name. */
const RENDERERS: Record<string, (detail: never) => string> = {
  syslogd: renderSyslogdStatus,
  inetd: renderInetdStatus,
  rpcbind: renderRpcbindStatus,
  init: renderInitStatus,
  update: renderUpdateStatus,
};

/** The daemon's own part, in the words of its USR1 text (its first line is the headline's job). */
export function keyFigures(s: DaemonStatus): string[] {
  const render = RENDERERS[s.name] as ((detail: unknown) => string) | undefined;
  return render ? render(s.detail).split('\n').slice(1) : [];
}

export function formatStatus(s: DaemonStatus, logLines: readonly string[] = [], now = Date.now()): string {
  const since = new Date(s.startedAt);
  const out = [
    `● ${s.comm} - ${s.state} since ${since
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC')}; ${duration((now - since.getTime()) / 1000)} ago`,
    `    Control: ${s.control ?? '-'}`,
    `   Main PID: ${s.pid} (${s.comm}), uid ${s.uid}, parent ${s.ppid}`,
    `     Memory: ${bytes(s.rssBytes)}`,
    `        CPU: ${(s.cpuSeconds.user + s.cpuSeconds.system).toFixed(3)}s (user ${s.cpuSeconds.user.toFixed(3)}s, system ${s.cpuSeconds.system.toFixed(3)}s)`,
  ];
  if (s.pidfile) out.push(`    Pidfile: ${s.pidfile}`);
  if (s.config) {
    const c = s.config;
    const last = c.lastReload;
    out.push(
      `     Config: ${c.path ?? '-'} (loaded ${c.loadedAt}, ${c.reloads} reloads${last && !last.ok ? `; last reload at ${last.at} refused: ${last.problems.join('; ')}` : ''})`,
    );
  }
  out.push(`     Status: "${s.summary}"`);
  for (const l of keyFigures(s)) out.push(`   ${l}`);
  if (logLines.length) out.push('', ...logLines);
  return `${out.join('\n')}\n`;
}
