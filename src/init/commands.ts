/**
 * The classic commands that ask init to change the system's state:
 * shutdown(8) (at a time, cancellable, with a notice to who is logged in),
 * halt, poweroff, reboot, telinit and runlevel. Each is a request on dk
 * init's control socket; the option names are sysvinit's and systemd's.
 */
import { ask } from '../daemon/control.js';
import { targetOfRunlevel } from './runlevel.js';
import type { SystemEnd } from './shutdown.js';
import { parseWhen } from './when.js';

export interface CommandIO {
  write(s: string): void;
  error(s: string): void;
}

/** where dk init keeps its sockets unless told: /run/dk-init for root, /tmp/dk-init-UID otherwise */
export const defaultStateDir = (): string => (process.getuid?.() === 0 ? '/run/dk-init' : `/tmp/dk-init-${process.getuid?.()}`);
export const defaultControl = (): string => `${defaultStateDir()}/control.sock`;

export const SHUTDOWN_HELP = `Usage: dk shutdown [-P|-h|-H|-r|-k|-c] [--no-wall] [--control PATH] [TIME] [MESSAGE...]

  -P, --poweroff  power off (the default; -h is the same unless -H is given)
  -H, --halt      halt          -r, --reboot   reboot
  -k              only send the notice    -c   cancel a pending shutdown
  --no-wall       no notice to logged-in terminals
TIME: now, +MINUTES or HH:MM (default +1). The notice goes to every terminal in utmp.
`;

export const HALT_HELP = `Usage: dk halt|poweroff|reboot [-p] [--no-wall] [--control PATH]

Stops every unit in reverse order and ends the system (dk init as PID 1), or stops dk init
with exit status 0 (poweroff), 134 (halt) or 133 (reboot). halt -p powers off.
`;

export const TELINIT_HELP = `Usage: dk telinit [--control PATH] RUNLEVEL

  0 power off   1, s, S single-user (rescue.target)   2, 3, 4 multi-user   5 graphical   6 reboot
`;

/** The option words of one command line; what is not an option is left in rest. */
function options(argv: string[]): { flags: Set<string>; control: string; rest: string[] } | { error: string } {
  const flags = new Set<string>();
  let control = defaultControl();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--control') {
      if (argv[i + 1] === undefined) return { error: '--control needs a path' };
      control = argv[++i];
    } else if (a.startsWith('--')) flags.add(a);
    else if (a.startsWith('-') && a.length > 1 && rest.length === 0) for (const c of a.slice(1)) flags.add(`-${c}`);
    else rest.push(a);
  }
  return { flags, control, rest };
}

async function request(io: CommandIO, who: string, control: string, req: { cmd: string; [k: string]: unknown }): Promise<Record<string, unknown> | undefined> {
  try {
    const r = await ask(control, req);
    if (r.error || r.ok === false) {
      io.error(`dk ${who}: ${String(r.error ?? 'refused')}\n`);
      return undefined;
    }
    return r;
  } catch (e) {
    io.error(`dk ${who}: cannot reach dk init on ${control}: ${(e as Error).message}\n`);
    return undefined;
  }
}

