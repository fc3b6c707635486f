/**
 * dk lsof's selection: which processes and which of their files make rows,
 * from the request (lsof's OR of selections, AND with -a) and /proc.
 * Pure of output: run.ts formats what this returns.
 */
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { openFiles, procOwner } from '../proc/fds.js';
import { otherSocketInodes, socketQueues, socketTable, TCP_STATES, type SocketInfo } from '../proc/net.js';
import { parseLocks, readLocks } from '../proc/locks.js';
import { process as processInfo, snapshot, threads } from '../proc/snapshot.js';
import { listPids, readAscii } from '../proc/read.js';
import type { ProcessInfo } from '../proc/types.js';
import { sockProtoName } from '../sys/xattr.js';
import type { NameCache } from '../proc/users.js';
import { LsofError, type LsofRequest } from './options.js';
import type { Names } from './names.js';
import type { ProcRows } from './format.js';
import { toRow, type Row, type RowContext } from './rows.js';
import { inetSpecsMatched, isAddressSpec, locateInet, matchesInet, stateAllowed } from './select.js';

export interface Collected {
  results: ProcRows[];
  /** a named file or directory could not be looked at (lsof exits 1) */
  failed: boolean;
  /** with deferLocks: the rows whose lock letter is still to be looked up (applyLocks) */
  pendingLocks: PendingLock[];
}

/** A row that may carry a lock, with what /proc/locks keys locks by. */
export interface PendingLock {
  row: Row;
  pid: number;
  inode: number;
}

/** The lock letters (pid -> inode -> letter, parseLocks) into the rows waiting for them. */
export function applyLocks(pending: PendingLock[], locks: Map<number, Map<number, string>>): void {
  for (let i = 0; i < pending.length; i++) {
    const p = pending[i];
    const letter = locks.get(p.pid)?.get(p.inode);
    if (letter) p.row.lock = letter;
  }
}

/** Processes selected by PID, user, command or group. */
const selectsProcesses = (r: LsofRequest): boolean => r.pids.length + r.users.length + r.commands.length + r.pgids.length > 0;
/** Files selected by address, unix socket, name or directory tree. */
const selectsFiles = (r: LsofRequest): boolean => r.inet !== undefined || r.unix || r.files.length > 0 || r.dirs.length > 0;

/** Only sockets can match: no row of this request can carry a lock. */
function socketsOnlyRequest(r: LsofRequest): boolean {
  return (r.inet !== undefined || r.unix) && r.files.length === 0 && r.dirs.length === 0 && (r.and || (!selectsProcesses(r) && r.fds.length === 0 && !r.tasks));
}

/** PIDs alone (or ANDed) select: only those processes are read. */
function pidsOnlyRequest(r: LsofRequest): boolean {
  return r.pids.length > 0 && (r.and || (!selectsFiles(r) && r.fds.length === 0 && !r.tasks && r.users.length + r.commands.length + r.pgids.length === 0));
}

/**
 * Whether the caller should start reading /proc/locks now (readAsciiAhead)
 * for collect's deferLocks: what the request prints shows lock letters (the
 * listing, JSON, -F with l), and they are not taken from fdinfo instead.
 */
export function prefetchLocks(r: LsofRequest): boolean {
  if (r.terse || socketsOnlyRequest(r) || pidsOnlyRequest(r)) return false;
  return r.fields === undefined || r.fields.includes('l');
}

/**
 * Up to this many files, the locks of processes given by PID come from the
 * "lock:" lines of their fdinfo (a read each, ~15 us) rather than from
 * /proc/locks, whose first read waits for an RCU grace period (~11 ms).
 */
const FDINFO_LOCKS_MAX = 512;

/**
 * The locks on these files, in /proc/locks' format: fdinfo lists each lock
 * held through that open file with its holder's PID, as /proc/locks does.
 */
function fdinfoLocks(files: { pid: number; fd: string; info?: string }[], procRoot: string): string {
  let out = '';
  for (const f of files) {
    const info = f.info ?? readAscii(`${procRoot}/${f.pid}/fdinfo/${f.fd}`) ?? '';
    for (let at = info.indexOf('lock:\t'); at >= 0; at = info.indexOf('lock:\t', at + 1)) {
      const end = info.indexOf('\n', at);
      out += `${info.slice(at + 6, end < 0 ? undefined : end)}\n`;
    }
  }
  return out;
}

