/** Unit files, LSB headers and the boot graph: read as systemd reads them, every problem with file and line. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findCycle, levels, transaction } from '../../src/init/graph.js';
import { lsbUnit, parseLsb } from '../../src/init/units/lsb.js';
import { loadUnit, type Unit } from '../../src/init/units/unit.js';
import { parseTimespan, parseUnitText, splitCommand } from '../../src/init/units/unitfile.js';
import { expandSpecifiers, parseUnitName, templateOf, unescapeName, unescapePath, type HostFacts } from '../../src/init/units/specifiers.js';

describe('unit file syntax', () => {
  test('sections, comments, continuations, entries with their lines', () => {
    const t = parseUnitText('# c\n[Unit]\nDescription=A \\\n  long one\n; other comment\n[Service]\nExecStart=/bin/true\nnonsense\n', '/u/a.service');
    assert.deepEqual(t.sections.get('Unit'), [{ key: 'Description', value: 'A  long one', line: 3 }]);
    assert.deepEqual(t.sections.get('Service'), [{ key: 'ExecStart', value: '/bin/true', line: 7 }]);
    assert.deepEqual(t.problems, [{ file: '/u/a.service', line: 8, reason: "expected Key=Value, found 'nonsense'" }]);
  });

  test('command lines and time spans as systemd reads them', () => {
    assert.deepEqual(splitCommand(`/bin/sh -c "echo 'a b'; exit 3" x\\ y`), ['/bin/sh', '-c', "echo 'a b'; exit 3", 'x y']);
    assert.deepEqual(splitCommand('/bin/echo "open'), { error: 'unterminated double quote' });
    assert.deepEqual(
      ['5', '5s', '1min 30s', '250ms', '2h', 'infinity', '1.5s', 'soon', ''].map((s) => parseTimespan(s)),
      [5000, 5000, 90_000, 250, 7_200_000, Infinity, 1500, undefined, undefined],
    );
  });

  test('any text: entries and problems, never a throw', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (t) => void loadUnit('x.service', t, '/f')));
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9/.-]{1,8}$/), { minLength: 1, maxLength: 5 }), (words) => {
        assert.deepEqual(splitCommand(words.map((w) => `"${w}"`).join(' ')), words);
      }),
    );
  });
});

describe('units', () => {
  test('a service with the keys users write; unknown keys are warnings with file and line', () => {
    const text = [
      '[Unit]',
      'Description=Web',
      'Requires=db.service',
      'Wants=cache.service logs.service',
      'Wants=',
      'Wants=mail.service',
      'After=db.service',
      'Frobnicate=yes',
      '[Service]',
      'Type=notify',
      'ExecStartPre=-/bin/mkdir -p /run/web',
      'ExecStart=/usr/bin/web --port 8080',
      'Restart=on-failure',
      'RestartSec=2s',
      'User=www-data',
      'Environment="A=1 2" B=3',
      'EnvironmentFile=-/etc/default/web',
      'TimeoutStopSec=10',
      'KillSignal=SIGINT',
      '[Install]',
      'WantedBy=multi-user.target',
    ].join('\n');
    const { unit, problems, warnings } = loadUnit('web.service', text, '/u/web.service');
    assert.deepEqual(problems, []);
    assert.deepEqual(warnings, [{ file: '/u/web.service', line: 8, reason: "unknown key 'Frobnicate' in [Unit], ignored" }]);
    assert.ok(unit?.service);
    assert.deepEqual([unit.requires, unit.wants, unit.after, unit.wantedBy], [['db.service'], ['mail.service'], ['db.service'], ['multi-user.target']]);
    const s = unit.service;
    assert.deepEqual([s.type, s.restart, s.restartMs, s.user, s.timeoutStopMs, s.killSignal], ['notify', 'on-failure', 2000, 'www-data', 10_000, 'SIGINT']);
    assert.deepEqual(s.execStartPre, [{ argv: ['/bin/mkdir', '-p', '/run/web'], ignoreFailure: true }]);
    assert.deepEqual(s.execStart, [{ argv: ['/usr/bin/web', '--port', '8080'], ignoreFailure: false }]);
    assert.deepEqual(s.environment, { A: '1 2', B: '3' });
    assert.deepEqual(s.environmentFiles, [{ path: '/etc/default/web', optional: true }]);
  });

  test('values that cannot be used make problems, and the unit is not loaded', () => {
    const { unit, problems } = loadUnit('bad.service', '[Service]\nType=sometimes\nExecStart=relative/path\nRestartSec=soon\n', '/u/bad.service');
    assert.equal(unit, undefined);
    assert.deepEqual(
      problems.map((p) => `${p.line}: ${p.reason}`),
      [
        '2: Type=sometimes: must be one of simple, exec, forking, oneshot, notify',
        '3: ExecStart=relative/path: the command must be an absolute path',
        '4: RestartSec=soon: not a time span (like 5s, 1min 30s, 250ms, infinity)',
        '1: bad.service: no ExecStart= (only Type=oneshot may go without)',
      ],
    );
  });

  test('ReadinessFd (s6-style readiness, an extension): a descriptor from 3 to 63', () => {
    assert.equal(loadUnit('r.service', '[Service]\nReadinessFd=4\nExecStart=/bin/true\n', '/u/r').unit?.service?.readinessFd, 4);
    assert.deepEqual(
      loadUnit('r.service', '[Service]\nReadinessFd=2\nExecStart=/bin/true\n', '/u/r').problems.map((p) => p.reason),
      ['ReadinessFd=2: must be a descriptor number from 3 to 63'],
    );
  });

  test('sockets and targets', () => {
    const s = loadUnit('echo.socket', '[Socket]\nListenStream=127.0.0.1:7007\nListenDatagram=/run/x.sock\n', '/u/echo.socket');
    assert.deepEqual(s.unit?.socket, { listenStream: ['127.0.0.1:7007'], listenDatagram: ['/run/x.sock'], service: undefined });
    assert.match(loadUnit('e.socket', '[Socket]\nListenStream=7\nAccept=yes\n', '/u/e.socket').problems[0].reason, /Accept=yes/);
    assert.equal(loadUnit('multi-user.target', '[Unit]\nDescription=Multi-User\nRequires=basic.target\n', '/u/m').unit?.kind, 'target');
  });
});

describe('SysV scripts', () => {
  const script =
    '#!/bin/sh\n### BEGIN INIT INFO\n# Provides:          mydaemon\n# Required-Start:    $remote_fs $syslog db\n# Should-Start:      cache\n# Default-Start:     2 3 4 5\n# Default-Stop:      0 1 6\n# Short-Description: My daemon\n# X-Odd:             yes\n### END INIT INFO\n';
  test('the header, as a unit that runs start and stop', () => {
    const { header, problems, warnings } = parseLsb(script, '/etc/init.d/mydaemon');
    assert.deepEqual(problems, []);
    assert.deepEqual(warnings, [{ file: '/etc/init.d/mydaemon', line: 9, reason: "unknown LSB field 'X-Odd', ignored" }]);
    const u = lsbUnit('/etc/init.d/mydaemon', header!);
    assert.deepEqual(
      [u.name, u.requires, u.wants, u.after, u.wantedBy],
      [
        'mydaemon.service',
        ['db.service'],
        ['cache.service', 'remote-fs.target', 'syslog.target'],
        ['remote-fs.target', 'syslog.target', 'db.service', 'cache.service'],
        ['multi-user.target'],
      ],
    );
    assert.deepEqual(u.service?.execStart[0].argv, ['/etc/init.d/mydaemon', 'start']);
    // in force without links, as a linked script is for systemd's sysv-generator; other Provides: names are aliases
    assert.equal(u.installActive, true);
    assert.deepEqual(u.alias, []);
    const two = parseLsb(script.replace('# Provides:          mydaemon', '# Provides:          mydaemon my-daemon'), '/etc/init.d/mydaemon');
    assert.deepEqual(lsbUnit('/etc/init.d/mydaemon', two.header!).alias, ['my-daemon.service']);
    assert.deepEqual(parseLsb('#!/bin/sh\necho hi\n', '/x').problems[0].reason, 'no LSB header (### BEGIN INIT INFO ... ### END INIT INFO)');
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (t) => void parseLsb(`### BEGIN INIT INFO\n${t}\n### END INIT INFO\n`, '/f')));
  });
});

describe('boot graph', () => {
  const u = (name: string, o: Partial<Unit> = {}): Unit => ({
    name,
    kind: name.endsWith('.target') ? 'target' : 'service',
    file: `/u/${name}`,
    requires: [],
    wants: [],
    after: [],
    before: [],
    conflicts: [],
    wantedBy: [],
    requiredBy: [],
    ...o,
  });
  const all = (list: Unit[]) => new Map(list.map((x) => [x.name, x]));

  test('a target pulls in what it requires, wants, and what is installed into it; order from After and Before', () => {
    // installActive: SysV scripts, whose runlevels are in force without links; a unit file's WantedBy= is not
    // until enable links it (then it is in the target's wants, as the manager reads NAME.wants/)
    const units = all([
      u('multi-user.target', { requires: ['basic.target'] }),
      u('basic.target'),
      u('db.service', { wantedBy: ['multi-user.target'], after: ['basic.target'], installActive: true }),
      u('web.service', { wantedBy: ['multi-user.target'], requires: ['db.service'], after: ['db.service'], wants: ['ghost.service'], installActive: true }),
      u('early.service', { before: ['db.service'], wantedBy: ['basic.target'], installActive: true }),
      u('unrelated.service'),
      u('not-enabled.service', { wantedBy: ['multi-user.target'] }),
    ]);
    const t = transaction(units, 'multi-user.target');
    assert.deepEqual([...t.units].sort(), ['basic.target', 'db.service', 'early.service', 'multi-user.target', 'web.service']);
    assert.deepEqual([...t.after.get('db.service')!].sort(), ['basic.target', 'early.service']);
    assert.deepEqual(t.missing, [{ from: 'web.service', name: 'ghost.service', hard: false }]);
    assert.equal(findCycle(t.after), undefined);
    // targets come after what they pull in
    assert.deepEqual(Object.fromEntries([...levels(t.after)].sort()), {
      'basic.target': 1,
      'db.service': 2,
      'early.service': 0,
      'multi-user.target': 4,
      'web.service': 3,
    });
  });

  test('an ordering cycle is reported with its whole path', () => {
    const units = all([
      u('t.target', { wants: ['a.service', 'b.service', 'c.service'] }),
      u('a.service', { after: ['c.service'] }),
      u('b.service', { after: ['a.service'] }),
      u('c.service', { after: ['b.service'] }),
    ]);
    assert.deepEqual(findCycle(transaction(units, 't.target').after), ['a.service', 'c.service', 'b.service', 'a.service']);
  });

  test('random graphs: a reported cycle is a real cycle; none reported means every unit gets a level above its predecessors', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(7), fc.nat(7)), { maxLength: 20 }), (edges) => {
        const after = new Map<string, Set<string>>(Array.from({ length: 8 }, (_, i) => [`u${i}`, new Set<string>()]));
        for (const [a, b] of edges) after.get(`u${a}`)!.add(`u${b}`);
        const c = findCycle(after);
        if (c) {
          assert.equal(c[0], c.at(-1));
          for (let i = 0; i + 1 < c.length; i++) assert.ok(after.get(c[i])!.has(c[i + 1]));
        } else {
          const l = levels(after);
          for (const [n, deps] of after) for (const d of deps) assert.ok(l.get(n)! > l.get(d)!);
        }
      }),
    );
  });
});

describe('specifiers, templates and drop-ins', () => {
  const host: HostFacts = {
    hostname: 'web1.example.org',
    bootId: '0123456789abcdef0123456789abcdef',
    machineId: 'fedcba9876543210fedcba9876543210',
    kernelRelease: '6.18.0',
    user: { name: 'root', uid: 0, group: 'root', gid: 0, home: '/root', shell: '/bin/bash' },
    dirs: { runtime: '/run', state: '/var/lib', cache: '/var/cache', logs: '/var/log', config: '/etc', tmp: '/tmp', varTmp: '/var/tmp' },
  };
  const x = (v: string, name = 'my-getty@dev-tty\\x2d1.service', file = '/etc/dk/system/my-getty@.service') => expandSpecifiers(v, { name, file }, host);

  test('every specifier of the issue against a table (an instance with an escaped dash, and a plain unit)', () => {
    const table: [string, string, string][] = [
      // specifier, for my-getty@dev-tty\x2d1.service, for sshd.service
      ['%n', 'my-getty@dev-tty\\x2d1.service', 'sshd.service'],
      ['%N', 'my-getty@dev-tty\\x2d1', 'sshd'],
      ['%p', 'my-getty', 'sshd'],
      ['%P', 'my/getty', 'sshd'],
      ['%i', 'dev-tty\\x2d1', ''],
      ['%I', 'dev/tty-1', ''],
      ['%j', 'getty', 'sshd'],
      ['%J', 'getty', 'sshd'],
      ['%f', '/dev/tty-1', '/sshd'],
      ['%h', '/root', '/root'],
      ['%u', 'root', 'root'],
      ['%U', '0', '0'],
      ['%g', 'root', 'root'],
      ['%G', '0', '0'],
      ['%t', '/run', '/run'],
      ['%S', '/var/lib', '/var/lib'],
      ['%C', '/var/cache', '/var/cache'],
      ['%L', '/var/log', '/var/log'],
      ['%H', 'web1.example.org', 'web1.example.org'],
      ['%l', 'web1', 'web1'],
      ['%b', host.bootId, host.bootId],
      ['%m', host.machineId, host.machineId],
      ['%%', '%', '%'],
      ['%y', '/etc/dk/system/my-getty@.service', '/lib/systemd/system/sshd.service'],
      ['%Y', '/etc/dk/system', '/lib/systemd/system'],
    ];
    for (const [s, inst, plain] of table) {
      assert.equal(x(s), inst, s);
      assert.equal(x(s, 'sshd.service', '/lib/systemd/system/sshd.service'), plain, s);
    }
    assert.equal(x('date +%%s at %H:%i%'), 'date +%s at web1.example.org:dev-tty\\x2d1%', 'a % at the end stays');
    assert.deepEqual(x('%Q'), { error: 'unknown specifier %Q (%% is a literal %)' });
  });

  test('any value: text without % is unchanged, %% halves, never a throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const r = x(s);
        if (!s.includes('%')) assert.equal(r, s);
        const plain = s.replace(/%/g, '');
        assert.equal(x(plain.replace(/a/g, '%%')), plain.replace(/a/g, '%'));
      }),
    );
  });

  test('name parts and unescaping (systemd-escape --unescape)', () => {
    assert.deepEqual(parseUnitName('getty@tty1.service'), { name: 'getty@tty1.service', prefix: 'getty', instance: 'tty1', type: 'service' });
    assert.deepEqual(parseUnitName('getty@.service'), { name: 'getty@.service', prefix: 'getty', instance: '', type: 'service' });
    assert.deepEqual(parseUnitName('multi-user.target'), { name: 'multi-user.target', prefix: 'multi-user', type: 'target' });
    assert.equal(parseUnitName('@x.service'), undefined);
    assert.equal(templateOf('getty@tty1.service'), 'getty@.service');
    assert.equal(templateOf('getty@.service'), undefined);
    assert.equal(unescapeName('home-user\\x2dname-caf\\xc3\\xa9'), 'home/user-name/café');
    assert.equal(unescapePath('-'), '/');
    assert.equal(unescapePath('mnt-data'), '/mnt/data');
  });

  test('an instance takes its name from the name asked for; specifiers in Exec words, Environment, paths and dependencies', () => {
    const text = [
      '[Unit]',
      'Description=Getty on %I',
      'After=systemd-user-sessions.service plymouth-quit-wait@%i.service',
      '[Service]',
      "ExecStart=/sbin/agetty -o '-p -- \\\\u' --noclear %I linux",
      "ExecStartPost=/bin/sh -c 'date +%%s > %t/getty-%i.stamp'",
      'Environment="TTY=%I" HOST=%H',
      'WorkingDirectory=%h',
      'PIDFile=%t/%p-%i.pid',
      '[Install]',
      'WantedBy=getty.target',
    ].join('\n');
    const r = loadUnit('getty@tty1.service', text, '/u/getty@.service', { host });
    assert.deepEqual(r.problems, []);
    const s = r.unit!.service!;
    assert.equal(r.unit!.description, 'Getty on tty1');
    assert.deepEqual(r.unit!.after, ['systemd-user-sessions.service', 'plymouth-quit-wait@tty1.service']);
    assert.deepEqual(s.execStart[0].argv, ['/sbin/agetty', '-o', '-p -- \\u', '--noclear', 'tty1', 'linux']);
    assert.deepEqual(s.execStartPost[0].argv, ['/bin/sh', '-c', 'date +%s > /run/getty-tty1.stamp']);
    assert.deepEqual(s.environment, { TTY: 'tty1', HOST: 'web1.example.org' });
    assert.equal(s.workingDirectory, '/root');
    assert.equal(s.pidFile, '/run/getty-tty1.pid');
    const bad = loadUnit('a.service', '[Service]\nExecStart=/bin/echo %Q\n', '/u/a.service', { host });
    assert.deepEqual(bad.problems[0], { file: '/u/a.service', line: 2, reason: 'ExecStart=/bin/echo %Q: unknown specifier %Q (%% is a literal %)' });
    assert.equal(bad.unit, undefined);
  });

  test('drop-ins: later files override single keys, an empty ExecStart= resets the list, lists grow; problems name the drop-in', () => {
    const base = '[Unit]\nWants=a.service\n[Service]\nExecStart=/bin/original\nEnvironment=WHO=base LEVEL=1\nRestart=no\n';
    const dropins = [
      { file: '/u/web.service.d/10-exec.conf', text: '[Service]\nExecStart=\nExecStart=/bin/overridden %n\nEnvironment=WHO=first\n' },
      { file: '/u/web.service.d/20-more.conf', text: '[Unit]\nWants=b.service\n[Service]\nEnvironment=WHO=second\nRestart=always\nBogus=1\n' },
    ];
    const r = loadUnit('web.service', base, '/u/web.service', { dropins, host });
    assert.deepEqual(r.problems, []);
    const s = r.unit!.service!;
    assert.deepEqual(
      s.execStart.map((e) => e.argv),
      [['/bin/overridden', 'web.service']],
    );
    assert.deepEqual(s.environment, { WHO: 'second', LEVEL: '1' });
    assert.equal(s.restart, 'always');
    assert.deepEqual(r.unit!.wants, ['a.service', 'b.service']);
    assert.deepEqual(r.warnings, [{ file: '/u/web.service.d/20-more.conf', line: 6, reason: "unknown key 'Bogus' in [Service], ignored" }]);
    // without the reset a second ExecStart= is refused, at the drop-in's line
    const twice = loadUnit('web.service', base, '/u/web.service', { dropins: [{ file: '/u/d.conf', text: '[Service]\nExecStart=/bin/again\n' }], host });
    assert.equal(twice.unit, undefined);
    assert.match(twice.problems[0].reason, /more than one ExecStart=/);
  });
});
