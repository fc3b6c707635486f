/**
 * The real peers, each in a namespace of the test's own on port 111 with a
 * private /run (so nothing touches the host's rpcbind or its socket):
 * Debian's rpcinfo, unpacked from the rpcbind package, against dk rpcbind,
 * compared with what it printed against Debian's rpcbind for the same
 * session (test/fixtures/rpcinfo/debian-session.txt); and dk rpcinfo
 * against Debian's rpcbind, compared line for line with Debian's rpcinfo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DK } from '../helpers/dk.js';
import { passwdWithRpcUser, requirePeer, unpackDebs, unpackedLibPath } from '../helpers/peers.js';

const REGISTER = fileURLToPath(new URL('./register.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/rpcinfo/debian-session.txt', import.meta.url));
const NODE = process.execPath;

/** label, arguments, and a timeout for the calls that wait (broadcast, an unreachable host) */
const SESSION: [string, string, number?][] = [
  ['-p', '-p'],
  ['-p 127.0.0.1', '-p 127.0.0.1'],
  ['(none)', ''],
  ['-s', '-s'],
  ['-m', '-m'],
  ['-l 127.0.0.1 100000 4', '-l 127.0.0.1 100000 4'],
  ['-u 127.0.0.1 100000', '-u 127.0.0.1 100000'],
  ['-t 127.0.0.1 100000 2', '-t 127.0.0.1 100000 2'],
  ['-T udp 127.0.0.1 100000', '-T udp 127.0.0.1 100000'],
  ['-u 127.0.0.1 100005', '-u 127.0.0.1 100005'],
  ['-u 127.0.0.1 300000', '-u 127.0.0.1 300000'],
  ['-a 127.0.0.1.0.111 -T udp 100000 2', '-a 127.0.0.1.0.111 -T udp 100000 2'],
  ['-n 111 -t 127.0.0.1 100000 3', '-n 111 -t 127.0.0.1 100000 3'],
  ['-b 100000 2', '-b 100000 2', 3],
  ['-d 100005 1', '-d 100005 1'],
  ['-p after -d', '-p'],
  ['-d 200123 4 (not owner? as root)', '-d 200123 4'],
  ['-m after', '-m'],
  ['-p 10.9.9.9', '-p 10.9.9.9', 5],
];

const session = (rpcinfo: string) =>
  SESSION.map(([label, args, wait]) => `echo "== ${label}"; ${wait ? `timeout ${wait} ` : ''}${rpcinfo} ${args}; echo "rc=$?"`).join('\n');

const registrations = `"${NODE}" "${REGISTER}" pmap && "${NODE}" "${REGISTER}" rpcb`;
const waitSocket = 'for i in $(seq 200); do [ -S /run/rpcbind.sock ] && break; sleep 0.05; done';

test("Debian's rpcinfo against dk rpcbind prints what it prints against Debian's rpcbind", (t) => {
  if (!requirePeer(t, 'unshare', 'util-linux')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dk-rpcinfo-peer-'));
  try {
    const x = unpackDebs(t, dir, ['rpcbind']);
    if (!x) return;
    const script = [
      'mount -t tmpfs tmpfs /run && ip link set lo up || exit 1',
      `"${NODE}" "${DK}" rpcbind -d > "${join(dir, 'rpcbind.log')}" 2>&1 & RB=$!`,
      waitSocket,
      `${registrations} || exit 1`,
      session(join(x, 'usr/sbin/rpcinfo')),
      'kill $RB',
    ].join('\n');
    // stdout and stderr as one stream, as the fixture was recorded
    const r = spawnSync('unshare', ['-rnm', 'sh', '-c', `exec 2>&1\n${script}`], { encoding: 'utf8', timeout: 120_000 });
    assert.doesNotMatch(r.stdout, /register: failed/);
    const sections = (s: string) => s.split(/^(?=== )/m);
    assert.deepEqual(sections(r.stdout), sections(readFileSync(FIXTURE, 'utf8')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dk rpcinfo against Debian's rpcbind prints what Debian's rpcinfo prints", (t) => {
  if (!requirePeer(t, 'unshare', 'util-linux')) return;
  // Debian's rpcbind drops its groups (setgroups), which only real root may do, even in a namespace
  if (process.getuid?.() !== 0) return t.skip("Debian's rpcbind needs real root to start");
  const dir = mkdtempSync(join(tmpdir(), 'dk-rpcbind-peer-'));
  try {
    const x = unpackDebs(t, dir, ['rpcbind', 'libwrap0']);
    if (!x) return;
    const passwd = passwdWithRpcUser(dir);
    const libs = unpackedLibPath(x);
    const compared = SESSION.filter(([label]) => !label.startsWith('-m') && !label.startsWith('-d') && label !== '-p after -d');
    const both = compared.map(([label, args, wait]) => {
      const w = wait ? `timeout ${wait} ` : '';
      return `echo "== ${label} (debian)"; ${w}${join(x, 'usr/sbin/rpcinfo')} ${args} 2>&1; echo "rc=$?"; echo "== ${label} (dk)"; ${w}"${NODE}" "${DK}" rpcinfo ${args} 2>&1; echo "rc=$?"`;
    });
    const script = [
      `mount -t tmpfs tmpfs /run && mount --bind "${passwd}" /etc/passwd && ip link set lo up || exit 1`,
      `LD_LIBRARY_PATH="${libs}" "${join(x, 'sbin/rpcbind')}" -f -w & RB=$!`,
      waitSocket,
      `${registrations} || exit 1`,
      ...both,
      // -d through the local socket, then both see it gone
      `echo "== -d (dk)"; "${NODE}" "${DK}" rpcinfo -d 100005 1; echo "rc=$?"`,
      `echo "== -p after (debian)"; ${join(x, 'usr/sbin/rpcinfo')} -p; echo "== -p after (dk)"; "${NODE}" "${DK}" rpcinfo -p`,
      'kill $RB',
    ].join('\n');
    const r = spawnSync('unshare', ['-nm', 'sh', '-c', script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(existsSync(join(x, 'sbin/rpcbind')), true);
    const parts = new Map(
      r.stdout
        .split(/^== /m)
        .filter(Boolean)
        .map((p) => [p.slice(0, p.indexOf('\n')), p.slice(p.indexOf('\n') + 1)]),
    );
    for (const [label] of compared) assert.equal(parts.get(`${label} (dk)`), parts.get(`${label} (debian)`), `rpcinfo ${label}`);
    assert.equal(parts.get('-d (dk)'), 'rc=0\n');
    assert.equal(parts.get('-p after (dk)'), parts.get('-p after (debian)'));
    assert.doesNotMatch(parts.get('-p after (dk)') ?? '', /100005/);
    assert.match(parts.get('-p after (dk)') ?? '', /200123/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