export interface CollectOptions {
  /**
   * Leave lock letters for the caller (Collected.pendingLocks): reading
   * /proc/locks waits for an RCU grace period in the kernel (~11 ms here,
   * entries or not), which dk lsof spends on another thread while it lists.
   */
  deferLocks?: boolean;
  /** that read's descriptor, left out of our own row: lsof lists itself without it */
  ownFd?: number;
}

function fdMatches(fd: string, list: string[]): boolean {
  return list.some((item) => {
    const r = /^(\d+)-(\d+)$/.exec(item);
    if (r) return /^\d+$/.test(fd) && Number(fd) >= Number(r[1]) && Number(fd) <= Number(r[2]);
    return item === fd;
  });
}

/** Users named by -u, as UIDs; an unknown name is lsof's error. */
function uidsOf(list: string[], names: NameCache): number[] {
  return list.map((u) => {
    if (/^\d+$/.test(u)) return Number(u);
    const id = names.uidOf(u);
    if (id === undefined) throw new LsofError(`can't get UID for ${u}`);
    return id;
  });
}

export function collect(r: LsofRequest, procRoot: string, names: NameCache, nm: Names, error: (s: string) => void, opts: CollectOptions = {}): Collected {
  const users = uidsOf(r.users, names);
  const notUsers = uidsOf(r.notUsers, names);

  // files named on the command line, and +d/+D trees, are matched by device and inode
  const fileKeys = new Map<string, string>();
  let failed = false;
  for (const f of r.files) {
    try {
      const st = statSync(f);
      fileKeys.set(`${st.dev}:${st.ino}`, f);
    } catch {
      error(`dk lsof: status error on ${f}: No such file or directory\n`);
      failed = true;
    }
  }
  // +d/+D: the files that are in the tree now (a deleted file is not), by device and inode
  // every file in a +d/+D tree is a search item: one that nobody has open makes lsof exit 1
  const treeKeys = new Map<string, boolean>();
  const treePaths = new Map<string, string>();
  const dirPrefixes: { path: string; recurse: boolean }[] = [];
  for (const d of r.dirs) {
    let root: string;
    try {
      root = realpathSync(d.path).replace(/(.)\/$/, '$1');
    } catch {
      error(`dk lsof: status error on ${d.path}: No such file or directory\n`);
      failed = true;
      continue;
    }
    dirPrefixes.push({ path: root, recurse: d.recurse });
    const add = (p: string) => {
      try {
        const st = lstatSync(p);
        treeKeys.set(`${st.dev}:${st.ino}`, false);
        treePaths.set(p, `${st.dev}:${st.ino}`);
      } catch {
        // vanished while walking
      }
    };
    add(root);
    let entries: string[] = [];
    try {
      entries = readdirSync(root, { recursive: d.recurse }).map(String);
    } catch {
      entries = [];
    }
    for (const e of entries) add(`${root}/${e}`);
  }

  const procSel = selectsProcesses(r);
  const fileSel = selectsFiles(r);
  const fdSel = r.fds.length > 0;
  // -K selects every task (not the main process: that one by the other selections, or with -a as a task would be)
  const taskSel = r.tasks === true;
  const anySel = procSel || fileSel || fdSel || taskSel;

  // stat alone gives command, pgid and ppid; the user is the owner of /proc/PID.
  // PIDs alone (or ANDed) narrow the reading to those processes.
  const onlyPids = pidsOnlyRequest(r);
  // only Internet/unix selections (ANDed, or alone): sockets are all that can match
  const socketsOnly = socketsOnlyRequest(r);
  // and with nothing to select processes by, most processes hold no socket: their stat is read only once one turns up
  const lazy = socketsOnly && !procSel && r.notUsers.length === 0 && r.notCommands.length === 0;
  const candidates: ProcessInfo[] = lazy ? [] : snapshot({ procRoot, fields: [], pids: onlyPids ? r.pids : undefined }).procs;
  const lazyPids = lazy ? listPids(procRoot) : [];
  // socket tables are read the first time a socket shows up
  let sockets: Map<number, SocketInfo> | undefined;
  let queues: Map<number, [number, number]> | undefined;
  let others: { netlink: Set<number>; packet: Set<number> } | undefined;
  const socketOf = (ino: number) => (sockets ??= socketTable(procRoot)).get(ino);
  const queueOf = (ino: number) => (queues ??= socketQueues(procRoot)).get(ino);
  const protocolOf = (ino: number) => {
    others ??= otherSocketInodes(procRoot);
    return others.netlink.has(ino) ? 'NETLINK' : others.packet.has(ino) ? 'PACKET' : undefined;
  };
  const pendingLocks: PendingLock[] = [];
  // with PIDs alone: every file of theirs a lock can be on (also those -d leaves out: a lock taken through one is on the others too)
  const lockFiles: { pid: number; fd: string; info?: string }[] = [];
  const keepRows = (pid: number, rows: Row[], slimmed: boolean): Row[] => {
    const kept = slimmed ? rows.map(slim) : rows;
    for (let i = 0; i < rows.length; i++) if (rows[i].lockable) pendingLocks.push({ row: kept[i], pid, inode: rows[i].inode ?? 0 });
    return kept;
  };

  // lsof's exit status: 1 when a search item was not located (a PID, PGID,
  // user, command, -i address, TCP state, file) whatever else the listing held
  const located = {
    pids: new Set<number>(),
    pgids: new Set<number>(),
    users: new Set<number>(),
    commands: new Set<string>(),
    inet: new Set<number>(),
    net: false,
    tcpStates: new Set<string>(),
    /** -K: a task was found */
    tasks: false,
  };
  // the plain listing keeps only the columns it prints: tens of thousands of full rows held to the end cost the collector more than anything else
  const listingOnly = r.fields === undefined && !r.json && !r.terse && !r.endpoints;
  // -w (and -t, which implies it) leaves out what lsof would warn about: a file whose link cannot be read
  // is not listed at all (dproc.c: the file is processed only when !Fwarn)
  const quiet = r.noWarnings || r.terse;
  const results: ProcRows[] = [];
  const ctx: RowContext = { socket: socketOf, names: nm, protocolOf, queue: queueOf, sockProtoName };
  // nothing that could leave a row out: the plain listing keeps every row without asking (no array per row)
  const keepsAll = !anySel && r.notFds.length === 0 && !r.tcpStates?.length && !r.udpStates?.length && !r.notTcpStates?.length;
  /**
   * Whether a row is listed: exclusions (^fd, -s states) always apply;
   * selected, when given, decides instead of the selections (a task's
   * rows under -K without -a, or with no selection at all). procOk: the
   * process selections hold for the row's process.
   */
  const kept = (row: Row, procOk: boolean, selected?: boolean): boolean => {
    if (keepsAll) return selected ?? true;
    if (r.notFds.length && fdMatches(row.fd, r.notFds)) return false;
    const fileChecks: boolean[] = [];
    if (r.inet && row.inet) {
      // lsof drops a file for its state before it looks at addresses
      const where = stateAllowed(row, r) ? locateInet(row, r) : { specs: [], net: false };
      for (const i of where.specs) located.inet.add(i);
      if (where.net) located.net = true;
      if (inetSpecsMatched(row, r).length && row.inet.protocol === 'TCP') located.tcpStates.add(TCP_STATES[row.inet.state]);
    } else if (row.inet && r.tcpStates?.length && row.inet.protocol === 'TCP') located.tcpStates.add(TCP_STATES[row.inet.state]);
    if (r.inet) {
      // with -a, lsof ANDs the kinds of -i it was given: any Internet file (-i, -i4, -i6) and the
      // protocols, addresses and ports; the specs of one kind are ORed
      const any = r.inet.filter((sp) => !isAddressSpec(sp));
      const addr = r.inet.filter(isAddressSpec);
      if (r.and && any.length && addr.length) {
        fileChecks.push(matchesInet(row, { ...r, inet: any }), matchesInet(row, { ...r, inet: addr }));
      } else fileChecks.push(matchesInet(row, r));
    }
    if (r.unix) fileChecks.push(row.unix === true);
    if (r.files.length) fileChecks.push(row.dev !== undefined && row.inode !== undefined && fileKeys.has(`${row.dev}:${row.inode}`));
    if (r.dirs.length) {
      const inTree = row.dev !== undefined && row.inode !== undefined && !row.unix && treeKeys.has(`${row.dev}:${row.inode}`);
      // a unix socket is in the tree when its path is
      const path = row.unix ? (row.path ?? '') : '';
      const byPath = path !== '' && dirPrefixes.some((d) => path.startsWith(`${d.path}/`) && (d.recurse || !path.slice(d.path.length + 1).includes('/')));
      if (inTree) treeKeys.set(`${row.dev}:${row.inode}`, true);
      // a unix socket bound to a path in the tree locates that file
      const sockKey = byPath ? treePaths.get(path) : undefined;
      if (sockKey) treeKeys.set(sockKey, true);
      fileChecks.push(inTree || byPath);
    }
    const fileOk = r.and ? fileChecks.every(Boolean) : fileChecks.some(Boolean);
    const fdOk = fdSel ? fdMatches(row.fd, r.fds) : true;
    // -s states filter Internet files whatever else selected them
    if (row.inet && !stateAllowed(row, r)) return false;
    if (selected !== undefined) return selected;
    // without -a any selection lists a file; with -a each one given must hold
    if (!anySel) return true;
    if (r.and) return (!procSel || procOk) && (!fileSel || fileOk) && fdOk;
    return (procSel && procOk) || (fileSel && fileOk) || (fdSel && fdOk);
  };
  for (let i = 0; i < (lazy ? lazyPids.length : candidates.length); i++) {
    let pre: ReturnType<typeof openFiles>;
    let p: ProcessInfo;
    if (lazy) {
      pre = openFiles(lazyPids[i], procRoot, { socketsOnly, lean: r.fields === undefined });
      if (!pre?.length) continue;
      const info = processInfo(lazyPids[i], { procRoot, fields: [] });
      if (!info) continue;
      p = info;
    } else p = candidates[i];
    if (r.notPids.includes(p.pid)) continue;
    // lsof passes over zombies: nothing of theirs is open any more
    if (p.state === 'Z') continue;
    const owner = procOwner(p.pid, procRoot);
    if (owner === undefined) continue;
    if (notUsers.includes(owner)) continue;
    const cmd = p.comm;
    if (r.notCommands.some((c) => cmd.startsWith(c))) continue;
    const procMatch = {
      pid: r.pids.includes(p.pid),
      user: users.includes(owner),
      cmd: r.commands.some((c) => (c.startsWith('/') && c.endsWith('/') && c.length > 2 ? new RegExp(c.slice(1, -1)).test(cmd) : cmd.startsWith(c))),
      pgid: r.pgids.includes(p.pgid),
    };
    // with -a every process selection given must hold; without, any of them
    const procChecks: boolean[] = [];
    if (r.pids.length) procChecks.push(procMatch.pid);
    if (r.users.length) procChecks.push(procMatch.user);
    if (r.commands.length) procChecks.push(procMatch.cmd);
    if (r.pgids.length) procChecks.push(procMatch.pgid);
    const procOk = r.and ? procChecks.every(Boolean) : procChecks.some(Boolean);
    if (procMatch.pid) located.pids.add(p.pid);
    if (procMatch.pgid) located.pgids.add(p.pgid);
    if (procMatch.user) located.users.add(owner);
    for (const c of r.commands) if (cmd.startsWith(c)) located.commands.add(c);
    if (r.and && procSel && !procOk) continue;

    // only process selections given: the other processes cannot have a row
    if (procSel && !fileSel && !fdSel && !taskSel && !procOk) continue;
    // -K with -a lists a process (as though it were a task) only when it has tasks
    if (taskSel && r.and && p.nlwp <= 1) continue;
    let files = pre ?? openFiles(p.pid, procRoot, { socketsOnly, lean: r.fields === undefined });
    if (!files) continue;
    if (opts.ownFd !== undefined && p.pid === process.pid && procRoot === '/proc') files = files.filter((f) => f.fd !== String(opts.ownFd));
    const pid = p.pid;
    const noteLockFiles = onlyPids && lockFiles.length <= FDINFO_LOCKS_MAX;
    const rows: Row[] = [];
    // indexed loops here and below: a for-of step in code not yet optimised allocates its iterator result
    for (let k = 0; k < files.length; k++) {
      const f = files[k];
      if (quiet && f.error) continue;
      const row = toRow(f, ctx);
      if (!row) continue;
      if (noteLockFiles && row.lockable) lockFiles.push({ pid, fd: f.fd, info: f.fdinfo });
      if (kept(row, procOk)) rows.push(row);
    }
    const user = names.user(owner);
    if (rows.length) results.push({ pid: p.pid, pgid: p.pgid, ppid: p.ppid, command: cmd, uid: owner, user, rows: keepRows(pid, rows, listingOnly) });
    // -K lists every task (with -a, of the processes the other selections hold for, by the same rule
    // as the main rows). With no selection at all lsof selects everything, tasks included: each
    // task but the main one is listed with its files (dialects/linux/dproc.c: SelAll has SELTASK),
    // zombie tasks left out.
    if (!r.ignoreTasks && (taskSel || !anySel) && p.nlwp > 1) {
      const selected = taskSel && r.and ? undefined : true;
      const mapped = files.filter((f) => f.fd === 'mem' || f.fd === 'DEL');
      for (const t of threads(p.pid, { procRoot, fields: ['comm'] })) {
        if (t.tid === p.pid || t.state === 'Z') continue;
        // the search item -K is found with a task, whether or not any of its files is listed
        if (taskSel) located.tasks = true;
        // a thread shares its process's memory (CLONE_THREAD needs CLONE_VM): its mem rows are the process's,
        // not a second read and parse of the same maps
        const tf = openFiles(p.pid, procRoot, { tid: t.tid, socketsOnly, lean: r.fields === undefined, maps: false });
        if (!tf) continue;
        if (!socketsOnly) {
          const txt = tf.findIndex((f) => f.fd === 'txt');
          // after txt (always there, as a file or an error), before the descriptors
          tf.splice(txt < 0 ? tf.length : txt + 1, 0, ...mapped);
        }
        const trows: Row[] = [];
        for (const f of tf) {
          if (quiet && f.error) continue;
          const row = toRow(f, ctx);
          if (row && kept(row, procOk, selected)) trows.push(row);
        }
        if (trows.length)
          results.push({
            pid: p.pid,
            tid: t.tid,
            taskCommand: t.comm,
            pgid: p.pgid,
            ppid: p.ppid,
            command: cmd,
            uid: owner,
            user,
            rows: keepRows(pid, trows, listingOnly),
          });
      }
    }
  }

  if ([...treeKeys.values()].some((found) => !found)) failed = true;
  if (r.pids.some((x) => !located.pids.has(x))) failed = true;
  if (r.pgids.some((x) => !located.pgids.has(x))) failed = true;
  if (users.some((x) => !located.users.has(x))) failed = true;
  if (r.commands.some((c) => !located.commands.has(c))) failed = true;
  const inet = r.inet ?? [];
  // a protocol, address or port is a search item of its own (the same spec given twice is one);
  // -i, -i4 and -i6 alone ask for any Internet file
  const key = (sp: (typeof inet)[number]) => JSON.stringify(sp);
  const found = new Set([...located.inet].map((i) => key(inet[i])));
  if (inet.some((sp) => isAddressSpec(sp) && !found.has(key(sp)))) failed = true;
  if (inet.some((sp) => !isAddressSpec(sp)) && !located.net) failed = true;
  if (r.tcpStates?.some((st) => !located.tcpStates.has(st))) failed = true;
  if (taskSel && !located.tasks) failed = true;
  if (pendingLocks.length) {
    if (onlyPids && lockFiles.length <= FDINFO_LOCKS_MAX) applyLocks(pendingLocks, parseLocks(fdinfoLocks(lockFiles, procRoot)));
    else if (!opts.deferLocks) applyLocks(pendingLocks, readLocks(procRoot));
    else return { results, failed, pendingLocks };
  }
  return { results, failed, pendingLocks: [] };
}

/**
 * A row cut down to what the listing prints (and what naming hosts needs
 * afterwards): a third of the size of a full row for the collector to carry.
 */
function slim(r: Row): Row {
  return {
    fd: r.fd,
    access: r.access,
    lock: r.lock,
    type: r.type,
    device: r.device,
    size: r.size,
    offset: r.offset,
    node: r.node,
    name: r.name,
    inet: r.inet,
    tcpInfo: r.tcpInfo,
  };
}
