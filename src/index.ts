/** daemonkit's library API: typed access to the process table. */
export * from './proc/index.js';
