/** dk init's status: the target and its units, as dk initctl list shows them. */
import type { UnitStatus } from './manager.js';

/** What dk init's status says besides the runtime's part: what initctl list shows. */
export interface InitStatus {
  pid1: boolean;
  /** the target isolated last (none before the boot began) */
  target?: string;
  units: UnitStatus[];
}

export function summarizeInit(s: InitStatus): string {
  const failed = s.units.filter((u) => u.state === 'failed').length;
  return `${s.target ?? 'no target'}, ${s.units.filter((u) => u.state === 'active').length} of ${s.units.length} units active${failed ? `, ${failed} failed` : ''}`;
}

export function renderInitStatus(s: InitStatus): string {
  return `dk init status: ${s.target ?? 'no target'}\n${unitTable(s.units).trimEnd()}`;
}

/** dk initctl list: one row per unit. */
export function unitTable(units: UnitStatus[]): string {
  const rows = units.map((u) => [u.name, u.state, u.pid ? String(u.pid) : '-', u.description ?? '']);
  const w = [0, 1, 2].map((i) => Math.max(...[['UNIT', 'STATE', 'PID'][i], ...rows.map((r) => r[i])].map((x) => x.length)));
  return `${[['UNIT', 'STATE', 'PID', 'DESCRIPTION'], ...rows]
    .map((r) => `${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}  ${r[3]}`.trimEnd())
    .join('\n')}\n`;
}
