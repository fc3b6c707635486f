/**
 * dk lsof: which processes have which files open, listed like lsof 4.95.
 */
import * as fs from 'node:fs';
import { openFiles } from '../proc/fds.js';
import { parseNetlinkTable, socketTable, type SocketInfo } from '../proc/net.js';
import { readAscii } from '../proc/read.js';
import { snapshot, threads } from '../proc/snapshot.js';
import { nameCache } from '../proc/users.js';
import { LsofError, parseLsofArgs, type LsofRequest } from './options.js';
import { ipv6Text, makeNames, resolveHosts } from './names.js';
import { formatFields, formatListing, type ProcRows } from './format.js';
import { inetName, toRow, type Row, type RowContext } from './rows.js';
import { matchesInet, resolveServices, stateAllowed } from './select.js';
import { unixPeers } from '../sys/unixdiag.js';

export interface LsofIO {
  write(s: string): void;
  error(s: string): void;
  env: NodeJS.ProcessEnv;
  procRoot?: string;
}

export const LSOF_HELP = `Usage: dk lsof [-a] [-n] [-P] [-l] [-t] [-U] [-F [f]] [-p s] [-u s] [-c c] [-g [s]]
                [-d s] [-i [i]] [-s p:s] [+d|+D dir] [+c w] [--json] [names]

  -p s   PIDs (comma list, ^ excludes)      -u s   users (names or UIDs, ^ excludes)
  -c c   command name prefix (^ excludes)   -g s   process group IDs
  -d s   file descriptors: 0-2,cwd,mem ...  -i i   Internet files: [46][TCP|UDP][@host][:port]
  -s p:s protocol states (TCP:LISTEN)       -U     unix sockets
  -a     AND the selections (default OR)    -t     PIDs only
  -F f   fields for programs (-F0: NUL)     +d/+D  files in a directory (+D: the whole tree)
  -n     no host names   -P  no service names   -l  UIDs instead of names
  -E/+E  name the other end of pipes, unix sockets (via sock_diag) and local TCP
  --json the rows as JSON
`;

