/** dk inetd as the tests start it: in the foreground, nothing sent to the machine's syslog or read from its wrappers. */
import { existsSync, writeFileSync } from 'node:fs';

/**
 * dk's arguments for an inetd whose files are f('services'), f('inetd.conf'),
 * f('hosts.allow') and f('hosts.deny') (the two made empty when the test has
 * not written them), its log to f('nolog'): connections logged to stderr (-d).
 */
export function inetdArgs(f: (name: string) => string, extra: string[] = []): string[] {
  for (const w of ['hosts.allow', 'hosts.deny']) if (!existsSync(f(w))) writeFileSync(f(w), '');
  return [
    'inetd',
    '-d',
    '--syslog-socket',
    f('nolog'),
    '--services',
    f('services'),
    '--hosts-allow',
    f('hosts.allow'),
    '--hosts-deny',
    f('hosts.deny'),
    ...extra,
    f('inetd.conf'),
  ];
}
