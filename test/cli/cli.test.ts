/** The dk executable: help, version, busybox-style links, exit codes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DK, dk, ENV, run } from '../helpers/dk.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('dk', () => {
  test('--help lists the commands, --version prints the package version', () => {
    const h = dk(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /ps \[args\.\.\.\]/);
    assert.match(h.out, /pstree \[args\.\.\.\]/);
    assert.match(h.out, /links/);
    assert.equal(dk(['--version']).out.trim(), pkg.version);
  });

  test('help ps and ps --help describe the ps options', () => {
    const h = dk(['help', 'ps']);
    assert.equal(h.code, 0);
    assert.match(h.out, /--daemons/);
    assert.match(dk(['ps', '--help']).out, /Usage: dk ps/);
    assert.match(dk(['help', 'pstree']).out, /--show-pids/);
  });

  test('unknown command: commander error and status 1', () => {
    const r = dk(['frobnicate']);
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown command/);
  });

  test('links: ps and pstree symlinks run the tools', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dk-links-'));
    try {
      const r = dk(['links', dir]);
      assert.equal(r.code, 0, r.err);
      const ps = run(join(dir, 'ps'), ['-o', 'pid=', '-p', String(process.pid)], ENV);
      assert.equal(ps.code, 0, ps.err);
      assert.equal(ps.out.trim(), String(process.pid));
      const tree = run(join(dir, 'pstree'), ['-p', String(process.pid)], ENV);
      assert.equal(tree.code, 0, tree.err);
      assert.match(tree.out, new RegExp(`\\(${process.pid}\\)`));
      assert.equal(dk(['links', dir]).code, 1, 'existing links are not replaced without --force');
      assert.equal(dk(['links', '--force', dir]).code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the listing tools start node with one V8 worker thread and no extra CA file, as dk ps and through their links (sh reads the launcher first)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dk-pool-'));
    try {
      assert.equal(dk(['links', dir]).code, 0);
      // exec keeps the shell's PID, so the tool lists its own command line
      const self = (argv0: string, tool: string[]) => run('sh', ['-c', 'exec "$0" "$@" -o args= -p $$', argv0, ...tool], ENV);
      for (const [argv0, tool] of [
        [DK, ['ps']],
        [join(dir, 'ps'), []],
      ] as const) {
        const r = self(argv0, [...tool]);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, new RegExp(`^node --v8-pool-size=1 ${argv0.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (ps )?-o args= -p \\d+\\n$`));
      }
      // and without NODE_EXTRA_CA_CERTS (Node would load that file before the listing), the rest of the environment kept
      const env = { ...ENV, NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem', DK_MARK: 'kept' };
      const ps = run('sh', ['-c', 'exec "$0" ps e -o args= -p $$', DK], env);
      assert.equal(ps.code, 0, ps.err);
      assert.equal(ps.err, '', 'node warns about a certificate file it cannot load: it was not asked to');
      assert.match(ps.out, / DK_MARK=kept( |\n)/);
      assert.doesNotMatch(ps.out, /NODE_EXTRA_CA_CERTS/);
      // a command that may speak TLS keeps it: on a Node that loads the file at start, it names the file it could not load
      const eager = /extra certs/.test(run(process.execPath, ['-e', '0'], env).err);
      const other = run('sh', ['-c', 'exec "$0" rpcinfo -h', DK], env);
      if (eager) assert.match(other.err, /extra certs from `\/nonexistent\/ca\.pem`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('dk ps | head does not fail on a closed pipe', () => {
    const r = run('sh', ['-c', `"${process.execPath}" "${join(process.cwd(), 'dist/dk.cjs')}" ps -e | head -1`], ENV);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
  });
});
