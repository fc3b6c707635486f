/**
 * dk init with real child processes, unprivileged as a child subreaper:
 * each readiness type, ordering, a failed requirement, a cycle, restart
 * backoff on a crashing service (bounded: milliseconds of RestartSec),
 * orphans reaped, initctl and its permission check, and a clean shutdown
 * in reverse order. Then as PID 1 of a PID namespace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DK, dk, enableInstalled, type Result, run } from '../helpers/dk.js';
import { fixture } from '../helpers/fixture.js';
import { until } from '../helpers/children.js';
import { requirePeer } from '../helpers/peers.js';
import { USER_PROCESS, utmpRecord } from '../../src/init/wall.js';
import { freePort } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-init-'));
chmodSync(dir, 0o755);
const unitsDir = join(dir, 'units');
const state = join(dir, 'state');
const control = join(state, 'control.sock');
mkdirSync(unitsDir);
const unit = (name: string, text: string) => writeFileSync(join(unitsDir, name), text);
let init: ChildProcess | undefined;
let log = '';

const ctl = (...args: string[]) => dk(['initctl', '--control', control, ...args]);
const list = () =>
  JSON.parse(ctl('--json', 'list').out) as { units: { name: string; state: string; pid?: number; result?: string; status?: string; retryAt?: number }[] };
const stateOf = (name: string) => list().units.find((u) => u.name === name);
const textOf = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

let echoPort = 0;
let dgramPort = 0;

before(async () => {
  echoPort = await freePort();
  dgramPort = await freePort();
  // a datagram server activated by its first datagram, which it still finds on fd 3
  writeFileSync(
    join(dir, 'dgram.py'),
    'import socket\ns = socket.socket(fileno=3)\nwhile True:\n    data, addr = s.recvfrom(2048)\n    s.sendto(b"got " + data, addr)\n',
  );
  unit('answer.socket', `[Socket]\nListenDatagram=127.0.0.1:${dgramPort}\n[Install]\nWantedBy=multi-user.target\n`);
  unit('answer.service', `[Service]\nExecStart=/usr/bin/python3 ${join(dir, 'dgram.py')}\n`);
  // socket activation: a server that accepts on the listening socket it is given as fd 3
  writeFileSync(
    join(dir, 'activated.py'),
    [
      'import os, socket',
      's = socket.socket(fileno=3)',
      'ok = os.environ.get("LISTEN_FDS") == "1" and os.environ.get("LISTEN_PID") == str(os.getpid())',
      'while True:',
      '    c, _ = s.accept()',
      '    c.sendall(b"activated pid=%d listen_env=%s\\n" % (os.getpid(), str(ok).encode()))',
      '    c.close()',
    ].join('\n'),
  );
  unit('echo.socket', `[Unit]\nDescription=activation socket\n[Socket]\nListenStream=127.0.0.1:${echoPort}\n[Install]\nWantedBy=multi-user.target\n`);
  unit('echo.service', `[Unit]\nDescription=socket-activated\n[Service]\nExecStart=/usr/bin/python3 ${join(dir, 'activated.py')}\n`);
  // sd_notify(3) in a few lines: READY=1 and a status on $NOTIFY_SOCKET
  writeFileSync(
    join(dir, 'notify.py'),
    'import os, socket, time\ntime.sleep(0.1)\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.connect(os.environ["NOTIFY_SOCKET"])\ns.send(b"STATUS=serving requests\\nREADY=1")\ntime.sleep(300)\n',
  );
  unit('multi-user.target', '[Unit]\nDescription=Multi-User System\n');
  unit(
    'base.service',
    "[Unit]\nDescription=simple\n[Service]\nExecStart=/bin/sh -c 'echo base says hello; exec sleep 300'\n[Install]\nWantedBy=multi-user.target\n",
  );
  unit(
    'notified.service',
    `[Unit]\nDescription=notify\nRequires=base.service\nAfter=base.service\n[Service]\nType=notify\nExecStart=/usr/bin/python3 ${join(dir, 'notify.py')}\n[Install]\nWantedBy=multi-user.target\n`,
  );
  unit(
    'setup.service',
    '[Unit]\nDescription=oneshot\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStartPre=/bin/echo preparing\nExecStart=/bin/echo setup done\n[Install]\nWantedBy=multi-user.target\n',
  );
  unit(
    'forked.service',
    `[Unit]\nDescription=forking\nAfter=setup.service\n[Service]\nType=forking\nPIDFile=${join(dir, 'forked.pid')}\nExecStart=${process.execPath} ${DK} daemonize --pidfile ${join(dir, 'forked.pid')} -- sleep 301\n[Install]\nWantedBy=multi-user.target\n`,
  );
  unit(
    'execd.service',
    '[Unit]\nDescription=exec\nAfter=notified.service\n[Service]\nType=exec\nExecStart=/bin/sleep 302\nEnvironment=GREETING=hi\n[Install]\nWantedBy=multi-user.target\n',
  );
  // s6-style readiness: a newline on fd 5 after a while
  unit(
    's6ready.service',
    "[Unit]\nDescription=readiness fd\n[Service]\nReadinessFd=5\nExecStart=/bin/sh -c 'sleep 0.2; echo >&5; exec sleep 308'\n[Install]\nWantedBy=multi-user.target\n",
  );
  unit(
    'after-s6.service',
    '[Unit]\nDescription=after the readiness fd\nAfter=s6ready.service\n[Service]\nExecStart=/bin/sleep 309\n[Install]\nWantedBy=multi-user.target\n',
  );
  unit(
    'who.service',
    '[Unit]\nDescription=as nobody\n[Service]\nType=oneshot\nUser=nobody\nExecStart=/bin/sh -c \'echo "uid=$(id -u) groups=$(id -G)"\'\n[Install]\nWantedBy=multi-user.target\n',
  );
  unit('broken.service', '[Unit]\nDescription=fails\n[Service]\nType=oneshot\nExecStart=/bin/false\n');
  unit(
    'needy.service',
    '[Unit]\nDescription=requires broken\nRequires=broken.service\nAfter=broken.service\n[Service]\nExecStart=/bin/sleep 303\n[Install]\nWantedBy=multi-user.target\n',
  );
  unit('crasher.service', "[Unit]\nDescription=crashes\n[Service]\nExecStart=/bin/sh -c 'exit 3'\nRestart=on-failure\nRestartSec=40ms\n");
  unit(
    'orphans.service',
    "[Unit]\nDescription=leaves orphans\n[Service]\nType=oneshot\nExecStart=/bin/sh -c '(sleep 0.3 &) ; (sleep 0.3 &) ; exit 0'\n[Install]\nWantedBy=multi-user.target\n",
  );
  unit('strange.service', '[Unit]\nDescription=has an unknown key\nColour=blue\n[Service]\nExecStart=/bin/sleep 304\n');
  unit('x.service', '[Unit]\nAfter=y.service\n[Service]\nExecStart=/bin/sleep 305\n');
  unit('y.service', '[Unit]\nAfter=x.service\n[Service]\nExecStart=/bin/sleep 306\n');
  unit('loop.target', '[Unit]\nWants=x.service y.service\n');
  // single-user: only what it requires; a unit that conflicts with it
  unit('rescue.target', '[Unit]\nDescription=Rescue\nRequires=rescue-shell.service\n');
  unit('rescue-shell.service', '[Unit]\nDescription=rescue shell\nConflicts=base.service\n[Service]\nExecStart=/bin/sleep 307\n');
  // ignores TERM: SIGKILL after TimeoutStopSec
  unit(
    'stubborn.service',
    '[Unit]\nDescription=ignores TERM\n[Service]\nExecStart=/bin/sh -c \'trap "" TERM; while :; do sleep 0.05; done\'\nTimeoutStopSec=300ms\n[Install]\nWantedBy=multi-user.target\n',
  );
  // a SysV script with an LSB header: run with start at boot and stop at shutdown
  mkdirSync(join(dir, 'init.d'));
  writeFileSync(
    join(dir, 'init.d', 'legacy'),
    `#!/bin/sh\n### BEGIN INIT INFO\n# Provides: legacy\n# Required-Start: $local_fs\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n# Short-Description: an old-style service\n### END INIT INFO\necho "$1" >> ${join(dir, 'legacy.log')}\n`,
  );
  chmodSync(join(dir, 'init.d', 'legacy'), 0o755);
  // a template and two instances named by a unit (one with an escaped path), specifiers in the command line
  unit(
    'my-tty@.service',
    `[Unit]\nDescription=console on %I\n[Service]\nExecStart=/bin/sh -c 'echo "%n %p %i %I %j %f %% $(date +%%Y)" > ${dir}/tty-%i.out; exec sleep 310'\n`,
  );
  unit('ttys.target', '[Unit]\nDescription=consoles\nWants=my-tty@tty1.service my-tty@dev-tty2.service\n[Install]\nWantedBy=multi-user.target\n');
  // drop-ins: 10 replaces ExecStart (the empty assignment first), 20 overrides what 10 set
  unit(
    'dropped.service',
    `[Unit]\nDescription=original\n[Service]\nExecStart=/bin/sh -c 'echo original > ${dir}/dropped.out; exec sleep 311'\n[Install]\nWantedBy=multi-user.target\n`,
  );
  mkdirSync(join(unitsDir, 'dropped.service.d'));
  writeFileSync(
    join(unitsDir, 'dropped.service.d', '10-exec.conf'),
    `[Service]\nExecStart=\nExecStart=/bin/sh -c 'echo "overridden %n $WHO" > ${dir}/dropped.out; exec sleep 311'\nEnvironment=WHO=first\n`,
  );
  writeFileSync(join(unitsDir, 'dropped.service.d', '20-who.conf'), '[Unit]\nDescription=from a drop-in\n[Service]\nEnvironment=WHO=second\n');
  // hands its work to a child and says so: MAINPID= then READY=1, and the parent leaves
  writeFileSync(
    join(dir, 'handoff.py'),
    [
      'import os, socket, time',
      'pid = os.fork()',
      'if pid == 0:',
      '    time.sleep(300); os._exit(0)',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.connect(os.environ["NOTIFY_SOCKET"])',
      's.send(b"MAINPID=%d\\nREADY=1\\nSTATUS=handed over" % pid)',
      'time.sleep(0.2)',
    ].join('\n'),
  );
  unit('handoff.service', `[Unit]\nDescription=MAINPID\n[Service]\nType=notify\nExecStart=/usr/bin/python3 ${join(dir, 'handoff.py')}\n`);
  unit('hup.service', '[Unit]\nDescription=reloads\n[Service]\nExecStart=/bin/sh -c \'trap "echo reloaded" HUP; echo armed; while :; do sleep 0.05; done\'\n');
  enableInstalled(unitsDir);
  init = spawn(
    process.execPath,
    [
      DK,
      'init',
      '--units',
      unitsDir,
      '--sysv',
      join(dir, 'init.d'),
      '--state-dir',
      state,
      '--syslog-socket',
      join(dir, 'nolog'),
      '--restart-cap',
      '30',
      // shutdown notices go to the terminals this file names: a pty of the test's, never a real login
      '--utmp',
      join(dir, 'utmp'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  init.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  await until(() => /multi-user\.target reached/.test(log), 'multi-user.target', 20000);
});

after(async () => {
  if (init && init.exitCode === null && init.signalCode === null) {
    // a failed test may leave services up: stop them through dk init, and kill what remains by pid
    let pids: number[] = [];
    try {
      pids = list()
        .units.filter((u) => u.pid)
        .map((u) => u.pid!);
    } catch {
      // no answer
    }
    init.kill('SIGTERM');
    await until(() => init!.exitCode !== null, 'dk init to stop', 15000).catch(() => init!.kill('SIGKILL'));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const f of ['forked.pid']) {
    try {
      process.kill(Number(readFileSync(join(dir, f), 'utf8')), 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('dk init as a subreaper', () => {
  test('every readiness type reaches active, in dependency order, with output tagged by unit', () => {
    const u = Object.fromEntries(list().units.map((x) => [x.name, x]));
    for (const n of [
      'base.service',
      'notified.service',
      'setup.service',
      'forked.service',
      'execd.service',
      's6ready.service',
      'after-s6.service',
      'multi-user.target',
    ])
      assert.equal(u[n].state, 'active', `${n}: ${JSON.stringify(u[n])}`);
    // ready only once the newline came on fd 5: what is ordered after it waited
    assert.ok(log.indexOf('s6ready.service: active') < log.indexOf('after-s6.service: starting'));
    assert.equal(u['notified.service'].status, 'serving requests');
    // the forking service's main process is the daemon the PIDFile names
    assert.equal(u['forked.service'].pid, Number(readFileSync(join(dir, 'forked.pid'), 'utf8')));
    assert.ok(log.indexOf('base.service: active') < log.indexOf('notified.service: starting'));
    assert.ok(log.indexOf('notified.service: active') < log.indexOf('execd.service: starting'));
    assert.match(log, /base\[\d+\]: base says hello/);
    assert.match(log, /setup\[\d+\]: preparing\n(.|\n)*setup\[\d+\]: setup done/);
    assert.match(log, /units\/strange\.service:3: unknown key 'Colour' in \[Unit\], ignored/);
    // User=: the uid and the groups initgroups gives (Node's spawn alone would leave none); unprivileged, ourselves
    assert.match(log, process.getuid?.() === 0 ? /who\[\d+\]: uid=65534 groups=65534\n/ : new RegExp(`who\\[\\d+\\]: uid=${process.getuid?.()} `));
    // the SysV script ran with start, and its unit stays active
    assert.equal(readFileSync(join(dir, 'legacy.log'), 'utf8'), 'start\n');
    assert.equal(u['legacy.service'].state, 'active');
  });

  test('a template runs once per instance named, with its specifiers; a drop-in replaces ExecStart and a later one overrides it', async () => {
    const u = Object.fromEntries(list().units.map((x) => [x.name, x]));
    for (const n of ['my-tty@tty1.service', 'my-tty@dev-tty2.service', 'ttys.target', 'dropped.service']) assert.equal(u[n]?.state, 'active', n);
    assert.equal(u['my-tty@.service'], undefined, 'the template itself is no unit');
    assert.notEqual(u['my-tty@tty1.service'].pid, u['my-tty@dev-tty2.service'].pid);
    const year = new Date().getFullYear();
    for (const f of ['tty-tty1.out', 'tty-dev-tty2.out']) await until(() => /\d{4}\n$/.test(textOf(join(dir, f))), `${f} to be written`);
    assert.equal(readFileSync(join(dir, 'tty-tty1.out'), 'utf8'), `my-tty@tty1.service my-tty tty1 tty1 tty /tty1 % ${year}\n`);
    assert.equal(readFileSync(join(dir, 'tty-dev-tty2.out'), 'utf8'), `my-tty@dev-tty2.service my-tty dev-tty2 dev/tty2 tty /dev/tty2 % ${year}\n`);
    const one = JSON.parse(ctl('--json', 'status', 'my-tty@tty1.service').out) as { units: { description: string }[] };
    assert.equal(one.units[0].description, 'console on tty1');
    await until(() => textOf(join(dir, 'dropped.out')).endsWith('\n'), 'dropped.service to write');
    assert.equal(readFileSync(join(dir, 'dropped.out'), 'utf8'), 'overridden dropped.service second\n');
    assert.equal((JSON.parse(ctl('--json', 'status', 'dropped').out) as { units: { description: string }[] }).units[0].description, 'from a drop-in');
    // an instance nothing named yet is made when it is started by hand, and stopped again
    assert.equal(ctl('start', 'my-tty@tty3.service').code, 0);
    assert.equal(stateOf('my-tty@tty3.service')?.state, 'active');
    assert.equal(ctl('stop', 'my-tty@tty3.service').code, 0);
    assert.equal(stateOf('my-tty@tty3.service')?.state, 'inactive');
  });

  test('MAINPID= moves the main process: the unit follows the child after its parent left, and fails when that child is killed', async () => {
    assert.equal(ctl('start', 'handoff').code, 0);
    const s = stateOf('handoff.service')!;
    assert.equal(s.state, 'active');
    assert.equal(s.status, 'handed over');
    await until(() => /handoff\.service: main process is now \d+ \(MAINPID=\)/.test(log), 'the MAINPID log line');
    const child = Number(/handoff\.service: main process is now (\d+)/.exec(log)![1]);
    assert.equal(s.pid, child);
    // the parent's exit 200 ms later is not the unit's
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(stateOf('handoff.service')?.state, 'active');
    assert.equal(
      readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1].split(' ')[1],
      String(process.pid === 1 ? 1 : init!.pid),
      "the child is now dk init's",
    );
    process.kill(child, 'SIGKILL');
    await until(() => stateOf('handoff.service')?.state === 'failed', 'the unit to fail with its main process');
    assert.match(stateOf('handoff.service')?.result ?? '', /signal 9/);
  });

  test('socket activation: the service starts on its first client and gets the socket as fd 3 with LISTEN_FDS/LISTEN_PID', async () => {
    assert.equal(stateOf('echo.socket')?.state, 'active');
    assert.equal(stateOf('echo.service')?.state, 'inactive');
    const answer = await new Promise<string>((resolve, reject) => {
      const c = net.connect(echoPort, '127.0.0.1');
      let got = '';
      c.on('data', (b) => (got += b));
      c.on('close', () => resolve(got));
      c.on('error', reject);
    });
    const pid = Number(/activated pid=(\d+) listen_env=True\n/.exec(answer)?.[1]);
    assert.ok(pid > 0, answer);
    assert.equal(stateOf('echo.service')?.pid, pid);
    assert.match(log, /echo\.service: activated by a client on its socket/);
  });

  test('socket activation by a datagram: the first one is not lost', async () => {
    assert.equal(stateOf('answer.service')?.state, 'inactive');
    const reply = await new Promise<string>((resolve) => {
      const c = dgram.createSocket('udp4');
      c.on('message', (m) => {
        c.close();
        resolve(m.toString());
      });
      c.bind(0, '127.0.0.1', () => c.send('first', dgramPort, '127.0.0.1'));
    });
    assert.equal(reply, 'got first');
    assert.equal(stateOf('answer.service')?.state, 'active');
  });

  test('a failed requirement fails its dependents; nothing else is touched', () => {
    assert.equal(stateOf('broken.service')?.state, 'failed');
    assert.deepEqual([stateOf('needy.service')?.state, stateOf('needy.service')?.result], ['failed', 'dependency failed: broken.service']);
  });

  test('orphans re-parented to dk init are reaped', async () => {
    await until(
      () =>
        readFileSync(`/proc/${init!.pid}/task/${init!.pid}/children`, 'latin1')
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map(Number)
          .filter((p) => {
            try {
              return readFileSync(`/proc/${p}/stat`, 'latin1').includes(') Z ');
            } catch {
              return false;
            }
          }).length === 0 && /orphans\.service: inactive \(finished\)/.test(log),
      'no zombies among dk init children',
    );
  });

  test('a crashing service restarts with doubling delays, then is failed and tried again at the cap', async () => {
    // a simple service is started once it runs; its crashes come after
    assert.equal(ctl('start', 'crasher').code, 0);
    await until(() => /crasher\.service: failed \(exited 3; 5 starts within 10 s, next try in 30 s\)/.test(log), 'the burst limit', 20000);
    const delays = [...log.matchAll(/crasher\.service: auto-restart \(exited 3; restart in (\d+) ms\)/g)].map((m) => Number(m[1]));
    assert.deepEqual(delays, [40, 80, 160, 320]);
    const s = stateOf('crasher.service')!;
    assert.equal(s.state, 'failed');
    assert.ok(s.retryAt! - Date.now() > 20_000, 'the next try is scheduled at the cap');
    assert.equal(ctl('stop', 'crasher').code, 0);
    assert.equal(stateOf('crasher.service')?.retryAt, undefined);
  });

  test('an ordering cycle is refused with its path', () => {
    const r = ctl('isolate', 'loop');
    assert.equal(r.code, 1);
    assert.equal(r.err, 'dk initctl: ordering cycle: x.service -> y.service -> x.service\n');
  });

  test('reload sends SIGHUP (no ExecReload); status shows one unit', async () => {
    assert.equal(ctl('start', 'hup').code, 0);
    // the shell says so once its trap is set
    await until(() => /hup\[\d+\]: armed/.test(log), 'the trap set');
    assert.equal(ctl('reload', 'hup').code, 0);
    await until(() => /hup\[\d+\]: reloaded/.test(log), 'the reload seen by the service');
    const st = ctl('status', 'hup');
    assert.match(st.out, /^hup\.service - reloads\n {3}State: active\n {4}Main PID: \d+\n/);
    assert.equal(ctl('stop', 'hup').code, 0);
  });

  test('isolate rescue: only what it requires runs; Conflicts= stops base; back to multi-user', async () => {
    const r = ctl('isolate', 'rescue');
    assert.equal(r.code, 0, r.err);
    const running = list()
      .units.filter((u) => u.state === 'active')
      .map((u) => u.name)
      .sort();
    assert.deepEqual(running, ['rescue-shell.service', 'rescue.target']);
    // (initctl ran synchronously: dk init's log lines arrive now)
    await until(() => /base\.service: inactive \(stopped\)/.test(log), 'base stopped in the log');
    const back = ctl('isolate', 'multi-user');
    assert.equal(back.code, 1); // broken.service fails again, as at boot
    assert.equal(stateOf('rescue-shell.service')?.state, 'inactive');
    for (const n of ['base.service', 'notified.service', 'execd.service', 'multi-user.target']) assert.equal(stateOf(n)?.state, 'active', n);
  });

  test('runlevel and telinit: N 3 after the boot, 1 in single-user, back to 3 (also through the links dk links makes)', async () => {
    const links = mkdtempSync(join(dir, 'links-'));
    assert.equal(dk(['links', links]).code, 0);
    // runlevel(8) by its own name: the link runs dk runlevel
    const rl = () => run(join(links, 'runlevel'), ['--control', control]);
    assert.equal(rl().out, '1 3\n', 'after the isolate round trip of the test before');
    assert.equal(dk(['telinit', '--control', control, 'S']).code, 0);
    assert.equal(rl().out, '3 1\n');
    assert.equal(stateOf('rescue-shell.service')?.state, 'active');
    // broken.service fails on the way back, as at boot: telinit says so
    assert.equal(dk(['telinit', '--control', control, '3']).code, 1);
    assert.equal(rl().out, '1 3\n');
    assert.equal(stateOf('base.service')?.state, 'active');
    const bad = dk(['telinit', '--control', control, '9']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /'9' is not a runlevel/);
  });

  test('shutdown +1 with a message reaches the logged-in terminal; shutdown -c cancels it and says so', async (t) => {
    if (!requirePeer(t, 'python3', 'python3')) return;
    // a terminal of the test's own: python holds a pty pair and prints what arrives on the master side
    const pty = spawn(
      '/usr/bin/python3',
      [
        '-c',
        [
          'import os, pty, select, sys, time',
          'm, s = pty.openpty()',
          'print(os.ttyname(s), flush=True)',
          'end = time.time() + 20; got = b""',
          'while time.time() < end and b"cancelled" not in got:',
          '    r, _, _ = select.select([m], [], [], 0.2)',
          '    if r: got += os.read(m, 4096)',
          'sys.stdout.write(got.decode(errors="replace")); sys.stdout.flush()',
        ].join('\n'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    pty.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await until(() => out.includes('\n'), 'the pty name');
      const tty = out.split('\n')[0].replace(/^\/dev\//, '');
      writeFileSync(join(dir, 'utmp'), utmpRecord({ type: USER_PROCESS, pid: pty.pid!, line: tty, user: 'tester', host: '' }));
      const r = dk(['shutdown', '--control', control, '-r', '+1', 'back in a minute']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Shutdown \(reboot\) scheduled for .* GMT, use 'dk shutdown -c' to cancel\.\n$/);
      const pending = JSON.parse(ctl('--json', 'scheduled').out) as { scheduled: { kind: string; at: number; message: string } };
      assert.equal(pending.scheduled.kind, 'reboot');
      assert.ok(pending.scheduled.at > Date.now() + 50_000);
      assert.equal(dk(['shutdown', '--control', control, '-c']).code, 0);
      await until(() => /cancelled/.test(out), 'the cancel notice on the terminal', 15000);
      // (the terminal turns each \n into \r\n on its way out, as it does for wall(1): \r\r\n)
      assert.match(out, /Broadcast message from root@[^\r]+:\r+\n\r+\nThe system will reboot at .* GMT!\r+\nback in a minute\r+\n/);
      assert.match(out, /System shutdown has been cancelled/);
      assert.equal((JSON.parse(ctl('--json', 'scheduled').out) as { scheduled?: unknown }).scheduled, undefined);
      // nothing left to cancel
      const again = dk(['shutdown', '--control', control, '-c']);
      assert.equal(again.code, 1);
      assert.match(again.err, /no shutdown is scheduled/);
      assert.equal(stateOf('base.service')?.state, 'active', 'nothing was stopped');
    } finally {
      pty.kill('SIGKILL');
      rmSync(join(dir, 'utmp'), { force: true });
    }
  });

  test('enable and daemon-reload: a new unit is linked and loaded, a running one keeps its process and restarts as its new file says; aliases resolve', async () => {
    unit(
      'late.service',
      `[Unit]\nDescription=added later\n[Service]\nExecStart=/bin/sh -c 'echo late > ${dir}/late.out; exec sleep 300'\n[Install]\nWantedBy=multi-user.target\nAlias=tardy.service\n`,
    );
    const en = ctl('enable', 'late.service');
    assert.equal(en.code, 0, en.err);
    assert.match(en.out, /Created symlink .*multi-user\.target\.wants\/late\.service → /);
    assert.equal(ctl('is-enabled', 'late').out, 'enabled\n');
    assert.equal(stateOf('late.service')?.state, 'inactive', 'enable does not start it');
    // started by its alias
    assert.equal(ctl('start', 'tardy.service').code, 0);
    assert.equal(stateOf('late.service')?.state, 'active');
    const pid = stateOf('late.service')?.pid;
    // the file changes under a running unit: daemon-reload keeps the process, restart runs the new command
    unit(
      'late.service',
      `[Unit]\nDescription=added later, changed\n[Service]\nExecStart=/bin/sh -c 'echo changed > ${dir}/late.out; exec sleep 300'\n[Install]\nWantedBy=multi-user.target\n`,
    );
    assert.equal(ctl('daemon-reload').code, 0);
    assert.equal(stateOf('late.service')?.pid, pid);
    assert.equal(stateOf('late.service')?.state, 'active');
    assert.equal(readFileSync(join(dir, 'late.out'), 'utf8'), 'late\n');
    assert.equal(ctl('restart', 'late').code, 0);
    await until(() => textOf(join(dir, 'late.out')) === 'changed\n', 'the new ExecStart');
    assert.notEqual(stateOf('late.service')?.pid, pid);
    const dis = ctl('disable', 'late.service');
    assert.equal(dis.code, 0, dis.err);
    assert.match(dis.out, /Removed ".*multi-user\.target\.wants\/late\.service"\./);
    assert.equal(ctl('stop', 'late').code, 0);
  });

  test('initctl: anyone may look, only root or the owner may change', (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to ask as nobody');
    const asNobody = (...args: string[]) =>
      run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, DK, 'initctl', '--control', control, ...args]);
    assert.equal(asNobody('list').code, 0);
    const r = asNobody('stop', 'base');
    assert.equal(r.code, 1);
    assert.match(r.err, /permission denied/);
    assert.equal(stateOf('base.service')?.state, 'active');
  });

  test('stop and start by hand; then TERM stops everything in reverse order, syncs, exits 0, leaves nothing', async () => {
    assert.equal(ctl('stop', 'execd').code, 0);
    assert.equal(stateOf('execd.service')?.state, 'inactive');
    assert.equal(ctl('start', 'execd').code, 0);
    const pids = list()
      .units.filter((u) => u.pid)
      .map((u) => u.pid!);
    assert.ok(pids.length >= 4, JSON.stringify(list().units));
    init!.kill('SIGTERM');
    await until(() => init!.exitCode !== null, 'dk init to exit', 20000);
    assert.equal(init!.exitCode, 0);
    // dependents first: notified (after base) stops before base
    assert.ok(log.indexOf('notified.service: inactive (stopped)') < log.indexOf('base.service: inactive (stopped)'), log);
    assert.match(log, /file systems synced/);
    assert.match(log, /stubborn\.service: still running after 0\.3 s, SIGKILL/);
    // stopped and started again by the isolate and the telinit round trips, then stopped at shutdown
    assert.equal(readFileSync(join(dir, 'legacy.log'), 'utf8'), 'start\nstop\nstart\nstop\nstart\nstop\n');
    for (const p of pids) assert.throws(() => process.kill(p, 0), `pid ${p} left behind`);
  });
});

/**
 * dk init as PID 1 of new user, PID and mount namespaces (-r: no root
 * needed; -f: dk init is the namespace's PID 1), its units enabled first;
 * returns when the namespace has ended.
 */
