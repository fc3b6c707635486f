/**
 * "Where do the common error messages end up?" — route() answers from the
 * rules; here the answer is checked on the seed's syslog.conf by hand, and
 * on configurations fast-check makes against a running dk syslogd: every
 * generated message lands in exactly the files route() names.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseConfig, type Config } from '../../src/syslog/config/conf.js';
import { SEED_SYSLOG_CONF } from '../helpers/seed.js';
import { formatRoute, parsePriority, route } from '../../src/syslog/config/route.js';
import { FACILITIES, SEVERITIES } from '../../src/syslog/protocol/pri.js';
import { ask } from '../../src/daemon/control.js';
import { dk } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { startSyslogd, type RunningSyslogd } from '../helpers/syslogd.js';

const SEED = SEED_SYSLOG_CONF;

function parse(text: string, file = 'syslog.conf'): Config {
  const cfg = parseConfig(text, file);
  assert.deepEqual(cfg.errors, []);
  return cfg;
}

const routeOf = (cfg: Config, p: string) => {
  const pr = parsePriority(p);
  assert.notEqual(typeof pr, 'string', String(pr));
  const { facility, severity } = pr as { facility: number; severity: number };
  return route(cfg.rules, facility, severity, { facility: FACILITIES[facility], level: SEVERITIES[severity] });
};

test("the seed's syslog.conf: where each kind of message ends up", () => {
  const cfg = parse(SEED);
  const table: [string, string[]][] = [
    ['kern.err', ['/var/log/messages']],
    ['daemon.info', ['/var/log/messages']],
    ['daemon.debug', []],
    ['mail.err', ['/var/log/maillog']],
    ['mail.debug', ['/var/log/maillog']],
    ['mail.emerg', ['/var/log/maillog', '*']],
    ['authpriv.notice', ['/var/log/secure']],
    ['auth.info', ['/var/log/messages']],
    ['cron.info', ['/var/log/cron']],
    ['news.crit', ['/var/log/spooler']],
    ['news.err', []],
    ['uucp.alert', ['/var/log/messages', '/var/log/spooler']],
    ['uucp.debug', []],
    ['local7.debug', ['/var/log/boot.log']],
    ['local7.info', ['/var/log/messages', '/var/log/boot.log']],
    ['user.emerg', ['/var/log/messages', '*']],
  ];
  for (const [p, actions] of table) assert.deepEqual(routeOf(cfg, p).actions, actions, p);
  assert.equal(formatRoute(routeOf(cfg, 'daemon.debug')), 'daemon.debug:\n  no action takes it: the message is lost\n');
  assert.equal(
    formatRoute(routeOf(cfg, 'mail.emerg')),
    `mail.emerg:\n  ${'syslog.conf:3'.padEnd(24)} ${'mail.*'.padEnd(40)} -> /var/log/maillog\n  ${'syslog.conf:5'.padEnd(24)} ${'*.emerg'.padEnd(40)} -> *\n`,
  );
});

test('a discard stops the walk: rules after it never see the message', () => {
  const cfg = parse('mail.* /a\nmail.err ~\n*.* /b\n');
  const r = routeOf(cfg, 'mail.crit');
  assert.deepEqual([r.actions, r.stoppedBy], [['/a'], 'syslog.conf:2']);
  assert.deepEqual(
    r.steps.map((s) => [s.matched, s.stops]),
    [
      [true, false],
      [true, true],
      [false, false],
    ],
  );
  assert.deepEqual(routeOf(cfg, 'mail.info').actions, ['/a', '/b']);
  assert.match(String(parsePriority('mail')), /not FACILITY\.LEVEL/);
  assert.match(String(parsePriority('mial.err')), /unknown facility 'mial'/);
  assert.match(String(parsePriority('mail.bad')), /unknown level 'bad'/);
});

test('dk syslogd --route -f CONF prints the same answer without a daemon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-route-'));
  try {
    writeFileSync(join(dir, 'syslog.conf'), SEED);
    const r = dk(['syslogd', '--route', 'mail.emerg', '-f', join(dir, 'syslog.conf')]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, formatRoute(routeOf(parse(SEED, join(dir, 'syslog.conf')), 'mail.emerg')));
    const v = dk(['syslogd', '--route', 'news.err', '-v', '-f', join(dir, 'syslog.conf')]);
    assert.equal(v.out.split('\n').filter((l) => /not taken/.test(l)).length, 7);
    assert.equal(dk(['syslogd', '--route', 'news', '-f', join(dir, 'syslog.conf')]).code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('route() against a running dk syslogd, on generated configurations', { timeout: 240_000 }, () => {
  let dir: string;
  let d: RunningSyslogd;
  const FILES = ['f0', 'f1', 'f2', 'f3'];
  const FACS = ['kern', 'user', 'mail', 'daemon', 'auth', 'cron', 'news', 'uucp', 'local0', 'local7'];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dk-route-live-'));
    d = await startSyslogd(dir, ['*.* /dev/null'], { args: ['--control', join(dir, 'control.sock')] });
  });
  after(async () => {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const level = fc.oneof(
    fc.constant('*'),
    fc.constant('none'),
    fc.tuple(fc.constantFrom('', '!', '=', '!='), fc.constantFrom(...SEVERITIES)).map(([p, s]) => `${p}${s}`),
  );
  const selector = fc
    .tuple(
      fc.oneof(
        fc.constant('*'),
        fc.uniqueArray(fc.constantFrom(...FACS), { minLength: 1, maxLength: 3 }).map((a) => a.join(',')),
      ),
      level,
    )
    .map(([f, l]) => `${f}.${l}`);
  const rule = fc.tuple(
    fc.array(selector, { minLength: 1, maxLength: 3 }),
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FILES) }, { weight: 1, arbitrary: fc.constantFrom('~', 'stop') }),
  );
  const priority = fc.tuple(fc.constantFrom(...FACS), fc.constantFrom(...SEVERITIES)).map(([f, s]) => `${f}.${s}`);

  test('every message lands in exactly the files route() names', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(rule, { minLength: 1, maxLength: 6 }), fc.uniqueArray(priority, { minLength: 1, maxLength: 8 }), async (rules, priorities) => {
        run++;
        // a first rule sees everything: when the sentinel is in its file, everything before it was written
        const sentinelFile = join(dir, `sentinel${run}`);
        const lines = [
          `*.* ${sentinelFile}`,
          ...rules.map(([sels, action]) => `${sels.join(';')} ${FILES.includes(action) ? join(dir, `${action}.${run}`) : action}`),
        ];
        const text = `${lines.join('\n')}\n`;
        writeFileSync(join(dir, 'syslog.conf'), text);
        const r = await ask(join(dir, 'control.sock'), { cmd: 'reload' });
        assert.equal(r.ok, true, `${JSON.stringify(r)}\n${text}`);
        const cfg = parse(text, join(dir, 'syslog.conf'));
        for (const p of priorities) assert.equal(dk(['logger', '-u', d.sock, '-p', p, '-t', 'gen', `run ${run} ${p}`]).code, 0);
        assert.equal(dk(['logger', '-u', d.sock, '-p', 'user.info', '-t', 'gen', `run ${run} done`]).code, 0);
        await until(() => existsSync(sentinelFile) && readFileSync(sentinelFile, 'utf8').includes(`run ${run} done`), 'the sentinel');
        for (const f of FILES) {
          const path = join(dir, `${f}.${run}`);
          const got = existsSync(path) ? readFileSync(path, 'utf8') : '';
          for (const p of priorities) {
            const expected = routeOf(cfg, p).actions.includes(path);
            assert.equal(got.includes(`run ${run} ${p}\n`), expected, `${p} in ${f}: expected ${expected}\n${text}`);
          }
        }
      }),
      { numRuns: 30, seed: Number(process.env.DK_SEED ?? Date.now() % 1e9) },
    );
  });
});
