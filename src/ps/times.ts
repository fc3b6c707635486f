/** The date and duration formats ps columns use (ctime, strftime subsets). */
import { type LocalTime, localTime } from '../time/localtime.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** ctime(3) without the newline: "Wed Jun  9 04:05:06 1993" (local time). */
export function ctime(epochSeconds: number): string {
  const d = localTime(epochSeconds);
  return `${DAYS[d.weekday]} ${MONTHS[d.month]} ${d.day < 10 ? ` ${d.day}` : d.day} ${pad2(d.hours)}:${pad2(d.minutes)}:${pad2(d.seconds)} ${d.year}`;
}

function dayOfYear(d: LocalTime): number {
  return Math.floor((Date.UTC(d.year, d.month, d.day) - Date.UTC(d.year, 0, 1)) / 86400000);
}

/** STIME: "HH:MM" today, "MonDD" this year, "YYYY" before. */
export function stime(start: number, now: number): string {
  const p = localTime(start);
  const n = localTime(now);
  if (p.year !== n.year) return String(p.year);
  if (dayOfYear(p) !== dayOfYear(n)) return `${MONTHS[p.month]}${pad2(p.day)}`;
  return `${pad2(p.hours)}:${pad2(p.minutes)}`;
}

/** STARTED: "HH:MM:SS" within a day, "  Mon DD" before. */
export function started(start: number, now: number): string {
  const c = ctime(start);
  if (start + 86400 > now) return c.slice(11, 19);
  const day = c[8] === ' ' ? `0${c[9]}` : c.slice(8, 10);
  return `  ${c.slice(4, 8)}${day}`;
}

/** BSD START: six characters, " HH:MM" within a day, "Mon DD" before. */
export function bsdStart(start: number, now: number): string {
  const c = ctime(start);
  return now - start > 86400 ? c.slice(4, 10) : c.slice(10, 16);
}

/** TIME: [dd-]hh:mm:ss */
export function cpuTime(seconds: number): string {
  const ss = seconds % 60;
  const mm = Math.floor(seconds / 60) % 60;
  const hh = Math.floor(seconds / 3600) % 24;
  const dd = Math.floor(seconds / 86400);
  return `${dd ? `${dd}-` : ''}${pad2(hh)}:${pad2(mm)}:${pad2(ss)}`;
}

/** ELAPSED: [[dd-]hh:]mm:ss */
export function elapsed(seconds: number): string {
  const ss = seconds % 60;
  const mm = Math.floor(seconds / 60) % 60;
  const hh = Math.floor(seconds / 3600) % 24;
  const dd = Math.floor(seconds / 86400);
  return `${dd ? `${dd}-` : ''}${dd || hh ? `${pad2(hh)}:` : ''}${pad2(mm)}:${pad2(ss)}`;
}

/** BSD TIME: mmm:ss */
export function bsdTime(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return `${m < 10 ? '  ' : m < 100 ? ' ' : ''}${m}:${pad2(seconds % 60)}`;
}

/**
 * Memoizes a (start, now) formatter: a listing formats the same few start
 * seconds over and over (everything started at boot), and Date is slow.
 */
export function memoByStart(f: (start: number, now: number) => string): (start: number, now: number) => string {
  let forNow = NaN;
  let cache = new Map<number, string>();
  return (start, now) => {
    if (now !== forNow) {
      forNow = now;
      cache = new Map();
    }
    let v = cache.get(start);
    if (v === undefined) cache.set(start, (v = f(start, now)));
    return v;
  };
}
