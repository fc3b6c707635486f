/**
 * inetd.conf, xinetd.conf (with includedir, defaults, += and -=), the
 * services file and TCP wrappers: fixtures, every error as file:line, and
 * random text never throws. Debian's xinetd package's own service files
 * load unchanged.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseServices } from '../../src/inetd/config/services.js';
import { parseInetdConf } from '../../src/inetd/config/inetdconf.js';
import { parseXinetd, type XinetdReader } from '../../src/inetd/config/xinetd.js';
import { formatProblem } from '../../src/inetd/config/service.js';
import { hostsAccess, matchClient, parseWrappers } from '../../src/inetd/access/tcpwrappers.js';
import { parseAccessTimes, withinAccessTimes } from '../../src/inetd/access/times.js';
import { unpackDebs } from '../helpers/peers.js';

const SERVICES = parseServices(`
# a services file of our own, mapping names to high ports for tests
echo      17007/tcp
echo      17007/udp
daytime   17013/tcp  clock
daytime   17013/udp
chargen   17019/tcp  ttytst source
chargen   17019/udp
discard   17009/tcp  sink null
discard   17009/udp
time      17037/tcp
time      17037/udp
ftp       17021/tcp
tftp      17069/udp
bad line here
`);

const files = (map: Record<string, string>): XinetdReader => ({
  read: (p) => map[p],
  list: (d) => {
    const names = Object.keys(map)
      .filter((p) => p.startsWith(`${d}/`))
      .map((p) => p.slice(d.length + 1));
    return names.length ? names : undefined;
  },
});

describe('services file', () => {
  test('names, aliases, protocols', () => {
    assert.equal(SERVICES.port('daytime', 'tcp'), 17013);
    assert.equal(SERVICES.port('clock', 'tcp'), 17013);
    assert.equal(SERVICES.port('sink', 'udp'), undefined);
    assert.equal(SERVICES.name(17019, 'tcp'), 'chargen');
    assert.equal(SERVICES.port('bad', 'tcp'), undefined);
  });
});

describe('inetd.conf', () => {
  test('the columns, addresses, wait/nowait.max, user:group, internal, unix sockets', () => {
    const { services, problems } = parseInetdConf(
      [
        '# comment',
        'echo    stream  tcp     nowait  root    internal',
        'echo    dgram   udp     wait    root    internal',
        '127.0.0.1:daytime stream tcp6 nowait.40 nobody:nogroup internal',
        'ftp     stream  tcp     nowait  root    /usr/sbin/tcpd /usr/sbin/in.ftpd -l',
        '[::1]:17100 stream tcp6 nowait nobody /bin/cat cat -u',
        '/run/test.sock stream unix nowait nobody.nogroup /bin/cat',
        '10.0.0.1:',
        'tftp    dgram   udp     wait    nobody  /usr/sbin/in.tftpd in.tftpd /srv/tftp',
      ].join('\n'),
      'inetd.conf',
      SERVICES,
    );
    assert.deepEqual(problems, []);
    const brief = services.map((s) => [
      s.id,
      s.bind ?? '*',
      s.port ?? s.path,
      s.wait,
      s.maxPerMinute,
      s.user,
      s.group,
      s.internal ?? s.server,
      s.args.join(' '),
    ]);
    assert.deepEqual(brief, [
      ['echo/tcp', '*', 17007, false, undefined, 'root', undefined, 'echo', ''],
      ['echo/udp', '*', 17007, true, undefined, 'root', undefined, 'echo', ''],
      ['daytime/tcp6', '127.0.0.1', 17013, false, 40, 'nobody', 'nogroup', 'daytime', ''],
      ['ftp/tcp', '*', 17021, false, undefined, 'root', undefined, '/usr/sbin/tcpd', '/usr/sbin/in.ftpd -l'],
      ['17100/tcp6', '::1', 17100, false, undefined, 'nobody', undefined, '/bin/cat', 'cat -u'],
      ['/run/test.sock/unix', '*', '/run/test.sock', false, undefined, 'nobody', 'nogroup', '/bin/cat', '/bin/cat'],
      ['tftp/udp', '10.0.0.1', 17069, true, undefined, 'nobody', undefined, '/usr/sbin/in.tftpd', 'in.tftpd /srv/tftp'],
    ]);
  });

  test('each bad line is file:line: reason, the others load', () => {
    const { services, problems } = parseInetdConf(
      [
        'echo stream tcp nowait root internal',
        'nosuch stream tcp nowait root internal',
        'echo stream tcp',
        'echo bogus tcp nowait root internal',
        'echo stream sctpx nowait root internal',
        'echo stream tcp maybe root internal',
        'daytime stream tcp nowait root relative/path',
        'ftp stream tcp nowait root internal',
      ].join('\n'),
      '/etc/inetd.conf',
      SERVICES,
    );
    assert.equal(services.length, 1);
    assert.deepEqual(problems.map(formatProblem), [
      "/etc/inetd.conf:2: unknown service 'nosuch/tcp' (not in the services file; a number is accepted too)",
      '/etc/inetd.conf:3: expected service socket-type protocol wait|nowait user server [args], found 3 fields',
      "/etc/inetd.conf:4: unknown socket type 'bogus' (stream, dgram, raw, seqpacket)",
      "/etc/inetd.conf:5: unknown protocol 'sctpx' (tcp, udp, tcp4, udp4, tcp6, udp6, tcp46, udp46, unix)",
      "/etc/inetd.conf:6: 'maybe' is not wait, nowait or nowait.MAX",
      "/etc/inetd.conf:7: server 'relative/path' must be an absolute path or 'internal'",
      "/etc/inetd.conf:8: 'ftp' is not an internal service (echo, discard, daytime, chargen, time)",
    ]);
  });

  test('any text: problems, never a throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (t) => {
        const r = parseInetdConf(t, 'x', SERVICES);
        assert.ok(Array.isArray(r.services) && Array.isArray(r.problems));
      }),
    );
  });
});

describe('xinetd.conf', () => {
  const conf = files({
    '/x/xinetd.conf':
      'defaults\n{\n  log_type = SYSLOG daemon info\n  log_on_success = PID HOST\n  only_from = 127.0.0.1\n  instances = 50\n}\nincludedir /x/xinetd.d\n',
    '/x/xinetd.d/echo':
      'service echo\n{\n  type = INTERNAL\n  id = echo-stream\n  socket_type = stream\n  protocol = tcp\n  wait = no\n  log_on_success += DURATION\n  log_on_success -= PID\n}\n',
    '/x/xinetd.d/cat':
      'service catsvc\n{\n  type = UNLISTED\n  port = 17200\n  socket_type = stream\n  wait = no\n  user = nobody\n  group = nogroup\n  server = /bin/cat\n  server_args = -u\n  only_from += 10.0.0.0/8 ::1\n  per_source = 2\n  cps = 50 5\n  env = LANG=C\n  rlimit_as = 64M\n  umask = 027\n  log_type = FILE /var/log/cat.log\n}\n',
    '/x/xinetd.d/broken': 'service daytime\n{\n  socket_type = stream\n  wait = perhaps\n  colour = blue\n}\n',
    '/x/xinetd.d/skip.rpmsave': 'garbage that must not be read\n',
    '/x/xinetd.d/skip~': 'garbage that must not be read\n',
  });

  test('defaults, includedir, += and -=, the attributes users use', () => {
    const { services, problems } = parseXinetd('/x/xinetd.conf', conf, SERVICES);
    const byId = new Map(services.map((s) => [s.id, s]));
    const cat = byId.get('catsvc')!;
    const echo = byId.get('echo-stream')!;
    assert.deepEqual([echo.internal, echo.port, echo.logOnSuccess, echo.onlyFrom, echo.instances], ['echo', 17007, ['HOST', 'DURATION'], ['127.0.0.1'], 50]);
    assert.deepEqual(
      [cat.port, cat.user, cat.group, cat.server, cat.args, cat.onlyFrom, cat.perSource, cat.cps, cat.env, cat.rlimitAs, cat.umask, cat.log, cat.unlisted],
      [
        17200,
        'nobody',
        'nogroup',
        '/bin/cat',
        ['cat', '-u'],
        ['127.0.0.1', '10.0.0.0/8', '::1'],
        2,
        [50, 5],
        ['LANG=C'],
        64 << 20,
        0o27,
        { type: 'file', path: '/var/log/cat.log' },
        true,
      ],
    );
    assert.deepEqual(problems.map(formatProblem), [
      "/x/xinetd.d/broken:5: unknown attribute 'colour'",
      "/x/xinetd.d/broken:1: service daytime: missing 'server'",
      "/x/xinetd.d/broken:4: wait must be yes or no, not 'perhaps'",
      '/x/xinetd.d/broken:1: service daytime left out',
    ]);
  });

  test('attributes xinetd knows and dk inetd does not act on: a warning with file:line, the service runs; their values are still checked', () => {
    const svc = (body: string) => `service quiet\n{\n  type = UNLISTED\n  port = 1\n  socket_type = stream\n  wait = no\n  server = /bin/true\n${body}}\n`;
    const r = parseXinetd('/q', files({ '/q': svc('  rlimit_data = 8M\n  deny_time = 5\n  cps = 10 5\n  groups = yes\n  mdns = no\n') }), SERVICES);
    assert.deepEqual(r.problems, []);
    assert.equal(r.services.length, 1);
    assert.deepEqual(r.services[0].cps, [10, 5]);
    assert.deepEqual(
      r.warnings.map((w) => formatProblem(w).replace(/ \(.*\)$/, '')),
      [
        "/q:8: warning: 'rlimit_data' is accepted but not acted on",
        "/q:9: warning: 'deny_time' is accepted but not acted on",
        "/q:11: warning: 'groups' is accepted but not acted on",
        "/q:12: warning: 'mdns' is accepted but not acted on",
      ],
    );
    const bad = parseXinetd('/q', files({ '/q': svc('  rlimit_stack = lots\n') }), SERVICES);
    assert.deepEqual(bad.problems.map(formatProblem), ["/q:8: rlimit_stack must be a size like 64M, not 'lots'", '/q:1: service quiet left out']);
    assert.equal(bad.services.length, 0);
  });

  test('redirect, banners, flags, nice, umask, access_times, max_load: read, and checked', () => {
    const svc = (body: string) => `service relay\n{\n  type = UNLISTED\n  port = 1\n  socket_type = stream\n  wait = no\n${body}}\n`;
    const good = parseXinetd(
      '/r',
      files({
        '/r': svc(
          '  redirect = 10.0.0.5 23\n  banner = /b\n  banner_fail = /f\n  flags = listen_fds REUSE\n  nice = -5\n  access_times = 08:00-12:30 22:00-06:00\n  max_load = 2.5\n',
        ),
      }),
      SERVICES,
    );
    assert.deepEqual(good.problems, []);
    const r = good.services[0];
    assert.deepEqual(
      [r.redirect, r.server, r.banner, r.bannerFail, r.flags, r.nice, r.accessTimes, r.maxLoad],
      [{ host: '10.0.0.5', port: 23 }, undefined, '/b', '/f', ['LISTEN_FDS', 'REUSE'], -5, ['08:00-12:30', '22:00-06:00'], 2.5],
    );
    const bad = parseXinetd(
      '/r',
      files({ '/r': svc('  server = /bin/cat\n  redirect = somewhere\n  nice = 30\n  umask = 999\n  access_times = 8-12\n  max_load = high\n') }),
      SERVICES,
    );
    assert.deepEqual(bad.problems.map(formatProblem), [
      "/r:8: redirect must be 'host port', not 'somewhere'",
      "/r:11: access_times: '8-12' is not hh:mm-hh:mm",
      "/r:9: nice must be a number from -20 to 19, not '30'",
      "/r:10: umask must be octal, not '999'",
      "/r:12: max_load must be a positive number, not 'high'",
      '/r:1: service relay left out',
    ]);
  });

  test('structure errors name the file and line', () => {
    const { problems } = parseXinetd('/y', files({ '/y': 'service a\n  socket_type = stream\nservice b\n{\n  wait no\n' }), SERVICES);
    assert.deepEqual(problems.map(formatProblem), [
      "/y:2: expected '{' after 'service a'",
      "/y:5: expected 'attribute = value', found 'wait no'",
      "/y:3: 'service b' is not closed with '}'",
    ]);
  });

  test('any text: problems, never a throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (t) => {
        const r = parseXinetd('/z', files({ '/z': t }), SERVICES);
        assert.ok(Array.isArray(r.services));
      }),
    );
  });

  test("Debian's xinetd package: its shipped files load unchanged", (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'dk-xinetd-deb-'));
    try {
      const x = unpackDebs(t, dir, ['xinetd']);
      if (!x) return;
      const etc = join(x, 'etc');
      const reader: XinetdReader = {
        // the shipped xinetd.conf says "includedir /etc/xinetd.d": read it from the unpacked tree
        read: (p) => (existsSync(join(etc, p.replace(/^\/etc\//, ''))) ? readFileSync(join(etc, p.replace(/^\/etc\//, '')), 'utf8') : undefined),
        list: (d) => (existsSync(join(etc, d.replace(/^\/etc\//, ''))) ? readdirSync(join(etc, d.replace(/^\/etc\//, ''))) : undefined),
      };
      const real = parseServices(readFileSync('/etc/services', 'utf8'));
      const { services, problems } = parseXinetd('/etc/xinetd.conf', reader, real);
      assert.deepEqual(problems, []);
      const internal = [...new Set(services.filter((s) => s.internal).map((s) => `${s.internal}/${s.protocol}`))].sort();
      assert.deepEqual(internal, [
        'chargen/tcp',
        'chargen/udp',
        'daytime/tcp',
        'daytime/udp',
        'discard/tcp',
        'discard/udp',
        'echo/tcp',
        'echo/udp',
        'servers/tcp',
        'services/tcp',
        'time/tcp',
        'time/udp',
      ]);
      // shipped disabled, as Debian ships them
      assert.ok(services.filter((s) => s.internal).every((s) => s.disabled));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('access_times', () => {
  test('intervals, over midnight too', () => {
    const t = parseAccessTimes(['08:00-12:30', '22:00-06:00']);
    assert.ok(!('bad' in t));
    const at = (h: number, m: number) => withinAccessTimes(t, new Date(2026, 0, 1, h, m));
    assert.deepEqual(
      [at(7, 59), at(8, 0), at(12, 30), at(12, 31), at(21, 59), at(23, 0), at(3, 0), at(6, 0), at(6, 1)],
      [false, true, true, false, false, true, true, true, false],
    );
    assert.equal(withinAccessTimes([], new Date()), true);
    assert.deepEqual(parseAccessTimes(['24:00-01:00']), { bad: '24:00-01:00' });
  });

  test('any list: intervals or the bad entry, never a throw; an interval holds at its own ends', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 14 }), { maxLength: 4 }), (list) => {
        const t = parseAccessTimes(list);
        assert.ok(Array.isArray(t) || list.includes(t.bad));
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1439 }), (a, b) => {
        const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
        const t = parseAccessTimes([`${hm(a)}-${hm(b)}`]);
        assert.ok(!('bad' in t));
        for (const m of [a, b]) assert.ok(withinAccessTimes(t, new Date(2026, 0, 1, Math.floor(m / 60), m % 60)));
      }),
    );
  });
});

describe('TCP wrappers', () => {
  const allow = parseWrappers(
    '# allow\nin.ftpd, echo: 127.0.0.1 [::1] .example.com\nALL: 10.1.0.0/255.255.0.0 EXCEPT 10.1.2.\ndaytime: 192.168.0.0/16 : deny\n',
    '/etc/hosts.allow',
  );
  const deny = parseWrappers('ALL EXCEPT time: ALL\ntime: 203.0.113.7\n', '/etc/hosts.deny');

  test('patterns', () => {
    const c = (addr: string, name?: string) => ({ addr, name });
    assert.ok(matchClient('ALL', c('1.2.3.4')));
    assert.ok(matchClient('LOCAL', c('1.2.3.4', 'gateway')) && !matchClient('LOCAL', c('1.2.3.4', 'gw.example.com')));
    assert.ok(matchClient('.example.com', c('1.2.3.4', 'gw.example.com')) && !matchClient('.example.com', c('1.2.3.4')));
    assert.ok(matchClient('10.1.', c('10.1.9.9')) && !matchClient('10.1.', c('10.19.9.9')));
    assert.ok(matchClient('10.1.0.0/255.255.0.0', c('10.1.200.3')) && !matchClient('10.1.0.0/255.255.0.0', c('10.2.0.3')));
    assert.ok(matchClient('10.0.0.0/8', c('10.200.0.3')) && matchClient('10.0.0.0/8', c('::ffff:10.1.1.1')));
    assert.ok(matchClient('[::1]', c('::1')) && matchClient('[2001:db8::]/32', c('2001:db8:1::5')) && !matchClient('[2001:db8::]/32', c('2001:db9::5')));
    assert.ok(matchClient('192.0.2.7', c('192.0.2.7')) && !matchClient('192.0.2.7', c('192.0.2.70')));
  });

  test('allow first, then deny, first match wins, EXCEPT, options', () => {
    const d = (daemon: string, addr: string, name?: string) => {
      const r = hostsAccess(allow.rules, deny.rules, daemon, { addr, name });
      return `${r.allowed ? 'allow' : 'deny'}${r.rule ? ` ${r.rule.file}:${r.rule.line}` : ''}`;
    };
    assert.equal(d('echo', '127.0.0.1'), 'allow /etc/hosts.allow:2');
    assert.equal(d('echo', '::1'), 'allow /etc/hosts.allow:2');
    assert.equal(d('in.ftpd', '5.6.7.8', 'a.example.com'), 'allow /etc/hosts.allow:2');
    assert.equal(d('echo', '10.1.7.7'), 'allow /etc/hosts.allow:3');
    assert.equal(d('echo', '10.1.2.7'), 'deny /etc/hosts.deny:1');
    assert.equal(d('daytime', '192.168.4.4'), 'deny /etc/hosts.allow:4');
    assert.equal(d('time', '198.51.100.1'), 'allow');
    assert.equal(d('time', '203.0.113.7'), 'deny /etc/hosts.deny:2');
  });

  test('any text: rules or problems, never a throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.ipV4(), (t, ip) => {
        const { rules } = parseWrappers(t, 'x');
        hostsAccess(rules, rules, 'echo', { addr: ip });
      }),
    );
  });
});