/** /proc/locks: inode -> lock letter for each holding process. */
function readLocks(procRoot: string): Map<number, Map<number, string>> {
  const out = new Map<number, Map<number, string>>();
  for (const line of (readAscii(`${procRoot}/locks`) ?? '').split('\n')) {
    const m = /^\d+: (\S+)\s+\S+\s+(READ|WRITE)\s+(-?\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s+(\d+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const whole = m[5] === '0' && m[6] === 'EOF';
    const letter = m[2] === 'READ' ? (whole ? 'R' : 'r') : whole ? 'W' : 'w';
    const pid = Number(m[3]);
    let map = out.get(pid);
    if (!map) out.set(pid, (map = new Map()));
    map.set(Number(m[4]), letter);
  }
  return out;
}

function fdMatches(fd: string, list: string[]): boolean {
  return list.some((item) => {
    const r = /^(\d+)-(\d+)$/.exec(item);
    if (r) return /^\d+$/.test(fd) && Number(fd) >= Number(r[1]) && Number(fd) <= Number(r[2]);
    return item === fd;
  });
}

const addrText = (b: Buffer): string => (b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : ipv6Text(b));

/** lsof takes the user from the owner of /proc/PID. */
function ownerOf(procRoot: string, pid: number): number | undefined {
  try {
    return fs.statSync(`${procRoot}/${pid}`).uid;
  } catch {
    return undefined;
  }
}

export async function runLsof(argv: string[], io: LsofIO): Promise<number> {
  let r: LsofRequest;
  try {
    r = parseLsofArgs(argv);
  } catch (e) {
    if (!(e instanceof LsofError)) throw e;
    io.error(`dk lsof: ${e.message}\n`);
    return 1;
  }
  if (r.help) {
    io.write(LSOF_HELP);
    return 0;
  }
  if (r.version) {
    io.write('dk lsof (daemonkit), compatible with lsof 4.95\n');
    return 0;
  }
  const procRoot = io.procRoot ?? '/proc';
  const names = nameCache(procRoot === '/proc' ? '/etc' : `${procRoot}/../etc`);
  try {
    for (const spec of r.inet ?? []) resolveServices(spec);
  } catch (e) {
    if (!(e instanceof LsofError)) throw e;
    io.error(`dk lsof: ${e.message}\n`);
    return 1;
  }
  const uidsOf = (list: string[]) =>
    list.map((u) => {
      if (/^\d+$/.test(u)) return Number(u);
      const id = names.uidOf(u);
      if (id === undefined) throw new LsofError(`can't get UID for ${u}`);
      return id;
    });
  let users: number[];
  let notUsers: number[];
  try {
    users = uidsOf(r.users);
    notUsers = uidsOf(r.notUsers);
  } catch (e) {
    io.error(`dk lsof: ${(e as Error).message}\n`);
    return 1;
  }

  // files named on the command line, and +d/+D trees, are matched by device and inode
  const fileKeys = new Map<string, string>();
  let failed = false;
  for (const f of r.files) {
    try {
      const st = fs.statSync(f);
      fileKeys.set(`${st.dev}:${st.ino}`, f);
    } catch {
      io.error(`dk lsof: status error on ${f}: No such file or directory\n`);
      failed = true;
    }
  }
  // +d/+D: the files that are in the tree now (a deleted file is not), by device and inode
  const treeKeys = new Set<string>();
  const dirPrefixes: { path: string; recurse: boolean }[] = [];
  for (const d of r.dirs) {
    let root: string;
    try {
      root = fs.realpathSync(d.path).replace(/(.)\/$/, '$1');
    } catch {
      io.error(`dk lsof: status error on ${d.path}: No such file or directory\n`);
      failed = true;
      continue;
    }
    dirPrefixes.push({ path: root, recurse: d.recurse });
    const add = (p: string) => {
      try {
        const st = fs.lstatSync(p);
        treeKeys.add(`${st.dev}:${st.ino}`);
      } catch {
        // vanished while walking
      }
    };
    add(root);
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(root, { recursive: d.recurse }).map(String);
    } catch {
      entries = [];
    }
    for (const e of entries) add(`${root}/${e}`);
  }

  const procSel = r.pids.length + r.users.length + r.commands.length + r.pgids.length > 0;
  const fileSel = r.inet !== undefined || r.unix || r.files.length > 0 || r.dirs.length > 0;
  const fdSel = r.fds.length > 0;
  const anySel = procSel || fileSel || fdSel;

  // stat alone gives command, pgid and ppid; the user is the owner of /proc/PID.
  // PIDs alone (or ANDed) narrow the reading to those processes.
  const onlyPids = r.pids.length > 0 && (r.and || (!fileSel && !fdSel && r.users.length + r.commands.length + r.pgids.length === 0));
  const snap = snapshot({ procRoot, fields: [], pids: onlyPids ? r.pids : undefined });
  // only Internet/unix selections (ANDed, or alone): sockets are all that can match
  const socketsOnly = (r.inet !== undefined || r.unix) && r.files.length === 0 && r.dirs.length === 0 && (r.and || (!procSel && !fdSel));
  // socket tables are read the first time a socket shows up
  let sockets: Map<number, SocketInfo> | undefined;
  let netlink: Set<number> | undefined;
  let packet: Set<number> | undefined;
  let queues: Map<number, [number, number]> | undefined;
  const socketOf = (ino: number) => (sockets ??= socketTable(procRoot)).get(ino);
  const queueOf = (ino: number) => {
    if (!queues) {
      queues = new Map();
      for (const file of ['tcp', 'tcp6', 'udp', 'udp6']) {
        for (const line of (readAscii(`${procRoot}/net/${file}`) ?? '').split('\n').slice(1)) {
          const f = line.trim().split(/\s+/);
          if (f.length < 10) continue;
          const [tx, rx] = f[4].split(':').map((x) => parseInt(x, 16));
          queues.set(Number(f[9]), [tx, rx]);
        }
      }
    }
    return queues.get(ino);
  };
  const protocolOf = (ino: number) => {
    netlink ??= new Set(parseNetlinkTable(readAscii(`${procRoot}/net/netlink`) ?? '').map((n) => n.inode));
    packet ??= new Set((readAscii(`${procRoot}/net/packet`) ?? '').split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[8])).filter(Boolean));
    return netlink.has(ino) ? 'NETLINK' : packet.has(ino) ? 'PACKET' : undefined;
  };
  const locks = readLocks(procRoot);
  const nm = makeNames(!r.numericPorts, !r.numericHosts);

  const results: ProcRows[] = [];
  for (const p of snap.procs) {
    if (r.notPids.includes(p.pid)) continue;
    const owner = ownerOf(procRoot, p.pid);
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
    if (r.and && procSel && !procOk) continue;

    // only process selections given: the other processes cannot have a row
    if (procSel && !fileSel && !fdSel && !procOk) continue;
    const files = openFiles(p.pid, procRoot, { socketsOnly, lean: r.fields === undefined });
    if (!files) continue;
    const ctx: RowContext = { socket: socketOf, locks: locks.get(p.pid) ?? new Map(), names: nm, protocolOf, queue: queueOf };
    const rows: Row[] = [];
    for (const f of files) {
      const row = toRow(f, ctx);
      if (!row) continue;
      if (r.notFds.length && fdMatches(row.fd, r.notFds)) continue;
      const fileChecks: boolean[] = [];
      if (r.inet) fileChecks.push(matchesInet(row, r));
      if (r.unix) fileChecks.push(row.unix === true);
      if (r.files.length) fileChecks.push(row.dev !== undefined && row.inode !== undefined && fileKeys.has(`${row.dev}:${row.inode}`));
      if (r.dirs.length) {
        const inTree = row.dev !== undefined && row.inode !== undefined && !row.unix && treeKeys.has(`${row.dev}:${row.inode}`);
        // a unix socket is in the tree when its path is
        const path = row.unix ? row.path ?? '' : '';
        const byPath = path !== '' && dirPrefixes.some((d) => path.startsWith(`${d.path}/`) && (d.recurse || !path.slice(d.path.length + 1).includes('/')));
        fileChecks.push(inTree || byPath);
      }
      const fileOk = r.and ? fileChecks.every(Boolean) : fileChecks.some(Boolean);
      const fdOk = fdSel ? fdMatches(row.fd, r.fds) : true;
      // -s states filter Internet files whatever else selected them
      if (row.inet && !stateAllowed(row, r)) continue;
      // without -a any selection lists a file; with -a each one given must hold
      let keep: boolean;
      if (!anySel) keep = true;
      else if (r.and) keep = (!procSel || procOk) && (!fileSel || fileOk) && fdOk;
      else keep = (procSel && procOk) || (fileSel && fileOk) || (fdSel && fdOk);
      if (keep) rows.push(row);
    }
    const user = names.user(owner);
    if (rows.length) results.push({ pid: p.pid, pgid: p.pgid, ppid: p.ppid, command: cmd, uid: owner, user, rows });
    // With no selection lsof also looks at each task; it lists a task when it
    // cannot tell that its files are the process's own (unreadable links).
    if (!anySel && files.some((f) => f.error?.reason)) {
      for (const t of threads(p.pid, { procRoot, fields: ['comm'] })) {
        if (t.tid === p.pid) continue;
        const tf = openFiles(p.pid, procRoot, { tid: t.tid });
        if (!tf) continue;
        const trows = tf.map((f) => toRow(f, ctx)).filter((x): x is Row => x !== undefined);
        if (trows.length) results.push({ pid: p.pid, tid: t.tid, taskCommand: t.comm, pgid: p.pgid, ppid: p.ppid, command: cmd, uid: owner, user, rows: trows });
      }
    }
  }

  if (!r.numericHosts) {
    // names for addresses /etc/hosts does not know, from DNS with a deadline
    const addrs: string[] = [];
    for (const p of results) {
      for (const row of p.rows) {
        if (!row.inet) continue;
        for (const e of [row.inet.local, row.inet.remote]) if (e.addr.some((b) => b !== 0)) addrs.push(addrText(e.addr));
      }
    }
    await resolveHosts(addrs, nm);
    if (nm.resolved.size) for (const p of results) for (const row of p.rows) if (row.inet) row.name = inetName(row.inet, nm);
  }
  if (r.endpoints) annotateEndpoints(results, procRoot);

  if (r.terse) {
    if (results.length) io.write(`${results.map((x) => x.pid).join('\n')}\n`);
  } else if (r.json) {
    io.write(`${JSON.stringify(results.map((x) => ({ command: x.command, pid: x.pid, user: x.user ?? x.uid, files: x.rows.map((row) => ({ fd: row.fd, access: row.access.trim(), lock: row.lock.trim(), type: row.type, device: row.device, size: row.size, offset: row.offset, node: row.node, name: row.name.trimEnd() })) })), null, 2)}\n`);
  } else if (r.fields !== undefined) {
    io.write(formatFields(results, r.fields, r.fieldNul, nm));
  } else {
    io.write(formatListing(results, { commandWidth: r.commandWidth, numericUsers: r.numericUsers, pgid: r.showPgid }));
  }
  return results.length && !failed ? 0 : 1;
}