function initAsPid1(pdir: string, units: string, extra: string[] = []) {
  enableInstalled(units);
  return spawnSync(
    'unshare',
    [
      '-rpf',
      '--kill-child',
      '--mount-proc',
      process.execPath,
      DK,
      'init',
      '--units',
      units,
      '--state-dir',
      join(pdir, 'state'),
      '--syslog-socket',
      join(pdir, 'nolog'),
      ...extra,
    ],
    // unshare ignores SIGTERM while it waits; --kill-child takes the namespace down with it
    { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' },
  );
}

test('dk init as PID 1 of a PID namespace: boots, reaps orphans, powers off on request', (t) => {
  if (!requirePeer(t, 'unshare', 'util-linux') || !requirePeer(t, 'python3', 'python3')) return;
  const pdir = mkdtempSync(join(dir, 'pid1-'));
  const units = join(pdir, 'units');
  const ctlPath = join(pdir, 'state', 'control.sock');
  const result = join(pdir, 'result.json');
  mkdirSync(units);
  writeFileSync(join(units, 'multi-user.target'), '[Unit]\nDescription=Multi-User\n');
  // leaves an orphan behind every 20 ms: PID 1 must reap them all
  writeFileSync(
    join(units, 'spawner.service'),
    "[Service]\nExecStart=/bin/sh -c 'while :; do (sleep 0.01 &); sleep 0.02; done'\n[Install]\nWantedBy=multi-user.target\n",
  );
  // the probe runs inside the namespace as a unit: it counts zombies whose parent is PID 1, then asks for poweroff
  writeFileSync(
    join(pdir, 'probe.py'),
    [
      'import json, os, socket, time',
      'def zombies():',
      '    out = set()',
      '    for pid in os.listdir("/proc"):',
      '        if pid.isdigit():',
      '            try:',
      '                st = open(f"/proc/{pid}/stat").read().rsplit(") ", 1)[1].split()',
      '                if st[0] == "Z" and st[1] == "1": out.add(pid)',
      '            except OSError: pass',
      '    return out',
      'time.sleep(1.0)',
      // an orphan may be caught between its exit and the reaping; one that stays is not reaped
      'first = zombies(); time.sleep(0.6); zombies = len(first & zombies())',
      'def ask(cmd):',
      `    s = socket.socket(socket.AF_UNIX); s.connect(${JSON.stringify(ctlPath)})`,
      '    s.sendall((json.dumps({"cmd": cmd}) + "\\n").encode()); return json.loads(s.makefile().readline())',
      'units = {u["name"]: u["state"] for u in ask("list")["units"]}',
      `open(${JSON.stringify(result)}, "w").write(json.dumps({"zombies": zombies, "units": units, "mypid": os.getpid()}))`,
      'ask("poweroff")',
      'time.sleep(30)',
    ].join('\n'),
  );
  writeFileSync(
    join(units, 'probe.service'),
    `[Unit]\nAfter=spawner.service\n[Service]\nExecStart=/usr/bin/python3 ${join(pdir, 'probe.py')}\n[Install]\nWantedBy=multi-user.target\n`,
  );
  const r = initAsPid1(pdir, units);
  // reboot(2) with POWER_OFF from a PID namespace's init ends the namespace: its parent sees init killed by SIGINT
  assert.equal(r.signal, 'SIGINT', r.stderr);
  assert.match(r.stderr, /dk init: PID 1, 3 units/);
  const got = JSON.parse(readFileSync(result, 'utf8')) as { zombies: number; units: Record<string, string> };
  assert.equal(got.zombies, 0);
  assert.deepEqual(got.units, { 'multi-user.target': 'active', 'probe.service': 'active', 'spawner.service': 'active' });
  // poweroff stopped the units before PID 1 left
  assert.match(
    r.stderr,
    /poweroff: stopping(.|\n)*spawner\.service: inactive \(stopped\)(.|\n)*file systems synced(.|\n)*powering off \(the PID namespace ends\)/,
  );
});

for (const [kind, signal] of [
  ['halt', 'SIGINT'],
  ['reboot', 'SIGHUP'],
] as const) {
  test(`dk init as PID 1: ${kind} stops the units, kills what is left, unmounts a tmpfs, and the parent sees ${signal}`, (t) => {
    if (!requirePeer(t, 'unshare', 'util-linux') || !requirePeer(t, 'python3', 'python3')) return;
    const pdir = mkdtempSync(join(dir, `${kind}-`));
    const units = join(pdir, 'units');
    const ctlPath = join(pdir, 'state', 'control.sock');
    const scratch = join(pdir, 'scratch');
    mkdirSync(units);
    mkdirSync(scratch);
    const u = (name: string, text: string) => writeFileSync(join(units, name), text);
    u('multi-user.target', '[Unit]\nDescription=Multi-User\n');
    // a tmpfs that exists only in the namespace dk init runs in
    u(
      'scratch.service',
      `[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/mount -t tmpfs -o size=1m tmpfs ${scratch}\n[Install]\nWantedBy=multi-user.target\n`,
    );
    // writes into it while it runs, and to the disk when it is stopped
    u(
      'writer.service',
      `[Unit]\nRequires=scratch.service\nAfter=scratch.service\n[Service]\nExecStart=/bin/sh -c 'echo running > ${scratch}/x; exec sleep 300'\nExecStop=/bin/sh -c 'cat ${scratch}/x > ${pdir}/saved; echo stopped >> ${pdir}/saved'\n[Install]\nWantedBy=multi-user.target\n`,
    );
    // a process no unit knows, in a session of its own, that ignores SIGTERM: only the final SIGKILL ends it
    u(
      'leaver.service',
      '[Service]\nType=oneshot\nExecStart=/usr/bin/setsid -f /bin/sh -c \'trap "" TERM; while :; do sleep 0.05; done\'\n[Install]\nWantedBy=multi-user.target\n',
    );
    writeFileSync(
      join(pdir, 'probe.py'),
      [
        'import json, socket, time',
        'def ask(cmd):',
        `    s = socket.socket(socket.AF_UNIX); s.connect(${JSON.stringify(ctlPath)})`,
        '    s.sendall((json.dumps({"cmd": cmd}) + "\\n").encode()); return json.loads(s.makefile().readline())',
        'for _ in range(200):',
        '    if {u["name"]: u["state"] for u in ask("list")["units"]}.get("writer.service") == "active": break',
        '    time.sleep(0.05)',
        'time.sleep(0.2)',
        `ask(${JSON.stringify(kind)})`,
        'time.sleep(30)',
      ].join('\n'),
    );
    u(
      'probe.service',
      `[Unit]\nAfter=writer.service leaver.service\n[Service]\nExecStart=/usr/bin/python3 ${join(pdir, 'probe.py')}\n[Install]\nWantedBy=multi-user.target\n`,
    );
    const r = initAsPid1(pdir, units, ['--kill-grace', '0.3']);
    assert.equal(r.signal, signal, `${r.status} ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${kind}: stopping`));
    // in reverse order: the writer before the tmpfs it writes to
    assert.match(r.stderr, /writer\.service: inactive \(stopped\)(.|\n)*scratch\.service: inactive/);
    assert.equal(readFileSync(join(pdir, 'saved'), 'utf8'), 'running\nstopped\n', 'ExecStop ran and its data reached the disk');
    assert.match(r.stderr, /1 processes still running after 300 ms \(\d+\): SIGKILL/);
    assert.match(r.stderr, new RegExp(`unmounted ${scratch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(tmpfs\\)`));
    assert.match(r.stderr, new RegExp(`${kind === 'reboot' ? 'restarting' : 'halting'} \\(the PID namespace ends\\)`));
    // the tmpfs was the namespace's: the directory under it is as the test left it
    assert.deepEqual(readdirSync(scratch), []);
  });
}

