/**
 * Interop with Debian's rsyslogd, both directions, on loopback with private
 * configs: rsyslogd forwards what util-linux logger gave it to dk syslogd
 * (TCP with LF framing, TCP octet-counted RFC 5424, UDP), and dk syslogd
 * forwards to rsyslogd's imtcp (traditional and RFC 5424), which writes the
 * fields it parsed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DK, dk, run } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { requirePeer } from '../helpers/peers.js';
import { startRsyslogd, type RunningRsyslogd } from '../helpers/rsyslogd.js';
import { startSyslogd, type RunningSyslogd } from '../helpers/syslogd.js';

const RSYSLOGD = '/usr/sbin/rsyslogd';
const root = mkdtempSync(join(tmpdir(), 'dk-rsyslog-'));
const host = hostname().split('.')[0];
const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);
const stops: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const s of stops.reverse()) await s();
  if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
});

function peer(t: import('node:test').TestContext): boolean {
  return !!requirePeer(t, 'rsyslogd', 'rsyslog') && !!requirePeer(t, 'logger', 'bsdutils');
}

describe('rsyslogd -> dk syslogd', () => {
  const dir = join(root, 'in');
  let dkd: RunningSyslogd | undefined;
  let rs: RunningRsyslogd | undefined;
  before(async () => {
    mkdirSync(dir);
    if (!existsSync(RSYSLOGD)) return;
    dkd = await startSyslogd(dir, [`*.* ${join(dir, 'got.json')};json`], { tcp: true, udp: true });
    stops.push(() => dkd!.stop());
    const fwd = (extra: string) => `action(type="omfwd" target="127.0.0.1" ${extra})`;
    rs = await startRsyslogd(
      RSYSLOGD,
      dir,
      [
        'input(type="imuxsock" Socket="%DIR%/rsock")',
        `local0.* ${fwd(`port="${dkd.tcpPort}" protocol="tcp"`)}`,
        `local1.* ${fwd(`port="${dkd.tcpPort}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"`)}`,
        `local2.* ${fwd(`port="${dkd.udpPort}" protocol="udp"`)}`,
      ].join('\n'),
    );
    stops.push(() => rs!.stop());
  });

  test('every framing and format arrives with facility, level, tag, pid and text', async (t) => {
    if (!peer(t)) return;
    const sock = join(dir, 'rsock');
    const send = (args: string[]) => assert.equal(run('logger', ['-u', sock, ...args]).code, 0);
    send(['-p', 'local0.warning', '-t', 'lf-app', '-i', 'over tcp, LF framed']);
    send(['-p', 'local1.err', '-t', 'oc-app', '-i', 'over tcp, octet counted, RFC 5424']);
    send(['-p', 'local2.info', '-t', 'udp-app', '-i', 'over udp']);
    // a burst over the octet-counted connection: all of it, in order
    const burst = run('sh', ['-c', `seq 1 2000 | sed 's/^/burst line /' | logger -u "${sock}" -p local1.notice -t burst`]);
    assert.equal(burst.code, 0, burst.err);
    const got = () => lines(join(dir, 'got.json')).map((l) => JSON.parse(l) as Record<string, string>);
    await until(
      () => got().filter((m) => m.app === 'burst').length === 2000 && got().some((m) => m.app === 'udp-app') && got().some((m) => m.app === 'lf-app'),
      'all messages from rsyslogd',
      30000,
    );
    const one = (app: string) => got().find((m) => m.app === app)!;
    for (const [app, facility, severity, text] of [
      ['lf-app', 'local0', 'warning', 'over tcp, LF framed'],
      ['oc-app', 'local1', 'err', 'over tcp, octet counted, RFC 5424'],
      ['udp-app', 'local2', 'info', 'over udp'],
    ]) {
      const m = one(app);
      assert.deepEqual([m.facility, m.severity, m.host, m.msg.trim()], [facility, severity, host, text], JSON.stringify(m));
      assert.match(String(m.procId), /^\d+$/, JSON.stringify(m));
    }
    const order = got()
      .filter((m) => m.app === 'burst')
      .map((m) => Number(/burst line (\d+)/.exec(m.msg)![1]));
    assert.deepEqual(
      order,
      Array.from({ length: 2000 }, (_, i) => i + 1),
    );
  });
});

describe('dk syslogd -> rsyslogd', () => {
  const dir = join(root, 'out');
  let dkd: RunningSyslogd | undefined;
  before(async () => {
    mkdirSync(dir);
    if (!existsSync(RSYSLOGD)) return;
    const rs = await startRsyslogd(
      RSYSLOGD,
      dir,
      [
        'module(load="imtcp")',
        'input(type="imtcp" port="0" listenPortFileName="%DIR%/rsyslog-tcp.port")',
        'template(name="fields" type="string" string="%syslogfacility-text%.%syslogseverity-text% host=%hostname% tag=%programname% pid=%procid% msgid=%msgid% msg=%msg%\\n")',
        '*.* action(type="omfile" file="%DIR%/fields" template="fields")',
      ].join('\n'),
    );
    stops.push(() => rs.stop());
    dkd = await startSyslogd(dir, [`local3.* @@127.0.0.1:${rs.tcpPort}`, `local4.* @@127.0.0.1:${rs.tcpPort};rfc5424`]);
    stops.push(() => dkd!.stop());
  });

  test('rsyslogd parses what dk forwards (RFC 3164 and RFC 5424, octet counted), nothing lost', async (t) => {
    if (!peer(t)) return;
    const sock = dkd!.sock;
    assert.equal(dk(['logger', '-u', sock, '-p', 'local3.err', '-t', 'dkapp', '--id=4242', 'traditional to rsyslog']).code, 0);
    assert.equal(dk(['logger', '-u', sock, '-p', 'local4.notice', '-t', 'dk5424', '--id=77', '--msgid', 'ID9', '--rfc5424', 'structured to rsyslog']).code, 0);
    const burst = run('sh', ['-c', `seq 1 2000 | sed 's/^/forwarded /' | "${process.execPath}" "${DK}" logger -u "${sock}" -p local3.info -t fwd`]);
    assert.equal(burst.code, 0, burst.err);
    const file = join(dir, 'fields');
    await until(
      () => lines(file).filter((l) => l.includes('tag=fwd ')).length === 2000 && lines(file).some((l) => l.includes('dk5424')),
      'all messages at rsyslogd',
      30000,
    );
    const all = lines(file);
    assert.equal(
      all.find((l) => l.includes('tag=dkapp ')),
      `local3.err host=${host} tag=dkapp pid=4242 msgid=- msg= traditional to rsyslog`,
    );
    assert.equal(
      all.find((l) => l.includes('tag=dk5424 ')),
      `local4.notice host=${host} tag=dk5424 pid=77 msgid=ID9 msg=structured to rsyslog`,
    );
    const order = all.filter((l) => l.includes('tag=fwd ')).map((l) => Number(/forwarded (\d+)$/.exec(l)![1]));
    assert.deepEqual(
      order,
      Array.from({ length: 2000 }, (_, i) => i + 1),
    );
  });
});
