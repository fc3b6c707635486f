/**
 * Forwarding that loses nothing: the frame queue (memory, disk segments,
 * saved and resumed, bounded), and two real dk syslogd processes, a sender
 * with a state directory and a LOGHOST with the SQLite store: the LOGHOST is
 * SIGKILLed in the middle of a stream and started again, the sender is
 * restarted with messages still queued; afterwards every message is there.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { FrameQueue } from '../../src/syslog/forward/queue.js';
import { octetFrame } from '../../src/syslog/protocol/framing.js';
import { SqliteStore } from '../../src/logstore/sqlite.js';
import { DK, run } from '../helpers/dk.js';
import { until } from '../helpers/children.js';
import { startSyslogd, type RunningSyslogd } from '../helpers/syslogd.js';
import { freePort } from '../helpers/ports.js';
import { sleep } from '../helpers/lab.js';

const frame = (i: number) => octetFrame(`<13>Nov 25 12:00:00 h q: ${i} ${'p'.repeat(i % 50)}`);
const num = (b: Buffer) => Number(/q: (\d+)/.exec(b.toString())![1]);

describe('frame queue', () => {
  test('any interleaving of push, shift, unshift and save/reopen keeps the order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.nat(40).map((n) => ['push', n] as const),
            fc.nat(3000).map((n) => ['shift', n] as const),
            fc.constant(['requeue', 0] as const),
            fc.constant(['restart', 0] as const),
          ),
          { maxLength: 40 },
        ),
        (ops) => {
          const dir = mkdtempSync(join(tmpdir(), 'dk-queue-'));
          try {
            const open = () => new FrameQueue({ dir, memBytes: 500, maxBytes: 1 << 30 });
            let q = open();
            let next = 0;
            const expected: number[] = [];
            const taken: number[] = [];
            let last: Buffer[] = [];
            for (const [op, n] of ops) {
              if (op === 'push') {
                const fs = Array.from({ length: n }, () => frame(next++));
                q.push(fs);
                expected.push(...fs.map(num));
              } else if (op === 'shift') {
                last = q.shift(n);
                taken.push(...last.map(num));
              } else if (op === 'requeue') {
                // sent, not acknowledged, connection lost: back to the front
                q.unshift(last);
                taken.splice(taken.length - last.length, last.length);
                last = [];
              } else {
                q.save();
                q = open();
                last = [];
              }
            }
            while (q.length) taken.push(...q.shift(1000).map(num));
            assert.deepEqual(taken, expected);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  test('spills to disk past the memory limit, drops the oldest past the bound', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dk-queue-'));
    try {
      const q = new FrameQueue({ dir, memBytes: 1000, maxBytes: 20_000, segmentBytes: 2000 });
      for (let i = 0; i < 400; i += 10) q.push(Array.from({ length: 10 }, (_, k) => frame(i + k)));
      assert.ok(q.diskBytes > 0 && readdirSync(dir).some((f) => f.endsWith('.seg')));
      assert.ok(q.dropped > 0 && q.memBytesUsed + q.diskBytes <= 20_000, `${q.dropped} dropped`);
      // what is left starts where the drops ended, and runs to the last one pushed
      const left: number[] = [];
      while (q.length) left.push(...q.shift(1000).map(num));
      assert.deepEqual(
        left,
        Array.from({ length: 400 - q.dropped }, (_, i) => q.dropped + i),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function rows(db: string): { total: number; distinct: Set<number> } {
  const distinct = new Set<number>();
  let total = 0;
  if (!existsSync(db)) return { total, distinct };
  const s = new SqliteStore(db, { readonly: true });
  try {
    for (const r of s.select({ apps: ['stream'] })) {
      total++;
      distinct.add(Number(r.msg));
    }
  } finally {
    s.close();
  }
  return { total, distinct };
}

test('the acknowledgement request is recognised exactly, ACK lines parsed', async () => {
  const { ACK_REQUEST, ACK_REQUEST_TEXT, isAckRequest, parseAcks } = await import('../../src/syslog/forward/ack.js');
  const b = Buffer.concat([Buffer.from('xx'), ACK_REQUEST]);
  const start = 2 + ACK_REQUEST.indexOf(' ') + 1;
  assert.ok(isAckRequest(b, start, b.length));
  assert.ok(!isAckRequest(Buffer.from(ACK_REQUEST_TEXT.replace('DKACK', 'DKACX')), 0, ACK_REQUEST_TEXT.length));
  assert.deepEqual(parseAcks('ACK 5\nACK 12\nAC'), { last: 12, rest: 'AC' });
  assert.deepEqual(parseAcks('junk\n'), { last: undefined, rest: '' });
});

describe('sender -> LOGHOST', () => {
  test('LOGHOST killed mid-stream and restarted, sender restarted with a queue: every message arrives', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dk-forward-'));
    const port = await freePort();
    const hostDir = join(root, 'loghost');
    const sendDir = join(root, 'sender');
    const db = join(hostDir, 'store.db');
    for (const d of [hostDir, sendDir]) rmSync(d, { recursive: true, force: true });
    const startLoghost = async () => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(hostDir, { recursive: true });
      return startSyslogd(hostDir, [], { args: ['--tcp', `127.0.0.1:${port}`, '--db', db] });
    };
    const startSender = async () => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(sendDir, { recursive: true });
      return startSyslogd(sendDir, [`*.* @@127.0.0.1:${port}`], { args: ['--state-dir', join(sendDir, 'state')] });
    };
    const send = (s: RunningSyslogd, from: number, to: number) => {
      const r = run('sh', ['-c', `seq ${from} ${to} | "${process.execPath}" "${DK}" logger -u "${s.sock}" -t stream`]);
      assert.equal(r.code, 0, r.err);
    };
    let loghost = await startLoghost();
    let sender = await startSender();
    try {
      send(sender, 1, 10000);
      await until(() => rows(db).distinct.size === 10000, 'the first 10000 at the LOGHOST');
      // the LOGHOST stops reading: what comes next sits in its socket buffer, unacknowledged,
      // and dies with it; only the sender's resend can bring it
      loghost.child.kill('SIGSTOP');
      send(sender, 10001, 15000);
      await sender.statsUntil((st) => /queued [1-9]/.test(st), 'the sender holding unacknowledged messages');
      loghost.child.kill('SIGKILL');
      await new Promise((r) => loghost.child.once('exit', r));
      send(sender, 15001, 20000);
      // the sender is restarted while the LOGHOST is away: its queue goes to disk and comes back
      assert.equal(await sender.stop(), 0);
      assert.ok(
        readdirSync(join(sendDir, 'state', 'queues', `127.0.0.1_${port}`)).some((f) => f.endsWith('.seg')),
        'a saved queue',
      );
      sender = await startSender();
      send(sender, 20001, 25000);
      loghost = await startLoghost();
      await until(() => rows(db).distinct.size === 25000, 'all 25000 at the LOGHOST', 60000).catch(async (e) => {
        throw new Error(`${(e as Error).message}: have ${rows(db).distinct.size}\n${await sender.stats()}`);
      });
      const { total, distinct } = rows(db);
      for (let i = 1; i <= 25000; i++) if (!distinct.has(i)) assert.fail(`message ${i} lost`);
      // at-least-once: what was in flight when the LOGHOST died may come twice, and is counted
      const duplicates = total - distinct.size;
      assert.ok(duplicates >= 0);
      const stats = await sender.stats();
      assert.match(stats, /action @@127\.0\.0\.1:\d+: written \d+, dropped 0, queued 0, on disk 0 bytes, retries \d+/, stats);
      writeFileSync(join(root, 'duplicates'), `${duplicates}\n`);
    } finally {
      await sender.stop();
      await loghost.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/** a TCP connection to 127.0.0.1:port is established (the kernel's own table: the listener may be stopped) */
