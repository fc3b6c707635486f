/**
 * dk syslogd as a real process: util-linux logger and dk logger over the
 * unix socket, UDP and TCP; routing by syslog.conf; SIGHUP, SIGTERM, --check.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DK, dk, ENV, run } from '../helpers/dk.js';
import { requirePeer, which } from '../helpers/peers.js';
import { killAll, until } from '../helpers/children.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-syslogd-'));
const sock = join(dir, 'log');
const conf = join(dir, 'syslog.conf');
const f = (name: string) => join(dir, name);
const read = (name: string) => (existsSync(f(name)) ? readFileSync(f(name), 'utf8') : '');
let daemon: ChildProcess;
let stderr = '';
let udpPort = 0;
let tcpPort = 0;

before(async () => {
  writeFileSync(
    conf,
    [
      '# the seed example, pointed at our directory',
      `*.info;mail.none;authpriv.none;cron.none ${f('messages')}`,
      `authpriv.* ${f('secure')}`,
      `mail.* -${f('maillog')}`,
      `cron.* ${f('cron')}`,
      `uucp,news.crit ${f('spooler')}`,
      `local7.* ${f('boot.log')}`,
      `local5.* ${f('five.json')};json`,
      '',
    ].join('\n'),
  );
  daemon = spawn(process.execPath, [DK, 'syslogd', '-n', '-f', conf, '-p', sock, '--udp', '127.0.0.1:0', '--tcp', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: ENV,
  });
  daemon.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await until(() => /listening on tcp/.test(stderr), 'the daemon to listen');
  udpPort = Number(/listening on udp [\d.]+:(\d+)/.exec(stderr)![1]);
  tcpPort = Number(/listening on tcp [\d.]+:(\d+)/.exec(stderr)![1]);
});

after(() => {
  killAll([daemon.pid!]);
  rmSync(dir, { recursive: true, force: true });
});

const lineOf = (file: string, text: string) =>
  read(file)
    .split('\n')
    .find((l) => l.includes(text));

describe('dk syslogd', () => {
  test('util-linux logger over the unix socket, UDP, TCP (octet counting) and RFC 5424', async (t) => {
    if (!requirePeer(t, 'logger', 'bsdutils')) return;
    const cases: [string[], string, string][] = [
      [['-u', sock, '-t', 'unixtag', '-i', 'over the local socket'], 'messages', 'over the local socket'],
      [['-u', sock, '-p', 'mail.err', '-t', 'postfix', 'mail goes to maillog'], 'maillog', 'mail goes to maillog'],
      [['-u', sock, '-p', 'authpriv.notice', '-t', 'sshd', 'secret stuff'], 'secure', 'secret stuff'],
      [['-n', '127.0.0.1', '-P', String(udpPort), '-d', '-t', 'udptag', 'over udp'], 'messages', 'over udp'],
      [['-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--octet-count', '-t', 'tcptag', 'over tcp'], 'messages', 'over tcp'],
      [
        ['-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--rfc5424', '-p', 'local7.warning', '-t', 'boot', 'five four two four'],
        'boot.log',
        'five four two four',
      ],
      [['-u', sock, '-p', 'news.crit', '-t', 'inn', 'news critical'], 'spooler', 'news critical'],
    ];
    for (const [args, file, text] of cases) {
      const r = run('logger', args);
      assert.equal(r.code, 0, r.err);
      await until(() => lineOf(file, text) !== undefined, `"${text}" in ${file}`);
    }
    assert.match(lineOf('messages', 'over the local socket')!, /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ unixtag\[\d+\]: over the local socket$/);
    assert.match(lineOf('messages', 'over tcp')!, / tcptag: over tcp$/);
    // mail and authpriv do not reach messages; news.crit also lands there (*.info)
    assert.equal(lineOf('messages', 'mail goes to maillog'), undefined);
    assert.equal(lineOf('messages', 'secret stuff'), undefined);
    assert.ok(lineOf('messages', 'news critical'));
  });

  test('dk logger: local socket, stdin lines, TCP RFC 5424 with structured data into a JSON file', async () => {
    assert.equal(dk(['logger', '-u', sock, '-t', 'dkl', '-i', 'dk logger local']).code, 0);
    const piped = run('sh', ['-c', `printf 'first\\nsecond\\n' | "${process.execPath}" "${DK}" logger -u "${sock}" -t piped`]);
    assert.equal(piped.code, 0, piped.err);
    assert.equal(
      dk([
        'logger',
        '-n',
        '127.0.0.1',
        '-P',
        String(tcpPort),
        '-T',
        '-p',
        'local5.err',
        '-t',
        'js',
        '--msgid',
        'M9',
        '--sd-id',
        'ex@1',
        '--sd-param',
        'k="v]"',
        'json line',
      ]).code,
      0,
    );
    await until(() => !!lineOf('messages', 'dk logger local') && !!lineOf('messages', 'piped: second') && read('five.json').includes('json line'), 'all three');
    const j = JSON.parse(read('five.json').trim().split('\n').pop()!);
    assert.deepEqual([j.facility, j.severity, j.app, j.msgId, j.structuredData[0].params[0]], ['local5', 'err', 'js', 'M9', ['k', 'v]']]);
  });

  test('glibc syslog(3) from python3, with our socket over /dev/log in a private mount namespace', async (t) => {
    if (!requirePeer(t, 'unshare', 'util-linux') || !requirePeer(t, 'python3', 'python3')) return;
    const py = 'import syslog; syslog.openlog("pyapp", syslog.LOG_PID, syslog.LOG_DAEMON); syslog.syslog(syslog.LOG_WARNING, "from glibc syslog")';
    const r = run('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs none /dev && ln -s ${sock} /dev/log && python3 -c '${py}'`]);
    if (r.code !== 0 && /Operation not permitted|cannot/.test(r.err) && process.env.CI !== 'true') return t.skip(`no user namespaces here: ${r.err.trim()}`);
    assert.equal(r.code, 0, r.err);
    await until(() => !!lineOf('messages', 'from glibc syslog'), 'the glibc message');
    assert.match(lineOf('messages', 'from glibc syslog')!, / pyapp\[\d+\]: from glibc syslog$/);
  });

  test('the Node client: syslog(3) semantics, never throws, reaches the daemon', async () => {
    const name = 'daemonkit/syslog';
    const c = (await import(name)) as typeof import('../../src/syslog/client.js');
    c.openlog('nodeapp', c.LOG_PID | c.LOG_NDELAY, c.LOG_LOCAL3, sock);
    c.setlogmask(c.LOG_UPTO(c.LOG_INFO));
    c.syslog(c.LOG_INFO, 'client info');
    c.syslog(c.LOG_DEBUG, 'client debug is masked');
    c.syslog(c.LOG_ERR | c.LOG_MAIL, 'client to mail');
    c.closelog();
    await until(() => !!lineOf('messages', 'client info') && !!lineOf('maillog', 'client to mail'), 'both client messages');
    assert.match(lineOf('messages', 'client info')!, new RegExp(` nodeapp\\[${process.pid}\\]: client info$`));
    assert.equal(lineOf('messages', 'client debug'), undefined);
    // no daemon at all: nothing thrown, the message waits in the buffer
    const lonely = new c.SyslogClient({ path: join(dir, 'nobody-listens'), buffer: 2 });
    for (let i = 0; i < 5; i++) lonely.syslog(c.LOG_ERR, `lost ${i}`);
    assert.equal(lonely.dropped, 3);
    lonely.closelog();
  });

  test('repeated messages are folded', async () => {
    for (let i = 0; i < 4; i++) dk(['logger', '-u', sock, '-t', 'rep', 'the same again']);
    dk(['logger', '-u', sock, '-t', 'rep', 'something else']);
    await until(() => !!lineOf('messages', 'something else'), 'the next message');
    const text = read('messages');
    assert.equal(text.split('\n').filter((l) => l.endsWith('rep: the same again')).length, 1);
    assert.match(text, /last message repeated 3 times/);
  });

  test('SIGHUP reopens rotated files; a config with an error is refused whole, a good one applied; SIGUSR1 prints statistics', async () => {
    renameSync(f('messages'), f('messages.1'));
    const good = readFileSync(conf, 'utf8');
    writeFileSync(conf, `${good}local3.* ${f('local3')}\nthis line is wrong\n`);
    daemon.kill('SIGHUP');
    await until(
      () => /syslog\.conf:\d+:1: selector 'this' has no '\.'/.test(stderr) && /reload refused/.test(stderr),
      'the bad line reported as file:line:col, the reload refused',
    );
    dk(['logger', '-u', sock, '-p', 'local3.info', '-t', 'l3', 'before the fix']);
    // the rotated file was reopened all the same; the new rule did not come in
    await until(() => !!lineOf('messages', 'before the fix'), 'the message in the new messages file');
    assert.ok(!existsSync(f('local3')));
    writeFileSync(conf, `${good}local3.* ${f('local3')}\n`);
    daemon.kill('SIGHUP');
    await until(() => /dk syslogd: reloaded/.test(stderr), 'the good configuration applied');
    dk(['logger', '-u', sock, '-p', 'local3.info', '-t', 'l3', 'after reload']);
    await until(() => !!lineOf('local3', 'after reload') && !!lineOf('messages', 'after reload'), 'new rule and new messages file');
    daemon.kill('SIGUSR1');
    await until(() => /input unix:.*received \d+/.test(stderr) && /written \d+, dropped 0/.test(stderr), 'statistics');
  });

  test('SIGTERM writes everything accepted, then exits 0 and removes its socket', async () => {
    const burst = run('sh', ['-c', `seq 0 199 | sed 's/^/message /' | "${process.execPath}" "${DK}" logger -u "${sock}" -t burst`]);
    assert.equal(burst.code, 0, burst.err);
    daemon.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => daemon.once('exit', (c) => res(c)));
    assert.equal(code, 0);
    const got = read('messages')
      .split('\n')
      .filter((l) => / burst: message \d+$/.test(l)).length;
    assert.equal(got, 200);
    assert.ok(!existsSync(sock));
  });

  test('--check reports file:line:col and exits 1; a good file exits 0', () => {
    writeFileSync(f('bad.conf'), 'mail.info /ok\nmial.info /x\n');
    const bad = dk(['syslogd', '--check', '-f', f('bad.conf')]);
    assert.equal(bad.code, 1);
    assert.equal(bad.err, `${f('bad.conf')}:2:1: unknown facility 'mial'\n`);
    writeFileSync(f('good.conf'), 'mail.info /ok\n');
    assert.equal(dk(['syslogd', '--check', '-f', f('good.conf')]).code, 0);
    assert.ok(which('logger') !== undefined || process.env.CI !== 'true');
  });
});
