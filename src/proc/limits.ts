/** /proc/PID/limits: each resource's soft and hard limit, as prlimit shows them. */
import { readAscii } from './read.js';

export interface Limit {
  /** "Max open files" */
  name: string;
  /** a number, or "unlimited" */
  soft: string;
  hard: string;
  /** "files", "bytes", "seconds"... ('' when none) */
  units: string;
}

export function parseLimits(text: string): Limit[] {
  const out: Limit[] = [];
  for (const line of text.split('\n').slice(1)) {
    // the name column is 26 wide, then soft, hard, units
    const m = /^(.{25}\S*)\s+(\S+)\s+(\S+)\s*(\S*)\s*$/.exec(line);
    if (m) out.push({ name: m[1].trim(), soft: m[2], hard: m[3], units: m[4] });
  }
  return out;
}

export const processLimits = (pid: number, procRoot = '/proc'): Limit[] | undefined => {
  const text = readAscii(`${procRoot}/${pid}/limits`);
  return text === undefined ? undefined : parseLimits(text);
};
