/**
 * Readiness of descriptors libuv does not watch: one-shot callbacks, a set
 * changed from inside a callback, and nothing left blocked afterwards (a
 * poll left on a pool thread keeps a process from ever exiting).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from '../helpers/children.js';

const lib = (m: string) => fileURLToPath(new URL(`../../src/sys/${m}.js`, import.meta.url));

test('callbacks that watch again, two sockets at once, then close: every datagram seen once, and the process ends by itself', async () => {
  // a separate process, so that a poll left blocked shows as a process that never ends
  const script = `
    import { rawListen, dropDatagram, closeFd } from ${JSON.stringify(lib('rawsocket'))};
    import { Readiness } from ${JSON.stringify(lib('readiness'))};
    import * as dgram from 'node:dgram';
    const r = new Readiness();
    const socks = [rawListen({ type: 'dgram', host: '127.0.0.1' }), rawListen({ type: 'dgram', host: '127.0.0.1' })];
    const seen = [0, 0];
    const out = dgram.createSocket('udp4');
    const send = (i) => out.send('x', socks[i].port, '127.0.0.1');
    socks.forEach((s, i) => {
      const ready = () => {
        dropDatagram(s.fd);
        if (++seen[i] < 25) {
          r.watch(s.fd, ready);
          send(i);
        } else if (seen[0] >= 25 && seen[1] >= 25) {
          r.close();
          socks.forEach((x) => closeFd(x.fd));
          out.close();
          console.log(JSON.stringify(seen));
        }
      };
      r.watch(s.fd, ready);
      send(i);
    });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  try {
    await until(() => child.exitCode !== null, 'the process to end by itself');
    assert.equal(child.exitCode, 0);
    assert.equal(out.trim(), '[25,25]');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