const connectedTo = (port: number): boolean =>
  readFileSync('/proc/net/tcp', 'latin1')
    .split('\n')
    .some((l) => {
      const f = l.trim().split(/\s+/);
      return f[2] === `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}` && f[3] === '01';
    });

/** A LOGHOST with the store (extra: more of its arguments) and a sender forwarding @@ to it, in a temp dir of their own. */
async function loghostAndSender(prefix: string, extra: string[] = []) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const port = await freePort();
  const db = join(root, 'loghost', 'store.db');
  for (const d of ['loghost', 'sender']) mkdirSync(join(root, d));
  const startLoghost = (more: string[] = []) => startSyslogd(join(root, 'loghost'), [], { args: ['--tcp', `127.0.0.1:${port}`, '--db', db, ...more] });
  const loghost = await startLoghost(extra);
  const sender = await startSyslogd(join(root, 'sender'), [`*.* @@127.0.0.1:${port}`], { args: ['--state-dir', join(root, 'sender', 'state')] });
  const send = (from: number, to: number) => {
    const r = run('sh', ['-c', `seq ${from} ${to} | "${process.execPath}" "${DK}" logger -u "${sender.sock}" -t stream`]);
    assert.equal(r.code, 0, r.err);
  };
  return { root, port, db, startLoghost, loghost, sender, send };
}

