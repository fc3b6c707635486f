/**
 * daemonkit/system: the machine as a whole, with psutil's system functions
 * (CPU, memory, disks, network, sensors, users). Sizes are bytes, times
 * seconds, rates per second; every call reads /proc or /sys afresh.
 *
 * @module daemonkit/system
 */
export * from './cpu.js';
export * from './memory.js';
export * from './disks.js';
export * from './network.js';
export * from './sensors.js';
export * from './host.js';
export { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM, type Connection, type ConnectionKind, type Endpoint } from '../connections.js';
