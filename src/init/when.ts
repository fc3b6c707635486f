/**
 * The TIME of shutdown(8): "now", "+MINUTES" or "HH:MM" (the next such
 * time, tomorrow if it has passed today), in the local time zone. Pure.
 */

/** Epoch milliseconds the time means, or an error for one shutdown would refuse. */
export function parseWhen(spec: string, now: Date): number | { error: string } {
  if (spec === 'now') return now.getTime();
  const plus = /^\+(\d{1,6})$/.exec(spec);
  if (plus) return now.getTime() + Number(plus[1]) * 60_000;
  const hm = /^(\d{1,2}):(\d{2})$/.exec(spec);
  if (hm) {
    const h = Number(hm[1]);
    const m = Number(hm[2]);
    if (h > 23 || m > 59) return { error: `'${spec}': hours 0-23 and minutes 0-59` };
    const at = new Date(now.getFullYear(), now.getMonth(), now.getDate(), h, m, 0, 0);
    if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1);
    return at.getTime();
  }
  return { error: `'${spec}' is not a time (now, +MINUTES or HH:MM)` };
}
