/**
 * Local time as glibc's localtime(3) gives it for the TZ in the
 * environment. V8 (ICU) reads zone names and the system zone, and the
 * plainest POSIX strings, but not every POSIX TZ rule glibc accepts:
 * "CET-1CEST,M3.5.0,M10.5.0/3" or "<+0330>-3:30" come out as UTC there,
 * and a container without tzdata is exactly where such a TZ is set. So: a
 * TZ that names a zone file (or none, the system zone) is left to V8; any
 * other is parsed here as POSIX TZ and evaluated the way glibc does; one
 * that does not parse is UTC, as in glibc.
 */
import { existsSync } from 'node:fs';

/** the broken-down time of localtime(3) */
export interface LocalTime {
  year: number;
  /** 0-11 */
  month: number;
  /** 1-31 */
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  /** 0 = Sunday */
  weekday: number;
  /** seconds east of UTC in effect */
  offset: number;
}

/** A date rule of a POSIX TZ: Jn (1-365, no Feb 29), n (0-365), or Mm.w.d; with the local time of day it happens at. */
type DateRule =
  | { kind: 'J'; day: number; time: number }
  | { kind: 'n'; day: number; time: number }
  | { kind: 'M'; month: number; week: number; weekday: number; time: number };

export interface PosixTz {
  /** seconds east of UTC (POSIX writes them west: "EST5" is -18000 here) */
  std: number;
  dst?: { offset: number; start: DateRule; end: DateRule };
}

const DEFAULT_TIME = 7200;

/**
 * Parses a POSIX TZ string (std offset [dst [offset] [,start[/time],end[/time]]]);
 * undefined when it is not one. A dst name without rules takes the US rules,
 * glibc's fallback when no posixrules file says otherwise.
 */
