export { processes, process, threads, snapshot, systemInfo, type SnapshotOptions } from './snapshot.js';
export type { ProcessInfo, FieldName, SystemInfo, Capabilities, SignalMasks, SystemdPlacement } from './types.js';
export type { IoCounters } from './parse/accounting.js';
export { TtyResolver, type StatDevice, type TtyResolverOptions } from './tty.js';
