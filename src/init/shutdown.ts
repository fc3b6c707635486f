/**
 * The end of a system, as init ends it after its units have stopped: every
 * process left gets SIGTERM, then SIGKILL after a bounded wait; file systems
 * are synced and unmounted (what cannot be is remounted read-only on a real
 * machine); then reboot(2) powers off, halts or restarts. In a PID namespace
 * reboot(2) ends the namespace instead, its parent seeing init killed by
 * SIGINT (power-off, halt) or SIGHUP (restart). Not PID 1, dk init stops
 * with an exit status that says which was asked.
 */
import { constants } from 'node:os';
import { readFileSync, readlinkSync } from 'node:fs';
import { loadLibc } from '../sys/libc.js';
import { sync } from '../sys/process.js';
import { childPids } from '../proc/tasks.js';
import { parseMountinfo, unmountOrder } from './mounts.js';
import type { Reaper } from './reaper.js';

export type SystemEnd = 'poweroff' | 'halt' | 'reboot';

/** reboot(2)'s magic commands (linux/reboot.h) */
const REBOOT_CMD: Record<SystemEnd, number> = { poweroff: 0x4321fedc, halt: 0xcdef0123 | 0, reboot: 0x01234567 };

/**
 * What dk init exits with when it is not PID 1 and so cannot end the
 * machine: 0 for power-off, 133 for reboot (systemd-nspawn's "the container
 * asked for a reboot", so a wrapper loop can start it again), 134 for halt.
 */
export const END_STATUS: Record<SystemEnd, number> = { poweroff: 0, reboot: 133, halt: 134 };

/** The initial PID namespace's inode (PROC_PID_INIT_INO): init of a real machine, not of a container. */
const INIT_PID_NS = 0xeffffffc;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The processes still alive below us (only what Node did not start: those it reaps itself). */
function remaining(node: (pid: number) => boolean): number[] {
  return (childPids() ?? []).filter((p) => !node(p));
}

/**
 * As PID 1, after the units stopped: SIGTERM (and SIGCONT, so a stopped
 * process hears it) to every process, up to graceMs for them to go, then
 * SIGKILL. Every process of a PID namespace descends from its init, so once
 * init has no children nothing else runs. Returns how many needed SIGKILL.
 */
export async function killRemaining(reaper: Reaper, log: (s: string) => void, graceMs: number, node: (pid: number) => boolean = () => false): Promise<number> {
  const kill = (sig: number) => loadLibc().kill(-1, sig);
  if (!remaining(node).length) return 0;
  kill(constants.signals.SIGTERM);
  kill(constants.signals.SIGCONT);
  const end = Date.now() + graceMs;
  while (Date.now() < end) {
    reaper.sweep();
    if (!remaining(node).length) return 0;
    await sleep(20);
  }
  const stubborn = remaining(node);
  log(`dk init: ${stubborn.length} processes still running after ${graceMs} ms (${stubborn.slice(0, 8).join(' ')}): SIGKILL`);
  kill(constants.signals.SIGKILL);
  for (const limit = Date.now() + 2000; Date.now() < limit && remaining(node).length; ) {
    reaper.sweep();
    await sleep(10);
  }
  return stubborn.length;
}

/**
 * Unmounts what can be unmounted, deepest first. On a real machine the
 * rest (the root among them) is remounted read-only; in a container only
 * its own mounts are touched, since a read-only remount there would change
 * the host's file system, not a copy.
 */
export function unmountAll(log: (s: string) => void, realMachine: boolean, mountinfo = '/proc/self/mountinfo'): { unmounted: string[]; kept: string[] } {
  let text = '';
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return { unmounted: [], kept: [] };
  }
  const l = loadLibc();
  const unmounted: string[] = [];
  const kept: string[] = [];
  for (const m of unmountOrder(parseMountinfo(text))) {
    if (l.umount2(m.path, 0) === 0) {
      unmounted.push(m.path);
      log(`dk init: unmounted ${m.path} (${m.fstype})`);
    } else kept.push(m.path);
  }
  if (realMachine) {
    // MS_REMOUNT | MS_RDONLY: the file system itself, so its journal is clean at power-off
    for (const path of ['/', ...kept]) if (l.mount(null, path, null, 32 | 1, null) === 0) log(`dk init: ${path} remounted read-only`);
  } else if (kept.length) log(`dk init: ${kept.length} mounts of the host left as they are`);
  return { unmounted, kept };
}

/** Whether this is init of a real machine (the initial PID namespace). */
export function onRealMachine(): boolean {
  try {
    return /pid:\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] === String(INIT_PID_NS);
  } catch {
    return false;
  }
}

/**
 * Syncs, unmounts and calls reboot(2). Returns only if reboot failed (no
 * CAP_SYS_BOOT), with its errno text; the caller then exits with END_STATUS.
 */
export function endSystem(kind: SystemEnd, log: (s: string) => void): string {
  sync();
  const real = onRealMachine();
  unmountAll(log, real);
  sync();
  log(`dk init: ${kind === 'reboot' ? 'restarting' : kind === 'halt' ? 'halting' : 'powering off'}${real ? '' : ' (the PID namespace ends)'}`);
  const l = loadLibc();
  if (l.reboot(REBOOT_CMD[kind]) === 0) return '';
  return 'reboot(2) refused (no CAP_SYS_BOOT)';
}
