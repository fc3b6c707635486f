/**
 * SysV runlevels as targets (systemd's mapping), and the target a boot
 * asks for on the kernel command line: `single`, `S`, `1`, `rescue` for
 * single-user, `emergency` or `-b` for the emergency shell, a runlevel
 * digit, or `systemd.unit=NAME`. Pure.
 */

/** runlevel -> target: 0 powers off, 1 is single-user, 2-4 multi-user, 5 graphical, 6 reboots */
const TARGETS: Record<string, string> = {
  '0': 'poweroff.target',
  '1': 'rescue.target',
  s: 'rescue.target',
  S: 'rescue.target',
  '2': 'multi-user.target',
  '3': 'multi-user.target',
  '4': 'multi-user.target',
  '5': 'graphical.target',
  '6': 'reboot.target',
};

/** The target of a runlevel (0-6, s, S), undefined for anything else. */
export const targetOfRunlevel = (level: string): string | undefined => (Object.hasOwn(TARGETS, level) ? TARGETS[level] : undefined);

/** runlevelN.target is another name for the target of N. */
export function resolveTargetAlias(name: string): string {
  const m = /^runlevel([0-6])\.target$/.exec(name);
  return m ? TARGETS[m[1]] : name;
}

/** The runlevel a target stands for, as runlevel(8) prints it; undefined for a target with none. */
export function runlevelOfTarget(name: string | undefined): string | undefined {
  switch (name && resolveTargetAlias(name)) {
    case 'poweroff.target':
    case 'halt.target':
      return '0';
    case 'rescue.target':
      return '1';
    case 'multi-user.target':
      return '3';
    case 'graphical.target':
      return '5';
    case 'reboot.target':
      return '6';
    default:
      return undefined;
  }
}

/** What a target name given by a user means: rescue, 3, multi-user, runlevel5.target, getty.target. */
export function targetName(arg: string): string {
  const level = targetOfRunlevel(arg);
  if (level) return level;
  if (arg === 'single') return 'rescue.target';
  return resolveTargetAlias(arg.includes('.') ? arg : `${arg}.target`);
}

/**
 * The target the kernel command line asks for, undefined when it names
 * none (the default target then). The last word that names one wins, as
 * systemd reads /proc/cmdline; everything else (root=, quiet, init=) is
 * the kernel's or another program's.
 */
export function bootTargetOf(cmdline: string): string | undefined {
  let target: string | undefined;
  for (const word of cmdline.trim().split(/\s+/)) {
    if (word === 'single' || word === 's' || word === 'S' || word === '1' || word === 'rescue' || word === 'systemd.unit=rescue.target')
      target = 'rescue.target';
    else if (word === 'emergency' || word === '-b') target = 'emergency.target';
    else if (/^[2-5]$/.test(word)) target = TARGETS[word];
    else if (word.startsWith('systemd.unit=') && word.length > 'systemd.unit='.length) target = resolveTargetAlias(word.slice('systemd.unit='.length));
  }
  return target;
}