test('a LOGHOST that acknowledged before, back but silent past the 3 s wait (stopped), then killed: nothing is lost', async () => {
  const { root, port, db, startLoghost, sender, send, ...first } = await loghostAndSender('dk-acksilent-');
  let loghost = first.loghost;
  try {
    send(1, 20);
    await until(() => rows(db).distinct.size === 20, 'the first 20, acknowledged');
    await sender.statsUntil((st) => /queued 0,/.test(st), 'the first 20 acknowledged');
    loghost.child.kill('SIGKILL');
    await new Promise((res) => loghost.child.once('exit', res));
    send(21, 50);
    // back, and stopped as soon as it listens: the kernel accepts the sender's reconnect and takes its
    // bytes, but nobody reads them or answers (a LOGHOST far behind, or hung)
    loghost = await startLoghost();
    loghost.child.kill('SIGSTOP');
    await until(() => connectedTo(port), 'the sender to reconnect');
    await sleep(3500);
    assert.match(await sender.stats(), /queued 30,/, 'the 30 sent to the silent LOGHOST are still held');
    loghost.child.kill('SIGKILL');
    await new Promise((res) => loghost.child.once('exit', res));
    loghost = await startLoghost();
    await until(() => rows(db).distinct.size === 50, 'all 50', 30000);
  } finally {
    loghost.child.kill('SIGCONT');
    await sender.stop();
    await loghost.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a LOGHOST acknowledges only what its store committed: killed before the commit, nothing is lost', async () => {
  // a transaction only every minute: what arrives now stays uncommitted
  const { root, db, startLoghost, sender, send, ...first } = await loghostAndSender('dk-ackcommit-', ['--db-delay', '60000']);
  let loghost = first.loghost;
  try {
    send(1, 50);
    await loghost.statsUntil((st) => /: received 50,/.test(st), 'the 50 at the LOGHOST, not yet committed');
    // past the 3 s a sender waits for a first ACK from a peer that may never send one: the LOGHOST's
    // ACK 0 told it that this one does, so the 50 are still held
    await sleep(3500);
    assert.match(await sender.stats(), /queued 50,/);
    loghost.child.kill('SIGKILL');
    await new Promise((res) => loghost.child.once('exit', res));
    assert.equal(rows(db).distinct.size, 0);
    loghost = await startLoghost();
    await until(() => rows(db).distinct.size === 50, 'the 50 sent again and committed', 30000);
  } finally {
    await sender.stop();
    await loghost.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
