/**
 * systemd's unit file syntax (systemd.syntax(7)): [Section] headers,
 * Key=Value assignments, # and ; comments, lines continued with a trailing
 * backslash. Pure; every entry keeps its line for messages, and anything
 * that is not an assignment is a problem with file and line.
 */
export interface Entry {
  key: string;
  value: string;
  line: number;
  /** the drop-in it came from, when not the unit file itself */
  file?: string;
}

export interface UnitText {
  /** section name -> entries in file order */
  sections: Map<string, Entry[]>;
  problems: { file: string; line: number; reason: string }[];
}

export function parseUnitText(text: string, file: string): UnitText {
  const out: UnitText = { sections: new Map(), problems: [] };
  const lines = text.split('\n');
  let section: Entry[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i].replace(/\r$/, '');
    // a trailing backslash joins the next line (comments inside continuations are skipped)
    while (/\\$/.test(line) && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} `;
      i++;
      const next = lines[i].replace(/\r$/, '');
      if (/^\s*[#;]/.test(next)) continue;
      line += next.trimStart();
    }
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) continue;
    const head = /^\[([^\]]+)\]$/.exec(t);
    if (head) {
      section = out.sections.get(head[1]) ?? [];
      out.sections.set(head[1], section);
      continue;
    }
    const eq = t.indexOf('=');
    if (eq <= 0) {
      out.problems.push({ file, line: start, reason: `expected Key=Value, found '${t.slice(0, 60)}'` });
      continue;
    }
    if (!section) {
      out.problems.push({ file, line: start, reason: `assignment outside a [Section]: '${t.slice(0, 60)}'` });
      continue;
    }
    section.push({ key: t.slice(0, eq).trim(), value: t.slice(eq + 1).trim(), line: start });
  }
  return out;
}

/**
 * A unit file and its drop-ins (NAME.d/*.conf) as one text: each drop-in's
 * entries come after the file's, section by section, so the rules of a key
 * (the last assignment wins, an empty one resets a list) apply across them
 * as systemd applies them. Entries from a drop-in name it.
 */
export function mergeDropins(base: UnitText, dropins: { file: string; text: string }[]): UnitText {
  const out: UnitText = { sections: new Map([...base.sections].map(([k, v]) => [k, [...v]])), problems: [...base.problems] };
  for (const d of dropins) {
    const t = parseUnitText(d.text, d.file);
    out.problems.push(...t.problems);
    for (const [name, entries] of t.sections) {
      const into = out.sections.get(name) ?? [];
      out.sections.set(name, into);
      for (const e of entries) into.push({ ...e, file: d.file });
    }
  }
  return out;
}

/** A command line as systemd splits it: words, "double" and 'single' quotes, backslash escapes. */
export function splitCommand(s: string): string[] | { error: string } {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) return { error: `unterminated ${c === '"' ? 'double' : 'single'} quote` };
      cur += s.slice(i + 1, end).replace(/\\(.)/g, '$1');
      inWord = true;
      i = end;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** systemd time spans: "90", "5s", "1min 30s", "250ms", "2h", "infinity" -> milliseconds (Infinity). */
export function parseTimespan(s: string, defaultUnit: 's' | 'ms' = 's'): number | undefined {
  const t = s.trim();
  if (t === 'infinity') return Infinity;
  if (!t) return undefined;
  const units: Record<string, number> = {
    us: 0.001,
    usec: 0.001,
    ms: 1,
    msec: 1,
    s: 1000,
    sec: 1000,
    second: 1000,
    seconds: 1000,
    m: 60_000,
    min: 60_000,
    minute: 60_000,
    minutes: 60_000,
    h: 3_600_000,
    hr: 3_600_000,
    hour: 3_600_000,
    hours: 3_600_000,
    d: 86_400_000,
    day: 86_400_000,
    days: 86_400_000,
  };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)\s*([a-z]*)\s*/gy;
  let m: RegExpExecArray | null;
  let used = 0;
  while ((m = re.exec(t))) {
    const unit = m[2] || defaultUnit;
    if (!(unit in units)) return undefined;
    total += Number(m[1]) * units[unit];
    used = re.lastIndex;
  }
  return used === t.length ? total : undefined;
}
