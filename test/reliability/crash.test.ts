/**
 * Crashes (issue 15): a LOGHOST dk syslogd with the SQLite store is
 * SIGKILLed at random points (seeded) five times while a forwarding dk
 * syslogd streams 100,000 messages to it, and started again on the same
 * port each time. The forwarder resends what was not acknowledged, and a
 * LOGHOST acknowledges only what its store committed, so every message is
 * in the store at the end; what was in flight at a kill may be there twice,
 * and the count of those is reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as net from 'node:net';
import fc from 'fast-check';
import { SqliteStore } from '../../src/logstore/sqlite.js';
import { until } from '../helpers/children.js';
import { figure } from '../helpers/figures.js';
import { lab, sleep } from '../helpers/lab.js';
import { freePort } from '../helpers/ports.js';
import { startSyslogd, type RunningSyslogd } from '../helpers/syslogd.js';

const { f, children } = lab('dk-crash-');
/** 100,000; the soak bench sends more (DK_CRASH_MESSAGES) */
const TOTAL = Number(process.env.DK_CRASH_MESSAGES) || 100_000;

function stored(db: string): { total: number; distinct: number } {
  const s = new SqliteStore(db, { readonly: true });
  try {
    const seen = new Uint8Array(TOTAL);
    let total = 0;
    let distinct = 0;
    for (const r of s.select({ apps: ['load'] })) {
      total++;
      const n = Number(r.msg);
      if (!seen[n]++) distinct++;
    }
    return { total, distinct };
  } catch {
    return { total: 0, distinct: 0 };
  } finally {
    s.close();
  }
}

test('LOGHOST SIGKILLed 5 times at random points under a 100k-message stream from a forwarder: every message stored, duplicates counted', async (t) => {
  const seed = Number(process.env.DK_FUZZ_SEED) || Date.now() % 100_000;
  const delays = fc.sample(fc.integer({ min: 150, max: 900 }), { numRuns: 5, seed });
  const port = await freePort();
  const db = f('loghost/store.db');
  mkdirSync(f('loghost'));
  mkdirSync(f('sender'));
  const startLoghost = async () => {
    const h = await startSyslogd(f('loghost'), [], { args: ['--tcp', `127.0.0.1:${port}`, '--db', db, '--control', f('loghost/ctl')] });
    children.push(h.child);
    return h;
  };
  let loghost: RunningSyslogd = await startLoghost();
  const sender = await startSyslogd(f('sender'), [`*.* @@127.0.0.1:${port}`], { tcp: true, args: ['--state-dir', f('sender/state')] });
  children.push(sender.child);
  // the stream: 100k lines over TCP into the forwarder, written as fast as it reads
  const c = net.connect(sender.tcpPort!, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  const streamed = (async () => {
    for (let i = 0; i < TOTAL; i += 1000) {
      let chunk = '';
      for (let k = i; k < i + 1000; k++) chunk += `<13>Dec  1 06:00:00 h load: ${k}\n`;
      if (!c.write(chunk)) await new Promise((r) => c.once('drain', r));
    }
    await new Promise<void>((r) => c.end(() => r()));
  })();
  const kills: number[] = [];
  for (const ms of delays) {
    await sleep(ms);
    kills.push(stored(db).distinct);
    loghost.child.kill('SIGKILL');
    await new Promise((r) => loghost.child.once('exit', r));
    loghost = await startLoghost();
  }
  await streamed;
  await until(() => stored(db).distinct === TOTAL, `all ${TOTAL} in the store`, 90_000 * Math.max(1, TOTAL / 100_000)).catch(async (e) => {
    throw new Error(`${(e as Error).message}: have ${stored(db).distinct}\n${await sender.stats()}`);
  });
  const { total, distinct } = stored(db);
  t.diagnostic(
    `seed ${seed}: killed after ${delays.join(', ')} ms (stored then: ${kills.join(', ')}); ${distinct} distinct of ${TOTAL}, ${total - distinct} duplicates`,
  );
  assert.equal(distinct, TOTAL);
  const st = await sender.stats();
  assert.match(st, /action @@127\.0\.0\.1:\d+: written \d+, dropped 0, queued 0/, st);
  figure(t, {
    daemon: 'syslogd',
    fault: 'LOGHOST SIGKILLed 5 times at random points, restarted',
    load: `${TOTAL.toLocaleString('en')} messages over TCP from a forwarding dk syslogd`,
    held: `lost 0, duplicates ${total - distinct}`,
  });
  await sender.stop();
  await loghost.stop();
});
