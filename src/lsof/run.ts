/**
 * dk lsof: which processes have which files open, listed like lsof 4.95.
 * Options (options.ts) -> rows (collect.ts) -> names and ends -> text
 * (format.ts), as dk ps goes.
 */
import { pipeAndSocketHolders, type FdHolder } from '../proc/fds.js';
import { socketTable } from '../proc/net.js';
import { parseLocks } from '../proc/locks.js';
import { readAsciiAhead } from '../proc/read.js';
import { snapshot } from '../proc/snapshot.js';
import { nameCache } from '../proc/users.js';
import { FIELD_HELP, LsofError, parseLsofArgs, type LsofRequest } from './options.js';
import { ipv6Text, makeNames, resolveHosts } from './names.js';
import { formatFields, formatListing, type ProcRows } from './format.js';
import { inetName } from './rows.js';
import { resolveServices } from './select.js';
import { applyLocks, collect, prefetchLocks, type Collected } from './collect.js';
import { unixPeers } from '../sys/unixdiag.js';
import { utf8Locale } from '../sys/locale.js';

export interface LsofIO {
  /** the listing comes as bytes (format.ts builds it so), the rest as text */
  write(s: string | Uint8Array): void;
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

const addrText = (b: Buffer): string => (b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : ipv6Text(b));

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
  if (r.fieldHelp) {
    // lsof -F? writes the field list to stderr and exits 0
    io.error(FIELD_HELP);
    return 0;
  }
  if (r.version) {
    io.write('dk lsof (daemonkit), compatible with lsof 4.95\n');
    return 0;
  }
  const procRoot = io.procRoot ?? '/proc';
  // read on a pool thread while this one lists: the kernel makes the reader of /proc/locks wait for an RCU grace period
  const locks = prefetchLocks(r) ? readAsciiAhead(`${procRoot}/locks`) : undefined;
  const names = nameCache(procRoot === '/proc' ? '/etc' : `${procRoot}/../etc`);
  const nm = makeNames(!r.numericPorts, !r.numericHosts);
  let got: Collected;
  try {
    for (const spec of r.inet ?? []) resolveServices(spec);
    got = collect(r, procRoot, names, nm, io.error, { deferLocks: locks !== undefined, ownFd: locks?.fd });
  } catch (e) {
    if (!(e instanceof LsofError)) throw e;
    io.error(`dk lsof: ${e.message}\n`);
    return 1;
  }
  const { results, failed } = got;
  if (locks && got.pendingLocks.length) applyLocks(got.pendingLocks, parseLocks((await locks.text) ?? ''));

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

  // lsof warns about a UID without a name wherever it would print the name
  const namesShown = !r.terse && !r.numericUsers && (r.fields === undefined || r.fields === '' || r.fields.includes('L'));
  if (namesShown && !r.noWarnings) {
    for (const uid of new Set(results.filter((p) => p.user === undefined).map((p) => p.uid))) io.error(`dk lsof: no pwd entry for UID ${uid}\n`);
  }
  if (r.terse) {
    // a process and its tasks are one PID: lsof prints it once (proc.c skips a PID equal to the last printed)
    const pids = results.map((x) => x.pid).filter((pid, i, all) => i === 0 || all[i - 1] !== pid);
    if (pids.length) io.write(`${pids.join('\n')}\n`);
  } else if (r.json) {
    io.write(
      `${JSON.stringify(
        results.map((x) => ({
          command: x.command,
          pid: x.pid,
          user: x.user ?? x.uid,
          files: x.rows.map((row) => ({
            fd: row.fd,
            access: row.access.trim(),
            lock: row.lock.trim(),
            type: row.type,
            device: row.device,
            size: row.size,
            offset: row.offset,
            node: row.node,
            name: row.name.trimEnd(),
          })),
        })),
        null,
        2,
      )}\n`,
    );
  } else if (r.fields !== undefined) {
    io.write(formatFields(results, r.fields, r.fieldNul, nm, { numericUsers: r.numericUsers, sizes: r.sizesOnly, utf8: utf8Locale(io.env) }));
  } else {
    io.write(
      formatListing(results, {
        commandWidth: r.commandWidth,
        numericUsers: r.numericUsers,
        pgid: r.showPgid,
        ppid: r.showPpid,
        sizes: r.sizesOnly,
        utf8: utf8Locale(io.env),
      }),
    );
  }
  // lsof exits 1 for a search item not located, not for an empty listing
  return failed ? 1 : 0;
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
  const holders = pipeAndSocketHolders(snapshot({ procRoot, fields: [] }).procs, procRoot);
  const text = (list: FdHolder[]) => list.map((h) => `${h.pid},${h.comm},${h.fd}`).join(' ');
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
