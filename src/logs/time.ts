/**
 * journalctl's time specifications for --since/--until: "now", "today",
 * "yesterday", "tomorrow", relative "-1h", "+30min", "2 days ago", absolute
 * "2026-11-25", "2026-11-25 13:05[:07]", "13:05" (today), ISO 8601 with T
 * and a zone, "@1764075907" (epoch seconds). Local time unless a zone is
 * given. Pure: returns ms since the epoch, or undefined.
 */
const UNITS: Record<string, number> = {
  s: 1e3,
  sec: 1e3,
  secs: 1e3,
  second: 1e3,
  seconds: 1e3,
  m: 60e3,
  min: 60e3,
  mins: 60e3,
  minute: 60e3,
  minutes: 60e3,
  h: 3600e3,
  hr: 3600e3,
  hour: 3600e3,
  hours: 3600e3,
  d: 86400e3,
  day: 86400e3,
  days: 86400e3,
  w: 604800e3,
  week: 604800e3,
  weeks: 604800e3,
};

const midnight = (now: number, days: number): number => {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days).getTime();
};

export function parseTimeSpec(text: string, now: number): number | undefined {
  const s = text.trim().toLowerCase();
  if (s === 'now') return now;
  if (s === 'today') return midnight(now, 0);
  if (s === 'yesterday') return midnight(now, -1);
  if (s === 'tomorrow') return midnight(now, 1);
  const epoch = /^@(\d+(?:\.\d+)?)$/.exec(s);
  if (epoch) return Math.round(Number(epoch[1]) * 1000);
  // relative: "-1h", "+30min", "-1h30m", "2 days ago"
  const rel = /^([+-])?\s*((?:\d+\s*[a-z]+\s*)+?)(\s+ago)?$/.exec(s);
  if (rel && (rel[1] || rel[3])) {
    let ms = 0;
    for (const part of rel[2].matchAll(/(\d+)\s*([a-z]+)/g)) {
      const unit = UNITS[part[2]];
      if (unit === undefined) return undefined;
      ms += Number(part[1]) * unit;
    }
    return rel[1] === '+' && !rel[3] ? now + ms : now - ms;
  }
  const abs = /^(\d{4})-(\d\d)-(\d\d)(?:[ t](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?)?(z|[+-]\d\d:?\d\d)?$/.exec(s);
  if (abs) {
    const [y, mo, d, h, mi, se] = [abs[1], abs[2], abs[3], abs[4] ?? '0', abs[5] ?? '0', abs[6] ?? '0'].map(Number);
    const frac = abs[7] ? Math.round(Number(`0.${abs[7]}`) * 1000) : 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return undefined;
    if (abs[8]) {
      const z = abs[8] === 'z' ? 0 : (abs[8][0] === '-' ? -1 : 1) * (Number(abs[8].slice(1, 3)) * 60 + Number(abs[8].slice(-2)));
      return Date.UTC(y, mo - 1, d, h, mi, se, frac) - z * 60e3;
    }
    const t = new Date(y, mo - 1, d, h, mi, se, frac);
    return t.getDate() === d ? t.getTime() : undefined;
  }
  const clock = /^(\d\d?):(\d\d)(?::(\d\d))?$/.exec(s);
  if (clock) {
    const [h, mi, se] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (h > 23 || mi > 59 || se > 59) return undefined;
    return midnight(now, 0) + ((h * 60 + mi) * 60 + se) * 1000;
  }
  return undefined;
}
