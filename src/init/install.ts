/**
 * systemctl enable and disable: the [Install] section made into links in
 * the first unit directory (the administrator's, as /etc/systemd/system
 * is): TARGET.wants/UNIT for WantedBy=, TARGET.requires/UNIT for
 * RequiredBy=, ALIAS for Alias=, and the units of Also= with it. A template
 * is enabled as its DefaultInstance= or as the instance named. Works on the
 * files alone, with or without dk init running.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { parseUnitName, serviceName, templateOf } from './units/specifiers.js';
import { diagnosticText, loadUnit } from './units/unit.js';

export interface InstallResult {
  /** what was done, in systemctl's words */
  changes: string[];
  problems: string[];
}

/** The file that defines name (an instance: its own file or its template's) in the first directory that has one. */
function unitFile(name: string, dirs: string[]): string | undefined {
  for (const n of [name, templateOf(name)])
    if (n)
      for (const d of dirs) {
        const f = join(d, n);
        if (fs.existsSync(f)) return f;
      }
  return undefined;
}

/** Links name's [Install] asks for, in dirs[0]. */
export function enableUnits(names: string[], dirs: string[]): InstallResult {
  const out: InstallResult = { changes: [], problems: [] };
  const done = new Set<string>();
  const admin = dirs[0];
  const link = (path: string, target: string) => {
    let current: string | undefined;
    try {
      current = fs.readlinkSync(path);
    } catch {
      current = undefined;
    }
    if (current === target) return;
    if (current === undefined && fs.existsSync(path)) {
      out.problems.push(`${path} exists and is not a link: left as it is`);
      return;
    }
    fs.mkdirSync(join(path, '..'), { recursive: true });
    fs.rmSync(path, { force: true });
    fs.symlinkSync(target, path);
    out.changes.push(`Created symlink ${path} → ${target}.`);
  };
  const enable = (asked: string): void => {
    let name = serviceName(asked);
    if (done.has(name)) return;
    done.add(name);
    const file = unitFile(name, dirs);
    if (!file) {
      out.problems.push(`Unit ${name} does not exist.`);
      return;
    }
    const text = fs.readFileSync(file, 'utf8');
    // a template enables as its default instance
    if (parseUnitName(name)?.instance === '') {
      const dflt = loadUnit(name, text, file).unit?.defaultInstance;
      if (!dflt) {
        out.problems.push(`${name} is a template without DefaultInstance=: name an instance (${name.replace('@.', '@NAME.')})`);
        return;
      }
      name = name.replace('@.', `@${dflt}.`);
    }
    const r = loadUnit(name, text, file);
    if (!r.unit) {
      out.problems.push(...r.problems.map(diagnosticText));
      return;
    }
    const u = r.unit;
    if (!u.wantedBy.length && !u.requiredBy.length && !u.alias?.length && !u.also?.length) {
      out.problems.push(`${name} has no [Install] section (WantedBy=, RequiredBy=, Alias=, Also=): nothing to enable`);
      return;
    }
    for (const t of u.wantedBy) link(join(admin, `${t}.wants`, name), file);
    for (const t of u.requiredBy) link(join(admin, `${t}.requires`, name), file);
    for (const a of u.alias ?? []) link(join(admin, a), file);
    for (const a of u.also ?? []) enable(a);
  };
  for (const n of names) enable(n);
  return out;
}

/**
 * Removes the links that enable made for name in dirs[0]: every
 * TARGET.wants/ and TARGET.requires/ entry of that name (of any instance,
 * for a template), and aliases that point at its file.
 */
export function disableUnits(names: string[], dirs: string[]): InstallResult {
  const out: InstallResult = { changes: [], problems: [] };
  const admin = dirs[0];
  for (const asked of names) {
    const name = serviceName(asked);
    const file = unitFile(name, dirs);
    if (!file) {
      out.problems.push(`Unit ${name} does not exist.`);
      continue;
    }
    const template = parseUnitName(name)?.instance === '';
    const matches = (entry: string) => entry === name || (template && templateOf(entry) === name);
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(admin);
    } catch {
      entries = [];
    }
    for (const e of entries) {
      const path = join(admin, e);
      if (/\.(wants|requires)$/.test(e)) {
        for (const l of fs.readdirSync(path))
          if (matches(l)) {
            fs.rmSync(join(path, l), { force: true });
            out.changes.push(`Removed "${join(path, l)}".`);
          }
        continue;
      }
      let target: string | undefined;
      try {
        target = fs.readlinkSync(path);
      } catch {
        target = undefined;
      }
      if (target === file && e !== name) {
        fs.rmSync(path, { force: true });
        out.changes.push(`Removed "${path}".`);
      }
    }
  }
  return out;
}

/** enabled (a link names it), disabled (it could be), static (no [Install]), or undefined when there is no such unit. */
export function enablement(asked: string, dirs: string[]): 'enabled' | 'disabled' | 'static' | undefined {
  const name = serviceName(asked);
  const file = unitFile(name, dirs);
  if (!file) return undefined;
  for (const d of dirs) {
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(d);
    } catch {
      entries = [];
    }
    for (const e of entries) if (/\.(wants|requires)$/.test(e) && fs.readdirSync(join(d, e)).includes(name)) return 'enabled';
  }
  const u = loadUnit(name, fs.readFileSync(file, 'utf8'), file).unit;
  return u && (u.wantedBy.length || u.requiredBy.length || u.alias?.length || u.also?.length) ? 'disabled' : 'static';
}
