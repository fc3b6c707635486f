/**
 * xinetd's access_times: "hour:min-hour:min" intervals of the local day
 * when a service may be used. An interval whose end is before its start
 * runs over midnight (22:00-06:00).
 */
import { localOf } from '../../time/localtime.js';
export interface Interval {
  /** minutes after midnight, both ends included */
  from: number;
  to: number;
}

/** The intervals, or the first one that is not hh:mm-hh:mm with a valid time. */
export function parseAccessTimes(list: string[]): Interval[] | { bad: string } {
  const out: Interval[] = [];
  for (const t of list) {
    const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(t);
    const mins =
      m &&
      [
        [m[1], m[2]],
        [m[3], m[4]],
      ].map(([h, mm]) => (Number(h) < 24 && Number(mm) < 60 ? Number(h) * 60 + Number(mm) : NaN));
    if (!mins || mins.some(Number.isNaN)) return { bad: t };
    out.push({ from: mins[0], to: mins[1] });
  }
  return out;
}

export function withinAccessTimes(intervals: Interval[], when: Date): boolean {
  if (!intervals.length) return true;
  const t = localOf(when);
  const now = t.hours * 60 + t.minutes;
  return intervals.some((i) => (i.from <= i.to ? now >= i.from && now <= i.to : now >= i.from || now <= i.to));
}
