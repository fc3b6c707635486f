/**
 * Flow control: a forwarding destination that stops reading must slow the
 * TCP sender down (the daemon stops reading its input), never make the
 * daemon drop messages or grow without bound; once the destination reads
 * again every message arrives, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameDecoder, octetFrame } from '../../src/syslog/protocol/framing.js';
import { ACK_REQUEST_TEXT } from '../../src/syslog/forward/ack.js';
import { until } from '../helpers/children.js';
import { startSyslogd } from '../helpers/syslogd.js';

test('a stalled @@ destination pauses the TCP input; nothing is lost and memory stays bounded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-flow-'));
  // the destination: accepts, then does not read until told to
  let conn: net.Socket | undefined;
  const got: number[] = [];
  const dec = new FrameDecoder(8192);
  const sink = net.createServer((c) => {
    conn = c;
    c.pause();
    c.on('data', (d) => {
      for (const f of dec.push(d)) {
        const text = f.data.toString();
        // the forwarder's first frame asks for acknowledgements, which this plain sink never gives
        if (text === ACK_REQUEST_TEXT) continue;
        got.push(Number(/flow: (\d+) /.exec(text)?.[1] ?? -1));
      }
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const sinkPort = (sink.address() as net.AddressInfo).port;
  const d = await startSyslogd(dir, [`*.* @@127.0.0.1:${sinkPort}`], { tcp: true });
  const sender = net.connect(d.tcpPort!, '127.0.0.1');
  try {
    await until(() => conn !== undefined, 'the daemon to connect to the destination');
    // 300k messages of ~130 bytes: ~40 MB, far more than every kernel buffer on the way
    const N = 300_000;
    const pad = 'x'.repeat(80);
    const frames: Buffer[] = [];
    for (let i = 0; i < N; i++) frames.push(octetFrame(`<13>Nov 25 12:00:00 h flow: ${i} ${pad}`));
    const all = Buffer.concat(frames);
    const finished = new Promise<void>((r) => sender.end(all, () => r()));

    // the daemon says it paused its inputs while it had not taken everything
    const stats = await d.statsUntil((s) => /inputs paused [1-9]\d* times \(paused now\)/.test(s), 'flow control to engage');
    const received = Number(/input tcp:[^:]+:\d+: received (\d+)/.exec(stats)![1]);
    assert.ok(received < N, `the daemon took ${received} of ${N} while its destination was stalled`);
    const peakWhileStalled = d.peakRssKiB();

    conn!.resume();
    await until(() => got.length >= N, `all ${N} messages at the destination`, 60000).catch(async (e) => {
      throw new Error(`${(e as Error).message}: have ${got.length}\n${await d.stats()}`);
    });
    await finished;
    for (let i = 0; i < N; i++) if (got[i] !== i) assert.fail(`message ${i} arrived as ${got[i]}`);
    const end = await d.stats();
    assert.match(end, new RegExp(`input tcp:[^\\n]*: received ${N},`));
    assert.match(end, /action [^\n]*: written 300000, dropped 0/);
    // bounded: the daemon held a few MiB of backlog, not the 40 MB its sender pushed
    assert.ok(peakWhileStalled < 160 * 1024, `peak RSS ${peakWhileStalled} KiB`);
  } finally {
    sender.destroy();
    await d.stop();
    sink.close();
    conn?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
