/**
 * /proc/locks: which process holds which lock on which inode, as the
 * letters lsof shows (R/W a whole file, r/w a part).
 */
import { readAscii } from './read.js';

/** pid -> inode -> lock letter */
export function parseLocks(text: string): Map<number, Map<number, string>> {
  const out = new Map<number, Map<number, string>>();
  for (const line of text.split('\n')) {
    const m = /^\d+: (\S+)\s+\S+\s+(READ|WRITE)\s+(-?\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s+(\d+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const whole = m[5] === '0' && m[6] === 'EOF';
    const letter = m[2] === 'READ' ? (whole ? 'R' : 'r') : whole ? 'W' : 'w';
    const pid = Number(m[3]);
    let map = out.get(pid);
    if (!map) out.set(pid, (map = new Map()));
    map.set(Number(m[4]), letter);
  }
  return out;
}

export const readLocks = (procRoot = '/proc'): Map<number, Map<number, string>> => parseLocks(readAscii(`${procRoot}/locks`) ?? '');
