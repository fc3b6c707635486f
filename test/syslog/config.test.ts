/** syslog.conf: the seed's example verbatim, selector semantics, errors with file:line:col. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatError, loadConfig, matches, parseConfig, type Config } from '../../src/syslog/config/conf.js';
import { SEED_SYSLOG_CONF } from '../helpers/seed.js';
import { facilityCode, severityCode } from '../../src/syslog/protocol/pri.js';

const SEED = SEED_SYSLOG_CONF;

const parse = (text: string): Config => parseConfig(text, 'test.conf');
const hit = (cfg: Config, fac: string, sev: string) =>
  cfg.rules.filter((r) => matches(r, facilityCode(fac)!, severityCode(sev)!)).map((r) => (r.action.kind === 'file' ? r.action.path : r.action.kind));

describe('syslog.conf', () => {
  test("the seed's example works verbatim", () => {
    const cfg = parse(SEED);
    assert.deepEqual(cfg.errors, []);
    assert.equal(cfg.rules.length, 7);
    assert.deepEqual(hit(cfg, 'user', 'info'), ['/var/log/messages']);
    assert.deepEqual(hit(cfg, 'user', 'debug'), []);
    assert.deepEqual(hit(cfg, 'mail', 'info'), ['/var/log/maillog']);
    assert.deepEqual(hit(cfg, 'authpriv', 'notice'), ['/var/log/secure']);
    assert.deepEqual(hit(cfg, 'news', 'crit'), ['/var/log/spooler']);
    assert.deepEqual(hit(cfg, 'news', 'err'), []);
    assert.deepEqual(hit(cfg, 'uucp', 'alert'), ['/var/log/messages', '/var/log/spooler']);
    assert.deepEqual(hit(cfg, 'kern', 'emerg'), ['/var/log/messages', 'wall']);
    assert.deepEqual(hit(cfg, 'local7', 'debug'), ['/var/log/boot.log']);
  });

  test('=level, !level, !=level, none, *, continuation, actions', () => {
    const cfg = parse(
      'mail.=err /a\nmail.*;mail.!warning /b\nmail.*;mail.!=info /c\n*.*;\\\n  mail.none -/d\n*.* @loghost\n*.* @@[::1]:6514\n*.crit root,alice\nlocal0.* |/run/fifo\nlocal1.* /e;json\nlocal2.* ~\n',
    );
    assert.deepEqual(cfg.errors, []);
    // *.* @loghost and *.* @@[::1] take everything too
    assert.deepEqual(hit(cfg, 'mail', 'err'), ['/a', '/c', 'udp', 'tcp']);
    assert.deepEqual(hit(cfg, 'mail', 'warning'), ['/c', 'udp', 'tcp']);
    assert.deepEqual(hit(cfg, 'mail', 'info'), ['/b', 'udp', 'tcp']);
    assert.deepEqual(hit(cfg, 'mail', 'debug'), ['/b', '/c', 'udp', 'tcp']);
    assert.deepEqual(hit(cfg, 'user', 'info'), ['/d', 'udp', 'tcp']);
    assert.deepEqual(
      cfg.rules.map((r) => r.action),
      [
        { kind: 'file', path: '/a', sync: true, mode: 0o640 },
        { kind: 'file', path: '/b', sync: true, mode: 0o640 },
        { kind: 'file', path: '/c', sync: true, mode: 0o640 },
        { kind: 'file', path: '/d', sync: false, mode: 0o640 },
        { kind: 'udp', host: 'loghost', port: 514 },
        { kind: 'tcp', host: '::1', port: 6514 },
        { kind: 'users', users: ['root', 'alice'] },
        { kind: 'pipe', path: '/run/fifo' },
        { kind: 'file', path: '/e', sync: true, mode: 0o640 },
        { kind: 'discard' },
      ],
    );
    assert.equal(cfg.rules[8].format, 'json');
  });

  test('$FileCreateMode, $FileOwner, $FileGroup apply to the file actions after them; $Umask is kept', () => {
    const cfg = parse(
      '*.* /a\n$FileCreateMode 0600\n$FileOwner nobody\n*.* /b\n$FileGroup 0\n$FileOwner 12\n*.* -/c\n$Umask 0027\n$FileCreateMode 999\n$FileOwner no-such-user-here\n$FileGroup no-such-group\n',
    );
    assert.deepEqual(
      cfg.rules.map((r) => r.action),
      [
        { kind: 'file', path: '/a', sync: true, mode: 0o640 },
        { kind: 'file', path: '/b', sync: true, mode: 0o600, uid: 65534 },
        { kind: 'file', path: '/c', sync: false, mode: 0o600, uid: 12, gid: 0 },
      ],
    );
    assert.equal(cfg.umask, 0o027);
    assert.deepEqual(cfg.errors.map(formatError), [
      "test.conf:9:17: $FileCreateMode needs an octal mode like 0640, not '999'",
      "test.conf:10:12: unknown user 'no-such-user-here'",
      "test.conf:11:12: unknown group 'no-such-group'",
    ]);
  });

  test('bad lines are reported as file:line:col: reason and skipped, the rest stays', () => {
    const cfg = parse('mail.info /ok\nmial.info /x\n\nuser.loud /y\nuser.info\n  kern.* @host:99999\n$Bogus on\n');
    assert.equal(cfg.rules.length, 1);
    assert.deepEqual(cfg.errors.map(formatError), [
      "test.conf:2:1: unknown facility 'mial'",
      "test.conf:4:1: unknown level 'loud'",
      'test.conf:5:1: expected a selector and an action',
      "test.conf:6:10: bad forwarding target '@host:99999'",
      "test.conf:7:1: unsupported directive '$Bogus'",
    ]);
  });

  test('includes, listeners', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dk-conf-'));
    try {
      mkdirSync(join(dir, 'd'));
      writeFileSync(join(dir, 'main.conf'), `$IncludeConfig ${dir}/d/*.conf\nudp 127.0.0.1:5514\n$InputTCPServerRun 5515\n*.* /all\n`);
      writeFileSync(join(dir, 'd', '10-a.conf'), 'mail.* /mail\n');
      writeFileSync(join(dir, 'd', 'skip.txt'), 'garbage\n');
      const cfg = loadConfig(join(dir, 'main.conf'));
      assert.deepEqual(cfg.errors, []);
      assert.deepEqual(
        cfg.rules.map((r) => (r.action as { path: string }).path),
        ['/mail', '/all'],
      );
      assert.deepEqual(cfg.listeners, [
        { proto: 'udp', host: '127.0.0.1', port: 5514 },
        { proto: 'tcp', port: 5515 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('any text parses without throwing', () => {
    fc.assert(fc.property(fc.string(), (s) => void parse(s)));
  });
});
