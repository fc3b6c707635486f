/**
 * rpcbind's statistics, as GETSTAT reports them and rpcinfo -m prints
 * them: calls per procedure per version, successful SETs and UNSETs, and
 * per program/version/netid lookup and remote-call outcomes (newest first).
 */
import { RPCBSTAT_HIGHPROC, type AddrStat, type RmtStat, type RpcbStat } from '../rpc/pmap.js';

const MAX_DETAIL = 256;

export class Stats {
  private readonly byVers = new Map<number, RpcbStat>();

  private of(vers: number): RpcbStat {
    let s = this.byVers.get(vers);
    if (!s) this.byVers.set(vers, (s = { info: new Array<number>(RPCBSTAT_HIGHPROC).fill(0), setinfo: 0, unsetinfo: 0, addrinfo: [], rmtinfo: [] }));
    return s;
  }

  call(vers: number, proc: number): void {
    if (proc < RPCBSTAT_HIGHPROC) this.of(vers).info[proc]++;
  }

  set(vers: number, ok: boolean): void {
    if (ok) this.of(vers).setinfo++;
  }

  unset(vers: number, ok: boolean): void {
    if (ok) this.of(vers).unsetinfo++;
  }

  lookup(vers: number, prog: number, progVers: number, netid: string, ok: boolean): void {
    const list = this.of(vers).addrinfo;
    let a = list.find((x) => x.prog === prog && x.vers === progVers && x.netid === netid);
    if (!a) {
      if (list.length >= MAX_DETAIL) list.pop();
      list.unshift((a = { prog, vers: progVers, netid, success: 0, failure: 0 } satisfies AddrStat));
    }
    if (ok) a.success++;
    else a.failure++;
  }

  remote(vers: number, r: Omit<RmtStat, 'success' | 'failure' | 'indirect'>, ok: boolean, indirect: boolean): void {
    const list = this.of(vers).rmtinfo;
    let a = list.find((x) => x.prog === r.prog && x.vers === r.vers && x.proc === r.proc && x.netid === r.netid);
    if (!a) {
      if (list.length >= MAX_DETAIL) list.pop();
      list.unshift((a = { ...r, success: 0, failure: 0, indirect: 0 }));
    }
    if (ok) a.success++;
    else a.failure++;
    if (indirect) a.indirect++;
  }

  /** versions 2, 3, 4 */
  snapshot(): RpcbStat[] {
    return [2, 3, 4].map((v) => this.of(v));
  }
}
