/**
 * daemonkit/process: psutil's Process for Node: a typed handle on one
 * process that survives PID reuse, the process table (pids, pidExists,
 * processIter) and the errors every call may throw.
 *
 * @module daemonkit/process
 */
export * from './errors.js';
export { Process, ATTRS, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE, IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, RLIMIT, RLIM_INFINITY } from './process.js';
export type {
  Attr,
  CtxSwitches,
  Ids,
  IoNice,
  MemoryFullInfo,
  MemoryInfo,
  ProcessCpuTimes,
  ProcessDict,
  ProcessIoCounters,
  ProcessOpenFile,
  ProcessStatus,
  ThreadTimes,
} from './process.js';
export type { MemoryMap, MemoryMapGrouped, MemoryMapSizes } from './smaps.js';
export { pids, pidExists, processIter, type ProcessIterOptions, type ProcessWithInfo } from './iter.js';
export { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM, type Connection, type ConnectionKind, type Endpoint } from './connections.js';
