/**
 * Temperatures, fans and the battery from sysfs, as psutil's sensors_*:
 * hwmon first (thermal zones when it has no temperatures), each reading
 * grouped by the chip's name. A machine without sensors (most VMs) gives
 * empty results, never an error. sysRoot points the reads at a fixture tree.
 */
import { readdirSync } from 'node:fs';
import { readAscii } from '../../proc/read.js';

export interface Temperature {
  label: string;
  /** degrees Celsius */
  current: number;
  high: number | undefined;
  critical: number | undefined;
}

export interface Fan {
  label: string;
  /** revolutions per minute */
  current: number;
}

export interface Battery {
  /** charge left, percent */
  percent: number;
  /** seconds left; POWER_TIME_UNLIMITED (-2) on mains power, POWER_TIME_UNKNOWN (-1) when the kernel does not say */
  secsleft: number;
  /** on mains power; undefined when the kernel does not say */
  powerPlugged: boolean | undefined;
}

export const POWER_TIME_UNKNOWN = -1;
export const POWER_TIME_UNLIMITED = -2;

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
};
const num = (path: string): number | undefined => {
  const t = readAscii(path)?.trim();
  const v = t === undefined || t === '' ? Number.NaN : Number(t);
  return Number.isFinite(v) ? v : undefined;
};
const text = (path: string): string | undefined => readAscii(path)?.trim();

/** the hwmon sensor files of one kind ('temp', 'fan'): their directory and base name (temp1) */
function hwmonInputs(sys: string, kind: string): [string, string][] {
  const out: [string, string][] = [];
  for (const h of list(`${sys}/class/hwmon`)) {
    for (const dir of [`${sys}/class/hwmon/${h}`, `${sys}/class/hwmon/${h}/device`]) {
      const bases = new Set(
        list(dir)
          .filter((f) => f.startsWith(kind) && f.endsWith('_input'))
          .map((f) => f.slice(0, -6)),
      );
      for (const b of [...bases].sort()) out.push([dir, b]);
    }
  }
  return out;
}

/** the name of the chip a hwmon directory belongs to */
const chipName = (dir: string): string | undefined => text(`${dir}/name`) ?? text(`${dir}/../name`);

export function sensorsTemperatures(opts: { sysRoot?: string } = {}): Record<string, Temperature[]> {
  const sys = opts.sysRoot ?? '/sys';
  const out: Record<string, Temperature[]> = {};
  const inputs = hwmonInputs(sys, 'temp');
  for (const [dir, base] of inputs) {
    const raw = num(`${dir}/${base}_input`);
    const chip = chipName(dir);
    if (raw === undefined || chip === undefined) continue;
    const milli = (s: string) => {
      const v = num(`${dir}/${base}_${s}`);
      return v === undefined ? undefined : v / 1000;
    };
    (out[chip] ??= []).push({ label: text(`${dir}/${base}_label`) ?? '', current: raw / 1000, high: milli('max'), critical: milli('crit') });
  }
  if (inputs.length) return out;
  for (const zone of list(`${sys}/class/thermal`).filter((z) => z.startsWith('thermal_zone'))) {
    const base = `${sys}/class/thermal/${zone}`;
    const raw = num(`${base}/temp`);
    const type = text(`${base}/type`);
    if (raw === undefined || type === undefined) continue;
    let high: number | undefined;
    let critical: number | undefined;
    for (const f of list(base).filter((n) => /^trip_point_\d+_type$/.test(n))) {
      const trip = f.slice(0, -5);
      const t = num(`${base}/${trip}_temp`);
      if (text(`${base}/${f}`) === 'critical' && t !== undefined) critical = t / 1000;
      else if (text(`${base}/${f}`) === 'high' && t !== undefined) high = t / 1000;
    }
    (out[type] ??= []).push({ label: '', current: raw / 1000, high, critical });
  }
  return out;
}

export function sensorsFans(opts: { sysRoot?: string } = {}): Record<string, Fan[]> {
  const sys = opts.sysRoot ?? '/sys';
  const out: Record<string, Fan[]> = {};
  for (const [dir, base] of hwmonInputs(sys, 'fan')) {
    const rpm = num(`${dir}/${base}_input`);
    const chip = chipName(dir);
    if (rpm === undefined || chip === undefined) continue;
    (out[chip] ??= []).push({ label: text(`${dir}/${base}_label`) ?? '', current: rpm });
  }
  return out;
}

/** the first battery's state; undefined when the machine has none */
export function sensorsBattery(opts: { sysRoot?: string } = {}): Battery | undefined {
  const ps = `${opts.sysRoot ?? '/sys'}/class/power_supply`;
  const bat = list(ps).find((n) => n.startsWith('BAT') || n.toLowerCase().includes('battery'));
  if (!bat) return undefined;
  const root = `${ps}/${bat}`;
  const first = (...names: string[]) => names.map((n) => num(`${root}/${n}`)).find((v) => v !== undefined);
  const energyNow = first('energy_now', 'charge_now');
  const powerNow = first('power_now', 'current_now');
  const energyFull = first('energy_full', 'charge_full');
  const toEmpty = first('time_to_empty_now');
  let percent: number;
  if (energyNow !== undefined && energyFull) percent = (100 * energyNow) / energyFull;
  else {
    const cap = num(`${root}/capacity`);
    if (cap === undefined) return undefined;
    percent = cap;
  }
  const online = num(`${ps}/AC0/online`) ?? num(`${ps}/AC/online`);
  let powerPlugged: boolean | undefined;
  if (online !== undefined) powerPlugged = online === 1;
  else {
    const status = text(`${root}/status`)?.toLowerCase();
    powerPlugged = status === 'discharging' ? false : status === 'charging' || status === 'full' ? true : undefined;
  }
  let secsleft = POWER_TIME_UNKNOWN;
  if (powerPlugged) secsleft = POWER_TIME_UNLIMITED;
  else if (energyNow && powerNow) secsleft = Math.trunc((energyNow / powerNow) * 3600);
  else if (toEmpty) secsleft = Math.trunc(toEmpty * 60);
  return { percent, secsleft, powerPlugged };
}