interface Holder {
  pid: number;
  comm: string;
  fd: string;
}

/**
 * -E/+E: who holds the other end. Pipes: every other descriptor on the same
 * pipe inode; unix sockets: the peer inode from sock_diag, then its holders.
 */
function annotateEndpoints(results: ProcRows[], procRoot: string): void {
  let peers = new Map<number, number>();
  try {
    peers = unixPeers();
  } catch {
    // no koffi or no sock_diag: names stay as they are
  }
  const holders = new Map<number, Holder[]>();
  for (const p of snapshot({ procRoot, fields: [] }).procs) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`${procRoot}/${p.pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = fs.readlinkSync(`${procRoot}/${p.pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^(?:socket|pipe):\[(\d+)\]$/.exec(link);
      if (!m) continue;
      const flags = parseInt(/^flags:\s+([0-7]+)/m.exec(readAscii(`${procRoot}/${p.pid}/fdinfo/${fd}`) ?? '')?.[1] ?? '0', 8);
      const ino = Number(m[1]);
      let list = holders.get(ino);
      if (!list) holders.set(ino, (list = []));
      list.push({ pid: p.pid, comm: p.comm, fd: `${fd}${['r', 'w', 'u', ''][flags & 3]}` });
    }
  }
  const text = (list: Holder[]) => list.map((h) => `${h.pid},${h.comm},${h.fd}`).join(' ');
  // the other end of a connection on this machine: local and remote swapped
  const key = (proto: string, a: Buffer, ap: number, b: Buffer, bp: number) => `${proto} ${a.toString('hex')}:${ap}>${b.toString('hex')}:${bp}`;
  const inetByEnds = new Map<string, number>();
  for (const sock of socketTable(procRoot).values()) {
    if (sock.kind === 'inet') inetByEnds.set(key(sock.protocol, sock.local.addr, sock.local.port, sock.remote.addr, sock.remote.port), sock.inode);
  }
  for (const p of results) {
    for (const row of p.rows) {
      if (row.unix && row.inode !== undefined) {
        const peer = peers.get(row.inode);
        if (!peer) continue;
        const ends = text(holders.get(peer) ?? []);
        row.name = `${row.path ? `${row.path} ` : ''}type=${row.unixType} ->INO=${peer}${ends ? ` ${ends}` : ''} (${row.unixState})`;
      } else if (row.inet && (row.inet.remote.port !== 0 || row.inet.remote.addr.some((x) => x !== 0))) {
        const s = row.inet;
        const peer = inetByEnds.get(key(s.protocol, s.remote.addr, s.remote.port, s.local.addr, s.local.port));
        const ends = peer === undefined ? '' : text(holders.get(peer) ?? []);
        if (ends) row.name = row.name.replace(/( \([A-Z_0-9]+\)| )$/, ` ${ends}$1`);
      } else if (row.type === 'FIFO' && row.name === 'pipe' && row.inode !== undefined) {
        const others = (holders.get(row.inode) ?? []).filter((h) => !(h.pid === p.pid && h.fd.replace(/[rwu]$/, '') === row.fd));
        if (others.length) row.name = `pipe ${text(others)}`;
      }
    }
  }
}
