/**
 * The dk daemons the console shows, found as dk status finds them: by
 * their control sockets in the state directories (or /run/dk), asked for
 * their status; services are changed through dk init's socket, which
 * authorises by the console's uid, not by anything the page says.
 */
import { ask } from '../../daemon/control.js';
import type { DaemonStatus } from '../../daemon/runtime.js';
import type { InitStatus } from '../../init/status.js';
import { askStatus, controlSockets, type Found } from '../../status/discover.js';
import type { SyslogdStatus } from '../../syslog/server/status.js';

export const UNIT_ACTIONS = ['start', 'stop', 'restart', 'reload'] as const;
export type UnitAction = (typeof UNIT_ACTIONS)[number];

export class Daemons {
  constructor(
    private readonly stateDirs: readonly string[],
    /** a log store given on the command line; else the one a running dk syslogd writes */
    private readonly db?: string,
  ) {}

  async statuses(): Promise<(Found & { status: DaemonStatus })[]> {
    const found = await Promise.all(controlSockets(this.stateDirs).map((s) => askStatus(s, 3000)));
    return found.filter((f): f is Found & { status: DaemonStatus } => !!f.status);
  }

  async init(): Promise<(Found & { status: DaemonStatus<InitStatus> }) | undefined> {
    return (await this.statuses()).find((f) => f.status.name === 'init') as (Found & { status: DaemonStatus<InitStatus> }) | undefined;
  }

  async store(): Promise<string | undefined> {
    if (this.db) return this.db;
    const s = (await this.statuses()).find((f) => f.status.name === 'syslogd' && (f.status.detail as SyslogdStatus).stores?.length);
    return (s?.status.detail as SyslogdStatus | undefined)?.stores[0];
  }

  /** start/stop/restart/reload a unit through dk init; throws with dk init's words when it refuses */
  async unit(unit: string, action: UnitAction): Promise<Record<string, unknown>> {
    const init = await this.init();
    if (!init) throw new Error('no dk init answers (give --state-dir)');
    const r = await ask(init.socket, { cmd: action, unit }, 120_000);
    if (typeof r.error === 'string') throw new Error(r.error);
    return r;
  }
}