export function parsePosixTz(tz: string): PosixTz | undefined {
  let i = 0;
  const name = (): boolean => {
    if (tz[i] === '<') {
      const end = tz.indexOf('>', i);
      if (end < 0 || end - i - 1 < 3 || !/^[A-Za-z0-9+-]+$/.test(tz.slice(i + 1, end))) return false;
      i = end + 1;
      return true;
    }
    const m = /^[A-Za-z]{3,}/.exec(tz.slice(i));
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  /** [+-]hh[:mm[:ss]] as seconds; hours up to maxHours */
  const hms = (maxHours: number): number | undefined => {
    const m = /^([+-]?)(\d{1,3})(?::(\d{1,2})(?::(\d{1,2}))?)?/.exec(tz.slice(i));
    if (!m) return undefined;
    const h = Number(m[2]);
    const mi = Number(m[3] ?? 0);
    const s = Number(m[4] ?? 0);
    if (h > maxHours || mi > 59 || s > 59) return undefined;
    i += m[0].length;
    const v = h * 3600 + mi * 60 + s;
    return m[1] === '-' ? -v : v;
  };
  const rule = (): DateRule | undefined => {
    let r: DateRule | undefined;
    const rest = tz.slice(i);
    let m = /^J(\d{1,3})/.exec(rest);
    if (m && Number(m[1]) >= 1 && Number(m[1]) <= 365) r = { kind: 'J', day: Number(m[1]), time: DEFAULT_TIME };
    else if ((m = /^M(\d{1,2})\.(\d)\.(\d)/.exec(rest))) {
      const [month, week, weekday] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (month < 1 || month > 12 || week < 1 || week > 5 || weekday > 6) return undefined;
      r = { kind: 'M', month, week, weekday, time: DEFAULT_TIME };
    } else if ((m = /^(\d{1,3})/.exec(rest)) && Number(m[1]) <= 365) r = { kind: 'n', day: Number(m[1]), time: DEFAULT_TIME };
    if (!r || !m) return undefined;
    i += m[0].length;
    if (tz[i] === '/') {
      i++;
      const t = hms(167);
      if (t === undefined) return undefined;
      r.time = t;
    }
    return r;
  };

  if (!name()) return undefined;
  const stdWest = hms(24);
  if (stdWest === undefined) return undefined;
  const out: PosixTz = { std: -stdWest };
  if (i === tz.length) return out;
  if (!name()) return undefined;
  let dstEast = out.std + 3600;
  if (i < tz.length && tz[i] !== ',') {
    const w = hms(24);
    if (w === undefined) return undefined;
    dstEast = -w;
  }
  let start: DateRule = { kind: 'M', month: 3, week: 2, weekday: 0, time: DEFAULT_TIME };
  let end: DateRule = { kind: 'M', month: 11, week: 1, weekday: 0, time: DEFAULT_TIME };
  if (tz[i] === ',') {
    i++;
    const s = rule();
    if (!s || tz[i] !== ',') return undefined;
    i++;
    const e = rule();
    if (!e) return undefined;
    [start, end] = [s, e];
  }
  if (i !== tz.length) return undefined;
  out.dst = { offset: dstEast, start, end };
  return out;
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAY = 86400;

/** Seconds from the start of year y (as if UTC) to the rule's day and time. */
function ruleSeconds(r: DateRule, y: number): number {
  let day: number;
  if (r.kind === 'J') day = r.day - 1 + (isLeap(y) && r.day >= 60 ? 1 : 0);
  else if (r.kind === 'n') day = r.day;
  else {
    const first = Date.UTC(y, r.month - 1, 1) / 1000;
    const firstWeekday = new Date(first * 1000).getUTCDay();
    let d = 1 + ((r.weekday - firstWeekday + 7) % 7) + (r.week - 1) * 7;
    const inMonth = new Date(Date.UTC(y, r.month, 0)).getUTCDate();
    while (d > inMonth) d -= 7;
    day = (first - Date.UTC(y, 0, 1) / 1000) / DAY + d - 1;
  }
  return day * DAY + r.time;
}

/** The offset in effect at UTC instant t (seconds) under a POSIX rule. */
export function posixOffset(z: PosixTz, t: number): number {
  const dst = z.dst;
  if (!dst) return z.std;
  // glibc computes the year's two changes for the UTC year of the instant (tzset.c __tz_compute)
  const y = new Date(t * 1000).getUTCFullYear();
  const yearStart = Date.UTC(y, 0, 1) / 1000;
  // the start happens in standard time, the end in daylight time
  const start = yearStart + ruleSeconds(dst.start, y) - z.std;
  const end = yearStart + ruleSeconds(dst.end, y) - dst.offset;
  // as glibc decides it: a year whose start comes after its end (south) is daylight outside them
  const inDst = start > end ? t < end || t >= start : t >= start && t < end;
  return inDst ? dst.offset : z.std;
}

type Zone = { kind: 'v8' } | { kind: 'posix'; rule: PosixTz };
let cached: { tz: string | undefined; zone: Zone; seconds: Map<number, LocalTime> } | undefined;
/** answers kept per TZ: a listing asks for each process's start and for now, row after row */
const KEPT = 256;

/** How this TZ is evaluated: by V8 (a zone file or the system's), or by its POSIX rule here (UTC when it has none). */
export function zoneOf(tz: string | undefined, zoneinfo = '/usr/share/zoneinfo'): Zone {
  if (tz === undefined) return { kind: 'v8' };
  const file = tz.startsWith(':') ? tz.slice(1) : tz;
  if (file !== '' && !file.includes('..') && (file.startsWith('/') ? existsSync(file) : existsSync(`${zoneinfo}/${file}`))) return { kind: 'v8' };
  return { kind: 'posix', rule: (tz.startsWith(':') ? undefined : parsePosixTz(tz)) ?? { std: 0 } };
}

/** localtime(3) of a Date (to the second). */
export const localOf = (d: Date): LocalTime => localTime(Math.floor(d.getTime() / 1000));

/** localtime(3) of epoch seconds, for the TZ of this process's environment. */
export function localTime(epochSeconds: number, tz: string | undefined = process.env.TZ): LocalTime {
  if (cached === undefined || cached.tz !== tz) cached = { tz, zone: zoneOf(tz), seconds: new Map() };
  // a daemon stamps many messages within one second, ps asks for the start of each process and for now
  // in turn: recent answers are kept (callers only read them)
  let t = cached.seconds.get(epochSeconds);
  if (t === undefined) {
    if (cached.seconds.size >= KEPT) cached.seconds.clear();
    t = compute(cached.zone, epochSeconds);
    cached.seconds.set(epochSeconds, t);
  }
  return t;
}

function compute(zone: Zone, epochSeconds: number): LocalTime {
  if (zone.kind === 'v8') {
    const d = new Date(epochSeconds * 1000);
    return {
      year: d.getFullYear(),
      month: d.getMonth(),
      day: d.getDate(),
      hours: d.getHours(),
      minutes: d.getMinutes(),
      seconds: d.getSeconds(),
      weekday: d.getDay(),
      offset: -d.getTimezoneOffset() * 60,
    };
  }
  const offset = posixOffset(zone.rule, epochSeconds);
  const d = new Date((epochSeconds + offset) * 1000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth(),
    day: d.getUTCDate(),
    hours: d.getUTCHours(),
    minutes: d.getUTCMinutes(),
    seconds: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
    offset,
  };
}
