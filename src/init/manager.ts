/**
 * The units of a system and their runners: loading unit directories (and
 * SysV init.d scripts), booting a target in parallel (each unit starts as
 * soon as everything it is ordered after has settled; a failed Requires
 * fails its dependents), switching targets (isolate), and stopping in
 * reverse order.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { closeFd, rawListen } from '../sys/rawsocket.js';
import { Readiness } from '../sys/readiness.js';
import { removeStaleSocket } from '../sys/stalesocket.js';
import { findCycle, transaction } from './graph.js';
import { UnitRunner, type RunnerHost, type UnitState } from './runner.js';
import { lsbUnit, parseLsb } from './units/lsb.js';
import { hostFacts, parseUnitName, templateOf } from './units/specifiers.js';
import { resolveTargetAlias } from './runlevel.js';
import { loadUnit, type Diagnostic, type Unit } from './units/unit.js';

const listDir = (dir: string): string[] => {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return []; // a default directory that this system does not have
  }
};
/** The unit name a unit file is a symlink to, when that is another unit file of another name. */
const aliasOf = (file: string, name: string): string | undefined => {
  try {
    if (!fs.lstatSync(file).isSymbolicLink()) return undefined;
    const target = fs.readlinkSync(file).replace(/^.*\//, '');
    return target !== name && /\.(service|target|socket)$/.test(target) ? target : undefined;
  } catch {
    return undefined;
  }
};
const isFile = (path: string): boolean => fs.statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
const isMasked = (path: string): boolean => {
  try {
    return fs.realpathSync(path) === '/dev/null';
  } catch {
    return false;
  }
};

export interface UnitStatus {
  name: string;
  kind: string;
  description?: string;
  state: UnitState;
  pid?: number;
  result?: string;
  status?: string;
  retryAt?: number;
  /** when the state last changed, ms since the epoch */
  since: number;
  /** restarts dk init made on its own */
  restarts: number;
}

export class Manager {
  readonly units = new Map<string, Unit>();
  readonly runners = new Map<string, UnitRunner>();
  readonly problems: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  target: string | undefined;
  /** the target before the last isolate (runlevel(8)'s previous runlevel) */
  previousTarget: string | undefined;
  /** socket activation: service -> the listening descriptors its .socket units hold */
  private readonly sockets = new Map<string, number[]>();
  private readonly ready = new Readiness();
  /** unit name -> its file, templates (NAME@.service) included: the first directory that has it */
  private readonly files = new Map<string, string>();
  /** names an instance was already tried for (a template that does not load is not re-read) */
  private readonly tried = new Set<string>();
  private unitDirs: string[] = [];
  private sysvDirs: string[] = [];
  /** the unit directories, the administrator's first */
  get dirs(): string[] {
    return this.unitDirs;
  }
  /** NAME.wants/ and NAME.requires/ links of every unit directory: what enable made */
  private readonly linked = new Map<string, { wants: Set<string>; requires: Set<string> }>();
  /** another name -> the unit it names (a unit file linked under another name, Alias=, LSB Provides:) */
  readonly aliases = new Map<string, string>();

  constructor(private readonly host: RunnerHost) {
    host.listenFds = (unit) => this.sockets.get(unit) ?? [];
    const changed = host.changed;
    // a socket-activated service that stopped is waited for on its sockets again
    host.changed = (r) => {
      changed(r);
      if ((r.state === 'inactive' || r.state === 'failed') && this.sockets.has(r.unit.name)) this.arm(r.unit.name);
    };
  }

  /** .socket: ListenStream/ListenDatagram ("PORT", "ADDR:PORT", "[V6]:PORT" or a path), held for the service. */
  private listen(u: Unit): void {
    const service = u.socket!.service ?? u.name.replace(/\.socket$/, '.service');
    const fds: number[] = [];
    try {
      for (const [type, list] of [
        ['stream', u.socket!.listenStream],
        ['dgram', u.socket!.listenDatagram],
      ] as const)
        for (const spec of list) {
          if (spec.startsWith('/')) {
            removeStaleSocket(spec);
            fds.push(rawListen({ type, host: spec, unix: true }).fd);
            continue;
          }
          const m = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d+)$/.exec(spec);
          if (!m) throw new Error(`${u.name}: cannot listen on '${spec}'`);
          fds.push(rawListen({ type, host: m[1] ?? m[2] ?? '::', port: Number(m[3]) }).fd);
        }
    } catch (e) {
      for (const fd of fds) closeFd(fd);
      throw e;
    }
    this.sockets.set(service, [...(this.sockets.get(service) ?? []), ...fds]);
    this.arm(service);
  }

  /** Wait on the service's sockets; the first client starts it. */
  private arm(service: string): void {
    const r = this.runners.get(service);
    const fds = this.sockets.get(service);
    if (!r || !fds) return;
    for (const fd of fds)
      this.ready.watch(fd, () => {
        for (const other of fds) this.ready.unwatch(other);
        if (r.state === 'active' || r.state === 'starting') return;
        this.host.log(`dk init: ${service}: activated by a client on its socket`);
        void r.start();
      });
  }

  private unlisten(u: Unit): void {
    const service = u.socket!.service ?? u.name.replace(/\.socket$/, '.service');
    for (const fd of this.sockets.get(service) ?? []) {
      this.ready.unwatch(fd);
      closeFd(fd);
    }
    this.sockets.delete(service);
  }

  /** Started by its socket rather than at boot: a .socket names it and nothing else pulls it in. */
  private socketActivated(name: string, set: Set<string>): boolean {
    let bySocket = false;
    for (const n of set) {
      const u = this.units.get(n)!;
      if (u.kind === 'socket') bySocket ||= (u.socket?.service ?? n.replace(/\.socket$/, '.service')) === name;
      else if (u.requires.includes(name) || u.wants.includes(name)) return false;
    }
    const u = this.units.get(name)!;
    return bySocket && !(u.installActive && u.wantedBy.some((w) => set.has(w)));
  }

  close(): void {
    for (const u of this.units.values()) if (u.kind === 'socket') this.unlisten(u);
    this.ready.close();
  }

  /**
   * Unit directories first (the first definition of a name wins), then
   * init.d scripts not already defined. Templates (NAME@.service) are kept
   * as files and made into instances for the names that refer to them.
   */
  load(unitDirs: string[], sysvDirs: string[] = []): void {
    this.unitDirs = unitDirs;
    this.sysvDirs = sysvDirs;
    for (const dir of unitDirs)
      for (const name of listDir(dir)) {
        const deps = /^(.+\.(?:service|target|socket))\.(wants|requires)$/.exec(name);
        if (deps) {
          // runlevel3.target.wants/ is multi-user.target's, as systemd's alias links make it
          const owner = resolveTargetAlias(deps[1]);
          const l = this.linked.get(owner) ?? { wants: new Set<string>(), requires: new Set<string>() };
          this.linked.set(owner, l);
          for (const n of listDir(join(dir, name))) if (/\.(service|target|socket)$/.test(n)) l[deps[2] as 'wants' | 'requires'].add(n);
          continue;
        }
        if (!/\.(service|target|socket)$/.test(name) || this.files.has(name)) continue;
        const file = join(dir, name);
        // a unit file linked under another name (systemctl's Alias=) is that unit, not a second one
        const real = aliasOf(file, name);
        if (real) {
          if (!this.aliases.has(name)) this.aliases.set(name, real);
          continue;
        }
        // a unit linked to /dev/null is masked: it cannot be started, whatever other directory defines it
        if (isMasked(file)) this.warnings.push({ file, line: 1, reason: `${name} is masked (a link to /dev/null): not loaded` });
        this.files.set(name, file);
      }
    // templates load only as the instances something names
    for (const [name, file] of this.files) if (parseUnitName(name)?.instance !== '') this.loadFile(name, file);
    for (const dir of sysvDirs)
      for (const name of listDir(dir)) {
        const file = join(dir, name);
        if (this.units.has(`${name}.service`) || name.startsWith('.') || !isFile(file)) continue;
        const r = parseLsb(fs.readFileSync(file, 'utf8'), file);
        this.problems.push(...r.problems);
        this.warnings.push(...r.warnings);
        const u = r.header && lsbUnit(file, r.header);
        if (u) this.add(u);
      }
    this.instantiateReferenced();
  }

  /** The unit a name stands for: itself, or what it is an alias of. */
  canonical(name: string): string {
    return this.units.has(name) ? name : (this.aliases.get(name) ?? resolveTargetAlias(name));
  }

  /** One unit from its file (or its template's, for an instance), with its drop-ins. */
  private loadFile(name: string, file: string): Unit | undefined {
    if (isMasked(file)) return undefined;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      this.problems.push({ file, line: 1, reason: `cannot read: ${(e as Error).message}` });
      return undefined;
    }
    const template = templateOf(name);
    const dropins = this.dropins(template ? [name, template] : [name]);
    const r = loadUnit(name, text, file, { dropins, host: (this.host.facts ??= hostFacts()) });
    this.problems.push(...r.problems);
    this.warnings.push(...r.warnings);
    if (r.unit) this.add(r.unit);
    return r.unit;
  }

  /**
   * NAME.d/*.conf from every unit directory: a file name met first (in an
   * earlier directory, or the instance's own before its template's) hides
   * later ones of the same name; they apply in file-name order.
   */
  private dropins(names: string[]): { file: string; text: string }[] {
    const chosen = new Map<string, string>();
    for (const dir of this.unitDirs)
      for (const n of names)
        for (const conf of listDir(join(dir, `${n}.d`))) if (conf.endsWith('.conf') && !chosen.has(conf)) chosen.set(conf, join(dir, `${n}.d`, conf));
    const out: { file: string; text: string }[] = [];
    for (const conf of [...chosen.keys()].sort()) {
      const file = chosen.get(conf)!;
      if (isMasked(file)) continue;
      try {
        out.push({ file, text: fs.readFileSync(file, 'utf8') });
      } catch (e) {
        this.problems.push({ file, line: 1, reason: `cannot read: ${(e as Error).message}` });
      }
    }
    return out;
  }

  /** The file of the template an instance name is made from (getty@.service for getty@tty1.service), if there is one. */
  private templateFile(name: string): string | undefined {
    const template = templateOf(name);
    return template === undefined ? undefined : this.files.get(template);
  }

  /** The unit of this name, made from its template when it is an instance not yet made; undefined when neither exists. */
  resolve(asked: string): Unit | undefined {
    const name = this.canonical(asked);
    const known = this.units.get(name);
    if (known) return known;
    const file = this.templateFile(name);
    if (file === undefined) return undefined;
    const u = this.loadFile(name, file);
    if (u) this.instantiateReferenced();
    return u;
  }

  /**
   * daemon-reload: the unit files, drop-ins and links read again. A unit
   * that runs keeps its runner and processes (its next start, stop or
   * reload uses the new file); one whose file is gone stays loaded until it
   * stops. Returns the problems of the new files.
   */
  reload(): Diagnostic[] {
    this.units.clear();
    this.files.clear();
    this.tried.clear();
    this.linked.clear();
    this.aliases.clear();
    this.problems.length = 0;
    this.warnings.length = 0;
    const before = new Map(this.runners);
    this.load(this.unitDirs, this.sysvDirs);
    for (const [name, r] of before) {
      if (this.units.has(name)) continue;
      if (r.state === 'inactive' || r.state === 'failed') this.runners.delete(name);
      else this.units.set(name, r.unit);
    }
    return [...this.problems];
  }

  /** Dependencies on another name of a unit (Alias=, LSB Provides:, runlevelN.target) point at the unit. */
  private canonicalizeDeps(): void {
    const fix = (list: string[]) => {
      for (let i = 0; i < list.length; i++) if (!this.units.has(list[i])) list[i] = this.canonical(list[i]);
    };
    for (const u of this.units.values()) for (const l of [u.requires, u.wants, u.after, u.before, u.conflicts, u.wantedBy, u.requiredBy]) fix(l);
  }

  /** Instances named by any loaded unit (Wants=getty@tty1.service), made until none is missing. */
  private instantiateReferenced(): void {
    for (let grew = true; grew; ) {
      grew = false;
      for (const u of [...this.units.values()]) {
        const names = [...u.requires, ...u.wants, ...u.after, ...u.before, ...u.conflicts, ...u.wantedBy, ...u.requiredBy];
        if (u.socket?.service) names.push(u.socket.service);
        for (const n of names) {
          if (this.units.has(n) || this.tried.has(n)) continue;
          this.tried.add(n);
          const file = this.templateFile(n);
          if (file !== undefined && this.loadFile(n, file)) grew = true;
        }
      }
    }
    this.canonicalizeDeps();
  }

  add(u: Unit): void {
    // what NAME.wants/ and NAME.requires/ links add to it, as Wants= and Requires= do
    const l = this.linked.get(u.name);
    if (l) {
      for (const n of l.wants) if (!u.wants.includes(n)) u.wants.push(n);
      for (const n of l.requires) if (!u.requires.includes(n)) u.requires.push(n);
    }
    for (const a of u.alias ?? []) if (!this.aliases.has(a) && a !== u.name) this.aliases.set(a, u.name);
    this.units.set(u.name, u);
    // daemon-reload: a unit that runs keeps its runner (its state, its processes); the next start uses the new file
    const r = this.runners.get(u.name);
    if (r) r.unit = u;
    else this.runners.set(u.name, new UnitRunner(u, this.host));
  }

  /** Starts target and what it pulls in; stops running units it does not need. Throws on a cycle. */
  async isolate(target: string): Promise<{ failed: string[] }> {
    if (!this.resolve(target)) throw new Error(`unit ${target} does not exist`);
    const t = transaction(this.units, target);
    const cycle = findCycle(t.after);
    if (cycle) throw new Error(`ordering cycle: ${cycle.join(' -> ')}`);
    for (const m of t.missing) if (m.hard) this.host.log(`dk init: ${m.from} requires ${m.name}, which does not exist`);
    if (this.target !== target) this.previousTarget = this.target;
    this.target = target;
    const running = [...this.runners.values()].filter((r) => !t.units.has(r.unit.name) && r.state !== 'inactive').map((r) => r.unit.name);
    await this.stopUnits(new Set(running));
    return this.startUnits(t.units, t.after, new Set(t.missing.filter((m) => m.hard).map((m) => m.from)));
  }

  /** Parallel: each unit waits only for the units it is ordered after. */
  private async startUnits(set: Set<string>, after: Map<string, Set<string>>, broken: Set<string>): Promise<{ failed: string[] }> {
    const done = new Map<string, Promise<boolean>>();
    const failed: string[] = [];
    const go = (name: string): Promise<boolean> => {
      let p = done.get(name);
      if (p) return p;
      p = (async () => {
        await Promise.all([...(after.get(name) ?? [])].map(go));
        const u = this.units.get(name)!;
        const hardFailed = u.requires.filter((d) => set.has(d) && this.runners.get(d)?.state === 'failed');
        if (hardFailed.length || broken.has(name)) {
          const r = this.runners.get(name)!;
          r.result = `dependency failed: ${hardFailed.join(', ') || 'missing unit'}`;
          r.state = 'failed';
          this.host.log(`dk init: ${name}: failed (${r.result})`);
          this.host.changed(r);
          failed.push(name);
          return false;
        }
        // socket-activated services start on their first client, not at boot
        if (u.kind === 'service' && this.socketActivated(name, set)) return true;
        if (u.kind === 'socket' && !this.sockets.has(u.socket?.service ?? name.replace(/\.socket$/, '.service'))) {
          try {
            this.listen(u);
          } catch (e) {
            const r = this.runners.get(name)!;
            r.result = (e as Error).message;
            r.state = 'failed';
            this.host.log(`dk init: ${name}: failed (${r.result})`);
            failed.push(name);
            return false;
          }
        }
        await this.stopConflicting(u);
        const ok = await this.runners.get(name)!.start();
        if (!ok) failed.push(name);
        return ok;
      })();
      done.set(name, p);
      return p;
    };
    await Promise.all([...set].map(go));
    return { failed };
  }

  /** Conflicts= (either side names the other): what runs is stopped before u starts. */
  private async stopConflicting(u: Unit): Promise<void> {
    const others = [...this.units.values()].filter((o) => o.name !== u.name && (u.conflicts.includes(o.name) || o.conflicts.includes(u.name)));
    for (const o of others) {
      const r = this.runners.get(o.name)!;
      if (r.state === 'inactive' || r.state === 'failed') continue;
      this.host.log(`dk init: ${o.name}: stopped, it conflicts with ${u.name}`);
      await r.stop();
    }
  }

  /** Starts one unit by hand (initctl start), after what conflicts with it has stopped. */
  async startOne(name: string): Promise<boolean> {
    const u = this.resolve(name);
    if (!u) throw new Error(`unit ${name} does not exist`);
    await this.stopConflicting(u);
    // by its own name: the one asked may be an alias
    return this.runners.get(u.name)!.start();
  }

  /** Reverse order: a unit stops after every unit ordered after it has stopped. */
  async stopUnits(names: Set<string>): Promise<void> {
    const done = new Map<string, Promise<void>>();
    const dependents = (n: string) =>
      [...names].filter((m) => {
        const u = this.units.get(m)!;
        return u.after.includes(n) || this.units.get(n)!.before.includes(m);
      });
    const go = (n: string): Promise<void> => {
      let p = done.get(n);
      if (p) return p;
      p = (async () => {
        await Promise.all(dependents(n).map(go));
        await this.runners.get(n)!.stop();
        const u = this.units.get(n)!;
        if (u.kind === 'socket') this.unlisten(u);
      })();
      done.set(n, p);
      return p;
    };
    await Promise.all([...names].map(go));
  }

  async stopAll(): Promise<void> {
    await this.stopUnits(new Set([...this.runners.values()].filter((r) => r.state !== 'inactive').map((r) => r.unit.name)));
  }

  status(name?: string): UnitStatus[] {
    const list = name ? [this.runners.get(name)].filter((r): r is UnitRunner => !!r) : [...this.runners.values()];
    return list.map((r) => ({
      name: r.unit.name,
      kind: r.unit.kind,
      description: r.unit.description,
      state: r.state,
      pid: r.mainPid,
      result: r.result || undefined,
      status: r.status || undefined,
      retryAt: r.retryAt,
      since: r.since,
      restarts: r.restarts,
    }));
  }
}
