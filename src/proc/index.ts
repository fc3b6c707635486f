export { processes, process, threads, snapshot, systemInfo, type SnapshotOptions } from './snapshot.js';
export type { ProcessInfo, FieldName, SystemInfo, Capabilities, SignalMasks } from './types.js';
export { TtyResolver } from './tty.js';
