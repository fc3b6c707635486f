/**
 * TCP wrappers for dk rpcbind, as Debian's rpcbind (built with libwrap)
 * applies them: every call but NULL from an address (not the unix socket)
 * is checked under the daemon name "rpcbind"; a denied one is answered
 * AUTH_ERROR (AUTH_TOOWEAK, svcerr_weakauth) and logged as rpcbind words
 * it, "connect from ADDR to PROC(PROG): request from unauthorized host".
 * Decisions are kept per address until the files are read again (HUP).
 */
import * as fs from 'node:fs';
import { hostsAccess, parseWrappers, type WrapperRule } from '../inetd/access/tcpwrappers.js';

/** rpcbind's names for procedures 0-12 (version 2 shares the numbers it has) */
const PROCS = [
  'null',
  'set',
  'unset',
  'getport/addr',
  'dump',
  'callit',
  'gettime',
  'uaddr2taddr',
  'taddr2uaddr',
  'getversaddr',
  'indirect',
  'getaddrlist',
  'getstat',
];
/** a scan from many addresses must not grow the cache without end */
const CACHE_MAX = 4096;
/** one log line per denied address and procedure per minute: a flood from one must not flood the log */
const LOG_EVERY_MS = 60_000;

export class RpcbindAccess {
  private allow: WrapperRule[] = [];
  private deny: WrapperRule[] = [];
  private readonly decided = new Map<string, boolean>();
  private readonly logged = new Map<string, number>();
  /** calls refused since the start */
  refused = 0;

  constructor(
    private readonly files: { allow: string; deny: string },
    private readonly log: (line: string) => void,
  ) {
    this.reload();
  }

  /** Reads hosts.allow and hosts.deny again; problems are logged and their lines left out. */
  reload(): void {
    const read = (f: string) => {
      let text: string;
      try {
        text = fs.readFileSync(f, 'utf8');
      } catch {
        return [];
      }
      const { rules, problems } = parseWrappers(text, f);
      for (const p of problems) this.log(`dk rpcbind: ${p.file}:${p.line}: ${p.reason}`);
      return rules;
    };
    this.allow = read(this.files.allow);
    this.deny = read(this.files.deny);
    this.decided.clear();
  }

  allowed(addr: string): boolean {
    let ok = this.decided.get(addr);
    if (ok === undefined) {
      ok = hostsAccess(this.allow, this.deny, 'rpcbind', { addr }).allowed;
      if (this.decided.size >= CACHE_MAX) this.decided.clear();
      this.decided.set(addr, ok);
    }
    return ok;
  }

  /** A call refused: counted, and logged unless this address's call of this procedure was within the minute. */
  denied(addr: string, proc: number, prog: number | undefined, now = Date.now()): void {
    this.refused++;
    const key = `${addr} ${proc}`;
    const last = this.logged.get(key);
    if (last !== undefined && now - last < LOG_EVERY_MS) return;
    if (this.logged.size >= CACHE_MAX) this.logged.clear();
    this.logged.set(key, now);
    this.log(`dk rpcbind: connect from ${addr} to ${PROCS[proc] ?? String(proc)}(${prog ?? ''}): request from unauthorized host`);
  }
}
