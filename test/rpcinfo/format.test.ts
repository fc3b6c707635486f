/** rpcinfo -m's layout against what Debian's rpcinfo printed (the session fixture), and /etc/rpc. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { RpcbStat } from '../../src/rpc/pmap.js';
import { formatStats, parseRpcFile } from '../../src/rpcinfo/format.js';

const FIXTURE = readFileSync(fileURLToPath(new URL('../../../test/fixtures/rpcinfo/debian-session.txt', import.meta.url)), 'utf8');
const section = (label: string) =>
  FIXTURE.split(/^== /m)
    .find((s) => s.startsWith(`${label}\n`))!
    .split('\n')
    .slice(1)
    .join('\n')
    .replace(/rc=0\n$/, '');
const names = new Map([
  [100000, 'portmapper'],
  [100005, 'mountd'],
]);
const stat = (info: number[], setinfo: number, unsetinfo: number, addrinfo: RpcbStat['addrinfo'] = []): RpcbStat => ({
  info: [...info, ...new Array(13 - info.length).fill(0)],
  setinfo,
  unsetinfo,
  addrinfo,
  rmtinfo: [],
});

test('-m: the three versions, success/total pairs, GETADDR details newest first', () => {
  const first = [
    stat([0, 2, 0, 0, 2, 0], 2, 0),
    stat([0, 1, 0, 0, 2, 0, 0, 0, 0], 1, 0),
    stat([0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1], 1, 0, [{ prog: 100000, vers: 2, netid: 'tcp', success: 1, failure: 0 }]),
  ];
  assert.equal(
    formatStats(first, (p) => names.get(p)),
    section('-m'),
  );
  const after = [
    stat([4, 2, 0, 0, 3, 0], 2, 0),
    stat([3, 1, 2, 0, 2, 0, 0, 0, 0], 1, 2),
    stat([2, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2], 1, 0, [
      { prog: 100000, vers: 3, netid: 'tcp', success: 1, failure: 0 },
      { prog: 300000, vers: 0, netid: 'udp', success: 0, failure: 1 },
      { prog: 100005, vers: 0, netid: 'udp', success: 1, failure: 0 },
      { prog: 100000, vers: 0, netid: 'udp', success: 2, failure: 0 },
      { prog: 100000, vers: 4, netid: 'tcp', success: 1, failure: 0 },
      { prog: 100000, vers: 2, netid: 'tcp', success: 2, failure: 0 },
    ]),
  ];
  assert.equal(
    formatStats(after, (p) => names.get(p)),
    section('-m after'),
  );
});

test('/etc/rpc: first name per number, comments and aliases', () => {
  const m = parseRpcFile('# comment\nportmapper\t100000\tportmap sunrpc rpcbind\nrstatd 100001 rstat # x\nportmap 100000\nbroken line\n');
  assert.deepEqual(
    [...m],
    [
      [100000, 'portmapper'],
      [100001, 'rstatd'],
    ],
  );
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (t) => void parseRpcFile(t)));
});
