/**
 * What `ps -e`, `pstree`, `top` and `pgrep` call a process: its comm (15
 * bytes, prctl PR_SET_NAME) and its command line (/proc/PID/cmdline). Node
 * sets both from process.title, but libuv cuts the title to 15 bytes for
 * comm ("dk-syslogd -n -"), so comm is set again on its own.
 */
import * as fs from 'node:fs';
import { loadLibc } from './libc.js';

const PR_SET_NAME = 15;
export const COMM_MAX = 15;

export function nameProcess(comm: string, title: string): void {
  // libuv writes the title over the original argv, which bounds its length
  process.title = title;
  const name = Buffer.from(comm).subarray(0, COMM_MAX).toString();
  try {
    loadLibc().prctlName(PR_SET_NAME, name, 0, 0, 0);
  } catch {
    // without koffi: the same through /proc (the main thread is the thread group leader)
    try {
      fs.writeFileSync('/proc/self/comm', name);
    } catch {
      // a name is a courtesy; the daemon runs without one
    }
  }
}
