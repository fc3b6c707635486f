/**
 * daemonkit's library API: psutil's surface for Node (Process, the process
 * table, the system functions) and the one-pass snapshot of the process
 * table the listing tools use. Subpaths load less: daemonkit/process,
 * daemonkit/system, daemonkit/syslog.
 *
 * @module daemonkit
 */
export * from './proc/index.js';
export * from './lib/index.js';
export * from './lib/system/index.js';
