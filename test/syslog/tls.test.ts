/**
 * RFC 5425 between two dk syslogd: a TLS listener with a certificate from a
 * test CA made here with openssl, a forwarder that trusts that CA (messages
 * arrive, acknowledged), one that trusts another CA (nothing is sent, the
 * reason is logged, the messages wait in the queue), and a listener that
 * asks for client certificates. Also `dk syslogd --stats` on the control socket.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dk, run } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { requirePeer, which } from '../helpers/peers.js';
import { startSyslogd, type RunningSyslogd } from '../helpers/syslogd.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-tls-'));
const f = (n: string) => join(dir, n);
const running: RunningSyslogd[] = [];

function openssl(...args: string[]): void {
  const r = run('openssl', args);
  assert.equal(r.code, 0, r.err);
}

/** A CA, and certificates it signs for the name and address given. */
function makeCa(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    f(`${name}.key`),
    '-out',
    f(`${name}.pem`),
  );
}
function makeCert(ca: string, name: string, san: string): void {
  writeFileSync(f(`${name}.ext`), `subjectAltName=${san}\n`);
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    f(`${name}.key`),
    '-out',
    f(`${name}.csr`),
  );
  openssl(
    'x509',
    '-req',
    '-in',
    f(`${name}.csr`),
    '-CA',
    f(`${ca}.pem`),
    '-CAkey',
    f(`${ca}.key`),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f(`${name}.ext`),
    '-out',
    f(`${name}.pem`),
  );
}

before(() => {
  if (!which('openssl')) return;
  makeCa('ca');
  makeCa('otherca');
  makeCert('ca', 'server', 'IP:127.0.0.1,DNS:localhost');
  makeCert('ca', 'client', 'DNS:client.test');
});

after(async () => {
  for (const d of running) await d.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function daemon(name: string, conf: string[], args: string[]): Promise<RunningSyslogd> {
  mkdirSync(f(name), { recursive: true });
  const d = await startSyslogd(f(name), conf, { args });
  running.push(d);
  return d;
}

const has = (file: string, text: string) => existsSync(file) && readFileSync(file, 'utf8').includes(text);

test('@@(tls): a trusted server gets the messages; an untrusted one gets nothing and the reason is logged', async (t) => {
  if (!requirePeer(t, 'openssl', 'openssl')) return;
  const loghost = await daemon(
    'loghost',
    [`*.* ${f('loghost.log')}`],
    ['--tls', '127.0.0.1:0', '--tls-cert', f('server.pem'), '--tls-key', f('server.key'), '--state-dir', f('loghost/state')],
  );
  const port = Number(/listening on tls [\d.]+:(\d+)/.exec(loghost.stderr())![1]);
  const good = await daemon('good', [`*.* @@(tls)127.0.0.1:${port}`], ['--tls-ca', f('ca.pem')]);
  const bad = await daemon('bad', [`*.* @@(tls)127.0.0.1:${port}`], ['--tls-ca', f('otherca.pem')]);
  assert.equal(dk(['logger', '-u', good.sock, '-t', 'secure', 'over tls, checked']).code, 0);
  assert.equal(dk(['logger', '-u', bad.sock, '-t', 'insecure', 'must not arrive']).code, 0);
  await until(() => has(f('loghost.log'), 'secure: over tls, checked'), 'the message over TLS');
  await until(() => /@@\(tls\)127\.0\.0\.1:\d+: .*(self.signed|unable to verify|certificate)/i.test(bad.stderr()), 'the certificate error logged');
  assert.match(await good.stats(), /action @@\(tls\)127\.0\.0\.1:\d+: written 1, dropped 0, queued 0/);
  assert.match(await bad.stats(), /action @@\(tls\)127\.0\.0\.1:\d+: written 0, dropped 0, queued 1/);
  assert.ok(!has(f('loghost.log'), 'must not arrive'));
  // the daemon's control socket answers dk syslogd --stats
  const st = dk(['syslogd', '--stats', '--state-dir', f('loghost/state')]);
  assert.equal(st.code, 0, st.err);
  assert.match(st.out, /input tls:127\.0\.0\.1:\d+: received 1,/);
});

test('a TLS listener with --tls-ca takes only clients with a certificate from that CA', async (t) => {
  if (!requirePeer(t, 'openssl', 'openssl')) return;
  const loghost = await daemon(
    'mutual',
    [`*.* ${f('mutual.log')}`],
    ['--tls', '127.0.0.1:0', '--tls-cert', f('server.pem'), '--tls-key', f('server.key'), '--tls-ca', f('ca.pem')],
  );
  const port = Number(/listening on tls [\d.]+:(\d+)/.exec(loghost.stderr())![1]);
  const withCert = await daemon(
    'withcert',
    [`*.* @@(tls)127.0.0.1:${port}`],
    ['--tls-ca', f('ca.pem'), '--tls-cert', f('client.pem'), '--tls-key', f('client.key')],
  );
  const without = await daemon('without', [`*.* @@(tls)127.0.0.1:${port}`], ['--tls-ca', f('ca.pem')]);
  assert.equal(dk(['logger', '-u', withCert.sock, '-t', 'mtls', 'client proved itself']).code, 0);
  assert.equal(dk(['logger', '-u', without.sock, '-t', 'anon', 'no client certificate']).code, 0);
  await until(() => has(f('mutual.log'), 'mtls: client proved itself'), 'the authenticated client');
  await until(() => /TLS client refused/.test(loghost.stderr()), 'the refusal logged');
  assert.ok(!has(f('mutual.log'), 'no client certificate'));
});