export async function runShutdown(argv: string[], io: CommandIO, now = new Date()): Promise<number> {
  const o = options(argv);
  if ('error' in o) {
    io.error(`dk shutdown: ${o.error}\n`);
    return 1;
  }
  const f = o.flags;
  if (f.has('--help')) {
    io.write(SHUTDOWN_HELP);
    return 0;
  }
  const known = ['-P', '-h', '-H', '-r', '-k', '-c', '--poweroff', '--halt', '--reboot', '--no-wall'];
  const unknown = [...f].find((x) => !known.includes(x));
  if (unknown) {
    io.error(`dk shutdown: unknown option ${unknown} (see 'dk shutdown --help')\n`);
    return 1;
  }
  const wallOn = !f.has('--no-wall');
  if (f.has('-c')) return (await request(io, 'shutdown', o.control, { cmd: 'cancel', wall: wallOn, message: o.rest.join(' ') })) ? 0 : 1;
  const kind: SystemEnd = f.has('-r') || f.has('--reboot') ? 'reboot' : f.has('-H') || f.has('--halt') ? 'halt' : 'poweroff';
  // the first word is the time when it reads as one; shutdown without a time waits a minute, as systemd's does
  const first = o.rest[0];
  const timeGiven = first !== undefined && (first === 'now' || /^\+\d+$/.test(first) || /^\d{1,2}:\d{2}$/.test(first));
  const at = parseWhen(timeGiven ? first : '+1', now);
  if (typeof at !== 'number') {
    io.error(`dk shutdown: ${at.error}\n`);
    return 1;
  }
  const message = (timeGiven ? o.rest.slice(1) : o.rest).join(' ');
  const r = await request(io, 'shutdown', o.control, { cmd: 'schedule', kind, at, message, wall: wallOn, warnOnly: f.has('-k') });
  if (!r) return 1;
  if (!f.has('-k') && at > now.getTime()) io.write(`Shutdown (${kind}) scheduled for ${new Date(at).toUTCString()}, use 'dk shutdown -c' to cancel.\n`);
  return 0;
}

/** halt, poweroff and reboot: now, through dk init. */
export async function runHaltLike(name: SystemEnd, argv: string[], io: CommandIO): Promise<number> {
  const o = options(argv);
  if ('error' in o) {
    io.error(`dk ${name}: ${o.error}\n`);
    return 1;
  }
  if (o.flags.has('--help')) {
    io.write(HALT_HELP);
    return 0;
  }
  const unknown = [...o.flags].find((x) => !['-p', '--poweroff', '--no-wall'].includes(x));
  if (unknown || o.rest.length) {
    io.error(`dk ${name}: unknown argument ${unknown ?? o.rest[0]} (see 'dk ${name} --help')\n`);
    return 1;
  }
  // sysvinit's halt -p powers off
  const kind: SystemEnd = name === 'halt' && (o.flags.has('-p') || o.flags.has('--poweroff')) ? 'poweroff' : name;
  return (await request(io, name, o.control, { cmd: 'schedule', kind, at: Date.now(), wall: !o.flags.has('--no-wall') })) ? 0 : 1;
}

export async function runTelinit(argv: string[], io: CommandIO): Promise<number> {
  const o = options(argv);
  if ('error' in o) {
    io.error(`dk telinit: ${o.error}\n`);
    return 1;
  }
  if (o.flags.has('--help')) {
    io.write(TELINIT_HELP);
    return 0;
  }
  const level = o.rest[0];
  if (o.rest.length !== 1) {
    io.error("dk telinit: one runlevel (0-6, s, S, q) (see 'dk telinit --help')\n");
    return 1;
  }
  if (level === 'q' || level === 'Q') return (await request(io, 'telinit', o.control, { cmd: 'daemon-reload' })) ? 0 : 1;
  const target = targetOfRunlevel(level);
  if (!target) {
    io.error(`dk telinit: '${level}' is not a runlevel (0-6, s, S, q)\n`);
    return 1;
  }
  return (await request(io, 'telinit', o.control, { cmd: 'isolate', unit: target })) ? 0 : 1;
}

/** runlevel(8): the previous and the current runlevel, "N" for no previous one. */
export async function runRunlevel(argv: string[], io: CommandIO): Promise<number> {
  const o = options(argv);
  if ('error' in o) {
    io.error(`dk runlevel: ${o.error}\n`);
    return 1;
  }
  const r = await request(io, 'runlevel', o.control, { cmd: 'runlevel' });
  if (!r) return 1;
  if (r.current === 'unknown') {
    io.write('unknown\n');
    return 1;
  }
  io.write(`${String(r.previous)} ${String(r.current)}\n`);
  return 0;
}
