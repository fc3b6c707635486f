// dk inetd against xinetd and openbsd-inetd (both from Debian packages,
// unpacked with apt-get download + dpkg -x: they conflict and must not start
// on the host). Everything runs inside a network namespace of its own
// (unshare -n as root; xinetd calls setgroups(2) before every service, which
// the user namespace of an unprivileged unshare -rn forbids, so only root can
// measure it), so echo can sit on its real port 7. Both peers link libwrap0,
// unpacked the same way. For internal echo and a spawned cat: connections per
// second, sequential and 50 at a time.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackedLibPath } from '../dist/test/helpers/peers.js';
import { unpackDebs } from './lib.mjs';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const SEQ = Number(process.env.INETD_BENCH_SEQ ?? 1500);
const CONC = Number(process.env.INETD_BENCH_CONC ?? 3000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function once(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    c.on('connect', () => c.write('ping\n'));
    c.on('data', (b) => {
      got += b;
      if (got === 'ping\n') c.end();
    });
    c.on('close', () => resolve(got === 'ping\n'));
    c.on('error', () => resolve(false));
  });
}

/** connections/s doing n in a row, or n with `width` in flight; failures counted */
async function rate(port, n, width) {
  let failed = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        next++;
        if (!(await once(port))) failed++;
      }
    }),
  );
  return { rate: n / ((performance.now() - t0) / 1000), failed };
}

async function waitPort(port, why) {
  for (let i = 0; i < 200; i++) {
    if (
      await new Promise((r) => {
        const c = net.connect(port, '127.0.0.1');
        c.on('connect', () => {
          c.destroy();
          r(true);
        });
        c.on('error', () => r(false));
      })
    )
      return;
    await sleep(25);
  }
  throw new Error(`nothing listens on ${port}${why ? `: ${why()}` : ''}`);
}

async function measure(name, start, dir) {
  const child = start(dir);
  let gone = '';
  child.on('exit', (code, sig) => (gone = `${name} exited early (${code ?? sig})`));
  child.on('error', (e) => (gone = `${name}: ${e.message}`));
  try {
    await waitPort(7, () => gone);
    await waitPort(17100, () => gone);
    await rate(7, 50, 5); // warm-up
    const out = {};
    for (const [label, port] of [
      ['echo', 7],
      ['cat', 17100],
    ]) {
      const seq = await rate(port, SEQ, 1);
      const conc = await rate(port, CONC, 50);
      out[label] = { seq, conc };
    }
    return out;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    console.error(`${name} done`);
  }
}

async function inside(dir) {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  writeFileSync(join(dir, 'inetd.conf'), 'echo stream tcp nowait root internal\n127.0.0.1:17100 stream tcp nowait root /bin/cat cat\n');
  writeFileSync(
    join(dir, 'xinetd.conf'),
    [
      'defaults\n{\n  instances = UNLIMITED\n  per_source = UNLIMITED\n  cps = 100000 1\n}',
      'service echo\n{\n  type = INTERNAL\n  socket_type = stream\n  protocol = tcp\n  wait = no\n  user = root\n  bind = 127.0.0.1\n}',
      'service catb\n{\n  type = UNLISTED\n  port = 17100\n  socket_type = stream\n  wait = no\n  user = root\n  server = /bin/cat\n  bind = 127.0.0.1\n}',
    ].join('\n'),
  );
  const results = {};
  results.ours = await measure(
    'dk inetd',
    (d) =>
      spawn(
        process.execPath,
        [DK, 'inetd', '-f', '--syslog-socket', join(d, 'nolog'), '--hosts-allow', '/dev/null', '--hosts-deny', '/dev/null', join(d, 'inetd.conf')],
        { stdio: 'ignore' },
      ),
    dir,
  );
  // both peers link libwrap, unpacked next to them
  const env = { ...process.env, LD_LIBRARY_PATH: unpackedLibPath(join(dir, 'x')) };
  results.xinetd = await measure(
    'xinetd',
    (d) =>
      spawn(join(d, 'x/usr/sbin/xinetd'), ['-dontfork', '-filelog', join(d, 'xinetd.log'), '-f', join(d, 'xinetd.conf'), '-pidfile', join(d, 'x.pid')], {
        stdio: 'ignore',
        env,
      }),
    dir,
  );
  results.openbsd = await measure(
    'openbsd-inetd',
    (d) =>
      spawn(join(d, 'x/usr/sbin/inetd'), ['-i', '-R', '1000000', join(d, 'inetd.conf')], {
        stdio: ['ignore', 'ignore', process.env.INETD_BENCH_DEBUG ? 'inherit' : 'ignore'],
        env,
      }),
    dir,
  );
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

export default async function () {
  const dir = mkdtempSync(join(tmpdir(), 'dk-bench-inetd-'));
  try {
    unpackDebs(dir, ['xinetd', 'openbsd-inetd', 'libwrap0'], 'usr/sbin/xinetd');
    if (process.getuid() !== 0) throw new Error('the inetd bench needs root: xinetd cannot start a service in an unprivileged user namespace');
    const r = spawnSync('unshare', ['-n', process.execPath, SELF, 'inside', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const res = JSON.parse(r.stdout.trim().split('\n').pop());
    const f = (x) => `${x.rate.toFixed(0)}/s${x.failed ? ` (${x.failed} failed)` : ''}`;
    for (const svc of ['echo', 'cat']) {
      for (const mode of ['seq', 'conc']) {
        const o = res.ours[svc][mode];
        const x = res.xinetd[svc][mode];
        const b = res.openbsd[svc][mode];
        console.log(
          `inetd ${svc === 'echo' ? 'internal echo' : 'spawned cat'} ${mode === 'seq' ? 'sequential' : '50 concurrent'}: ours ${f(o)}, peer xinetd ${f(x)}, openbsd-inetd ${f(b)}, ratio ${(o.rate / x.rate).toFixed(2)} (vs xinetd)`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'inside') await inside(process.argv[3]);
