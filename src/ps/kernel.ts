/**
 * dk ps --kernel: the kernel's own daemons, named by the roles the classic
 * texts give them. Linux still runs what BSD called the pagedaemon and
 * swapper (kswapd), what the update daemon did (bdflush, kupdate, kflushd:
 * the writeback workers flushing dirty pages), keventd (the events
 * workqueue), all children of kthreadd. The role is read from the thread's
 * name (comm), which for a kworker also names the work it is running.
 */

interface Rule {
  re: RegExp;
  role(m: RegExpExecArray): string;
}

const CPU = (n: string): string => `CPU ${n}`;

/** roles of the work items kworkers run, as their queue names say */
function work(queue: string): string {
  if (/^flush-(\d+:\d+)$/.test(queue)) return `update daemon (bdflush/kupdate/kflushd): writeback of dirty pages to device ${queue.slice(6)}`;
  if (queue === 'writeback' || queue.startsWith('wb_workfn')) return 'update daemon (bdflush/kupdate): writeback of dirty pages';
  if (queue === 'events' || queue === 'events_highpri' || queue === 'events_unbound' || queue === 'events_long' || queue === 'events_freezable')
    return `keventd: the ${queue} workqueue`;
  if (queue === 'kblockd') return 'block I/O completion and plugging (kblockd)';
  if (queue === 'mm_percpu_wq') return 'per-CPU memory statistics (vmstat) work';
  return `running work from the ${queue} workqueue`;
}

const RULES: Rule[] = [
  { re: /^kthreadd$/, role: () => 'kthreadd: parent of every kernel thread' },
  { re: /^kswapd(\d+)$/, role: (m) => `page daemon / swapper (kswapd): reclaims pages when memory of NUMA node ${m[1]} runs low` },
  { re: /^kworker\/R-(.+)$/, role: (m) => `rescuer for the ${m[1]} workqueue (runs its work when no worker can be made)` },
  { re: /^kworker\/u(\d+):\d+-(.+)$/, role: (m) => `unbound worker (pool ${m[1]}): ${work(m[2])}` },
  { re: /^kworker\/(\d+):\d+(H?)-(.+)$/, role: (m) => `worker for ${CPU(m[1])}${m[2] ? ', high priority' : ''}: ${work(m[3])}` },
  { re: /^kworker\/u(\d+):\d+$/, role: (m) => `unbound worker (pool ${m[1]}), idle` },
  { re: /^kworker\/(\d+):\d+(H?)$/, role: (m) => `worker for ${CPU(m[1])}${m[2] ? ', high priority' : ''}, idle` },
  { re: /^ksoftirqd\/(\d+)$/, role: (m) => `softirq daemon: deferred interrupt work for ${CPU(m[1])}` },
  { re: /^migration\/(\d+)$/, role: (m) => `stopper: moves tasks off ${CPU(m[1])} (migration)` },
  { re: /^cpuhp\/(\d+)$/, role: (m) => `CPU hotplug for ${CPU(m[1])}` },
  { re: /^idle_inject\/(\d+)$/, role: (m) => `idle injection for ${CPU(m[1])}` },
  { re: /^rcu_/, role: () => 'RCU: read-copy-update grace periods and callbacks' },
  { re: /^rcuo[gps]\/(\d+)$/, role: (m) => `RCU callbacks offloaded from ${CPU(m[1])}` },
  { re: /^irq\/(\d+)-(.+)$/, role: (m) => `threaded interrupt handler for IRQ ${m[1]} (${m[2]})` },
  { re: /^jbd2\/(.+)$/, role: (m) => `ext4 journal commits for ${m[1]}` },
  { re: /^kcompactd(\d+)$/, role: (m) => `memory compaction for NUMA node ${m[1]}` },
  { re: /^khugepaged$/, role: () => 'collapses pages into transparent huge pages' },
  { re: /^ksmd$/, role: () => 'kernel samepage merging' },
  { re: /^oom_reaper$/, role: () => 'reclaims the memory of processes the OOM killer chose' },
  { re: /^kauditd$/, role: () => 'delivers audit records' },
  { re: /^khungtaskd$/, role: () => 'reports tasks stuck in D state' },
  { re: /^kdevtmpfs$/, role: () => 'maintains /dev (devtmpfs)' },
  { re: /^watchdogd$/, role: () => 'kicks the hardware watchdog' },
  { re: /^hwrng$/, role: () => 'feeds the hardware random number generator into the pool' },
  { re: /^kdamond/, role: () => 'DAMON: data access monitoring' },
  { re: /^pool_workqueue_release$/, role: () => 'releases workqueue pools' },
  { re: /^kthrotld$|^kblockd$/, role: () => 'block I/O throttling' },
  { re: /^xfs|^ext4/, role: () => 'filesystem work' },
  { re: /^scsi_eh_(\d+)$/, role: (m) => `SCSI error handler for host ${m[1]}` },
  { re: /^nfsd$/, role: () => 'NFS server thread' },
  { re: /^lockd$/, role: () => 'NFS lock manager' },
];

/** The role of a kernel thread from its name; '-' for one these rules do not know. */
export function kernelRole(comm: string): string {
  for (const r of RULES) {
    const m = r.re.exec(comm);
    if (m) return r.role(m);
  }
  return '-';
}

/** the listing --kernel prints unless -o names another */
export const KERNEL_FORMAT = 'pid,ppid,stat,time,wchan:20,comm:32,krole';