test('boot parameters choose the target: 3 over --target rescue, systemd.unit=, --target when they name none (single-user: below)', async () => {
  const { sdir: bdir, units } = unitsIn('boot-', {
    'rescue-needs.service': '[Service]\nExecStart=/bin/sleep 301\n',
    // by its runlevel name: the alias resolves
    'graphical.target': '[Unit]\nRequires=runlevel3.target\nAfter=runlevel3.target\n',
  });
  for (const [cmdline, target, extra] of [
    ['ro 3', 'multi-user.target', ['--target', 'rescue']],
    ['BOOT_IMAGE=/vmlinuz root=/dev/vda1 systemd.unit=graphical.target', 'graphical.target', []],
    ['ro quiet', 'graphical.target', ['--target', '5']],
    ['ro quiet', 'multi-user.target', []],
  ] as const) {
    const { child, log: err, exited } = startInit(bdir, units, ['--cmdline', cmdline, ...extra]);
    try {
      await until(() => / reached in /.test(err()), `${cmdline}: boot`);
      assert.match(err(), new RegExp(`dk init: ${target.replace('.', '\\.')} reached`), cmdline);
      const levels = dk(['runlevel', '--control', join(bdir, 'state', 'control.sock')]).out;
      assert.equal(levels, `N ${target === 'graphical.target' ? 5 : 3}\n`, cmdline);
      const active = (
        JSON.parse(dk(['initctl', '--control', join(bdir, 'state', 'control.sock'), '--json', 'list']).out) as { units: { name: string; state: string }[] }
      ).units
        .filter((u) => u.state === 'active')
        .map((u) => u.name);
      assert.ok(active.includes('daily.service') && active.includes('multi-user.target'), `${cmdline}: ${active.join(' ')}`);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }
});

/**
 * A temp dir with a units/ directory for a boot: multi-user.target wanting
 * daily.service, rescue.target requiring rescue-needs.service, and more.
 */
function unitsIn(prefix: string, more: Record<string, string>) {
  const sdir = mkdtempSync(join(dir, prefix));
  const units = join(sdir, 'units');
  mkdirSync(units);
  const files: Record<string, string> = {
    'multi-user.target': '[Unit]\nWants=daily.service\n',
    'rescue.target': '[Unit]\nRequires=rescue-needs.service\n',
    'daily.service': '[Service]\nExecStart=/bin/sleep 300\n',
    ...more,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(units, name), text);
  return { sdir, units };
}

/** dk init as a subreaper on units, its state and sockets under sdir (utmp too: never the machine's); log() is its stderr so far. */
function startInit(sdir: string, units: string, extra: string[] = []) {
  const child = spawn(
    process.execPath,
    [DK, 'init', '--units', units, '--state-dir', join(sdir, 'state'), '--syslog-socket', join(sdir, 'nolog'), '--utmp', join(sdir, 'utmp'), ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  return { child, log: () => err, exited };
}

/**
 * dk init (a subreaper) booted with these boot parameters and its shell on a
 * pty the test holds (test/fixtures/pty-driver.py with the steps given);
 * resolves with dk init's log and what the terminal showed once the boot
 * reached multi-user.target, then stops it.
 */
async function singleUserBoot(cmdline: string, extra: string[], steps: string[], during?: (ctl: (...a: string[]) => Result) => Promise<void>) {
  const { sdir, units } = unitsIn('single-', { 'rescue-needs.service': '[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n' });
  const pty = spawn('/usr/bin/python3', [fixture('pty-driver.py'), ...steps], { stdio: ['ignore', 'pipe', 'inherit'] });
  let screen = '';
  pty.stdout!.on('data', (b: Buffer) => (screen += b.toString()));
  const ptyDone = new Promise((r) => pty.once('exit', r));
  await until(() => screen.includes('\n'), 'the pty');
  const tty = screen.split('\n')[0];
  const sctl = join(sdir, 'state', 'control.sock');
  const { child, log: err, exited } = startInit(sdir, units, ['--cmdline', cmdline, '--console', tty, ...extra]);
  try {
    await until(() => / shell on | on \/dev\/pts/.test(err()), 'the console shell', 15000);
    const c = (...a: string[]) => dk(['initctl', '--control', sctl, ...a]);
    if (during) await during(c);
    await until(() => /multi-user\.target reached/.test(err()), 'the boot to go on to multi-user', 20000);
    const levels = dk(['runlevel', '--control', sctl]).out;
    child.kill('SIGTERM');
    await exited;
    await ptyDone;
    return { log: err(), screen, levels };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    pty.kill('SIGKILL');
  }
}

for (const cmdline of ['BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro single', 'systemd.unit=rescue.target'])
  test(`single-user boot (${cmdline}): rescue.target, then a root shell on the console; when it exits the boot goes on to multi-user`, async (t) => {
    if (!requirePeer(t, 'python3', 'python3')) return;
    let during = '';
    // the shell waits for the test to have looked (the flag file) before it exits
    const flag = join(dir, `single-checked-${cmdline.length}`);
    const steps = ['Control-D) to continue the boot.', 'echo hello-$((6*7))\\n', `@file:${flag}`, 'exit\\n'];
    const r = await singleUserBoot(cmdline, ['--no-password'], steps, async (c) => {
      const u = JSON.parse(c('--json', 'list').out) as { units: { name: string; state: string }[] };
      during = u.units
        .filter((x) => x.state === 'active')
        .map((x) => x.name)
        .sort()
        .join(' ');
      writeFileSync(flag, '');
    });
    assert.equal(during, 'rescue-needs.service rescue.target', 'in single-user mode only what rescue.target requires runs');
    assert.match(r.screen, /dk init: single-user mode\. Leave the shell/);
    assert.match(r.screen, /(\n|# )hello-42\r?\n/);
    assert.doesNotMatch(r.screen, /job control turned off/, "the console is the shell's controlling terminal");
    assert.match(r.log, /single-user shell exited 0: continuing to multi-user\.target/);
    assert.equal(r.levels, '1 3\n');
  });

test('emergency boot: the shell comes before any unit; the boot starts when it exits', async (t) => {
  if (!requirePeer(t, 'python3', 'python3')) return;
  const flag = join(dir, 'emergency-checked');
  let during = '';
  const r = await singleUserBoot(
    'emergency',
    ['--no-password'],
    ['Control-D) to continue the boot.', 'echo in-emergency\\n', `@file:${flag}`, 'exit\\n'],
    async (c) => {
      const u = JSON.parse(c('--json', 'list').out) as { units: { name: string; state: string }[] };
      during = u.units
        .filter((x) => x.state !== 'inactive')
        .map((x) => x.name)
        .join(' ');
      writeFileSync(flag, '');
    },
  );
  assert.equal(during, '', 'nothing was started before the emergency shell');
  assert.match(r.log, /emergency mode: (\/usr)?\/bin\/setsid --ctty \/bin\/sh -i on \/dev\/pts\/\d+/);
  assert.match(r.log, /emergency shell exited 0: continuing to multi-user\.target/);
});

test('single-user boot through sulogin: root locked (or a password asked), the console is told and the boot goes on', async (t) => {
  if (!requirePeer(t, 'python3', 'python3') || !requirePeer(t, 'sulogin', 'util-linux')) return;
  if (process.getuid?.() !== 0) return t.skip('sulogin runs as root only');
  // a locked root: sulogin says so and waits for Enter; one with a password: Control-D at its prompt goes on without a shell
  const r = await singleUserBoot('S', [], ['Press Enter to continue||Control-D to continue', '\\n||\\x04']);
  assert.match(r.log, /single-user mode: \/(usr\/)?sbin\/sulogin \/dev\/pts\/\d+ on /);
  assert.match(r.screen, /root account is locked|Give root password for maintenance/);
  assert.match(r.log, /single-user shell exited \d+: continuing to multi-user\.target/);
  assert.equal(r.levels, '1 3\n');
});

test('dk init as a subreaper: poweroff, halt and reboot stop everything and exit 0, 134 and 133', async () => {
  for (const [kind, status] of [
    ['poweroff', 0],
    ['halt', 134],
    ['reboot', 133],
  ] as const) {
    const sdir = mkdtempSync(join(dir, `sub-${kind}-`));
    const units = join(sdir, 'units');
    mkdirSync(units);
    writeFileSync(join(units, 'multi-user.target'), '[Unit]\n');
    writeFileSync(join(units, 'svc.service'), '[Service]\nExecStart=/bin/sleep 300\n[Install]\nWantedBy=multi-user.target\n');
    enableInstalled(units);
    const sctl = join(sdir, 'state', 'control.sock');
    const { child, log: err, exited } = startInit(sdir, units);
    try {
      await until(() => /multi-user\.target reached/.test(err()), 'boot');
      const pid = (JSON.parse(dk(['initctl', '--control', sctl, '--json', 'list']).out) as { units: { name: string; pid?: number }[] }).units.find(
        (x) => x.name === 'svc.service',
      )?.pid;
      // as dk halt, dk poweroff and dk reboot ask it
      assert.equal(dk([kind, '--control', sctl]).code, 0);
      assert.equal(await exited, status, err());
      assert.throws(() => process.kill(pid!, 0), 'the service was stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }
});
