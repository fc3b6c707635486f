/**
 * Real peer tools (procps ps, psmisc pstree ...). A missing peer skips the
 * test with a message on a developer machine and fails it under CI=true, so
 * CI can never pass by not comparing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';

const found = new Map<string, string | undefined>();

export function which(cmd: string): string | undefined {
  if (!found.has(cmd)) {
    let path: string | undefined;
    // daemons such as rsyslogd live in sbin, which a user's PATH may lack
    for (const dir of [...(process.env.PATH ?? '/usr/bin:/bin').split(':'), '/usr/sbin', '/sbin']) {
      try {
        execFileSync('test', ['-x', `${dir}/${cmd}`]);
        path = `${dir}/${cmd}`;
        break;
      } catch {
        // not in this directory
      }
    }
    found.set(cmd, path);
  }
  return found.get(cmd);
}

/** Returns the peer's path, or skips (locally) / fails (CI) when it is missing. */
export function requirePeer(t: TestContext, cmd: string, pkg: string): string | undefined {
  const p = which(cmd);
  if (p) return p;
  const msg = `peer '${cmd}' is missing: install the Debian package ${pkg}`;
  if (process.env.CI === 'true') assert.fail(msg);
  t.skip(msg);
  return undefined;
}

/**
 * Debian packages unpacked under dir/x without installing them (no daemon
 * starts, nothing conflicts with what the host has): apt-get download and
 * dpkg -x. Returns dir/x, or skips (locally) / fails (CI) when they cannot
 * be fetched.
 */
export function unpackDebs(t: TestContext, dir: string, pkgs: string[]): string | undefined {
  const got = spawnSync('sh', ['-c', `cd "${dir}" && apt-get download ${pkgs.join(' ')} && for f in *.deb; do dpkg -x "$f" x || exit 1; done`], {
    encoding: 'utf8',
  });
  if (got.status === 0) return join(dir, 'x');
  const msg = `cannot fetch Debian's ${pkgs.join(', ')}: ${got.stderr.trim().split('\n').pop()}`;
  if (process.env.CI === 'true') assert.fail(msg);
  t.skip(msg);
  return undefined;
}

/** LD_LIBRARY_PATH for programs unpacked by unpackDebs whose libraries came along (libwrap0, libtirpc). */
export const unpackedLibPath = (x: string): string => [join(x, 'lib/x86_64-linux-gnu'), join(x, 'usr/lib/x86_64-linux-gnu')].join(':');

/**
 * Debian's rpcbind runs as _rpc, which its package would have created: a
 * copy of /etc/passwd with that user, for a mount namespace to bind over
 * /etc/passwd (the real file is never touched). Returns its path.
 */
export function passwdWithRpcUser(dir: string): string {
  const passwd = join(dir, 'passwd');
  const base = readFileSync('/etc/passwd', 'utf8');
  writeFileSync(passwd, /^_rpc:/m.test(base) ? base : `${base}_rpc:x:0:0::/run/rpcbind:/usr/sbin/nologin\n`);
  return passwd;
}
