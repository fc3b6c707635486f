/** Wire formats: RFC 3164, RFC 5424, RFC 6587 framing; round trips and fuzzing. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatRfc5424, parseRfc5424, Rfc5424Error } from '../../src/syslog/protocol/rfc5424.js';
import { formatRfc3164, parseRfc3164 } from '../../src/syslog/protocol/rfc3164.js';
import { parseMessage } from '../../src/syslog/protocol/parse.js';
import { FrameDecoder, octetFrame } from '../../src/syslog/protocol/framing.js';
import type { SyslogMessage } from '../../src/syslog/protocol/message.js';

const token = (max: number) => fc.stringMatching(new RegExp(`^[!-~]{1,${max}}$`)).filter((s) => s !== '-');
const sdName = fc.stringMatching(/^[!#-<>-\\^-~]{1,32}$/).filter((s) => !/[= \]"]/.test(s));

const message5424 = fc.record({
  facility: fc.integer({ min: 0, max: 23 }),
  severity: fc.integer({ min: 0, max: 7 }),
  timestamp: fc.option(fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true }), { nil: undefined }),
  hostname: fc.option(token(255), { nil: undefined }),
  app: fc.option(token(48), { nil: undefined }),
  procId: fc.option(token(128), { nil: undefined }),
  msgId: fc.option(token(32), { nil: undefined }),
  structuredData: fc.array(fc.record({ id: sdName, params: fc.array(fc.tuple(sdName, fc.string()), { maxLength: 3 }) }), { maxLength: 3 }),
  msg: fc.string().filter((s) => !s.startsWith('\ufeff')),
});

describe('RFC 5424', () => {
  test('parse(format(m)) gives m back', () => {
    fc.assert(
      fc.property(message5424, (m) => {
        const full: SyslogMessage = { ...m, format: 'rfc5424' };
        const back = parseRfc5424(formatRfc5424(full));
        assert.equal(back.facility, m.facility);
        assert.equal(back.severity, m.severity);
        assert.equal(back.timestamp?.getTime(), m.timestamp?.getTime());
        assert.equal(back.hostname, m.hostname);
        assert.equal(back.app, m.app);
        assert.equal(back.procId, m.procId);
        assert.equal(back.msgId, m.msgId);
        assert.deepEqual(back.structuredData, JSON.parse(JSON.stringify(m.structuredData)));
        assert.equal(back.msg, m.msg);
      }),
    );
  });

  test('the RFC examples, escapes, BOM, NILVALUE, offsets', () => {
    const a = parseRfc5424("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff'su root' failed for lonvick on /dev/pts/8");
    assert.equal(a.facility, 4);
    assert.equal(a.severity, 2);
    assert.equal(a.timestamp?.toISOString(), '2003-10-11T22:14:15.003Z');
    assert.equal(a.procId, undefined);
    assert.equal(a.msg, "'su root' failed for lonvick on /dev/pts/8");
    const b = parseRfc5424("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
    assert.equal(b.timestamp?.toISOString(), '2003-08-24T12:14:15.000Z');
    const c = parseRfc5424(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    );
    assert.deepEqual(c.structuredData[1], { id: 'examplePriority@32473', params: [['class', 'high']] });
    assert.equal(c.msg, '');
    const d = parseRfc5424('<13>1 - - - - - [x@1 a="q\\"uote \\\\ back \\] bracket"] m');
    assert.equal(d.structuredData[0].params[0][1], 'q"uote \\ back ] bracket');
    assert.throws(() => parseRfc5424('<13>1 2003-13-45T99:99:99Z h a p m - x'), Rfc5424Error);
  });
});

describe('RFC 3164 as senders write it', () => {
  const now = new Date(2026, 10, 25, 12, 0, 0);
  test('glibc syslog(3): no hostname, TAG[PID]', () => {
    const m = parseRfc3164('<30>Nov 25 11:59:01 sshd[123]: Accepted publickey', now);
    assert.deepEqual([m.facility, m.severity, m.hostname, m.app, m.procId, m.msg], [3, 6, undefined, 'sshd', '123', 'Accepted publickey']);
    assert.equal(m.timestamp?.getDate(), 25);
  });
  test('logger and rsyslog: hostname present; no PRI means user.notice; December stamps read in January', () => {
    const m = parseRfc3164('<13>Nov  5 09:01:02 web1 cron: job done', now);
    assert.deepEqual([m.hostname, m.app, m.procId, m.msg], ['web1', 'cron', undefined, 'job done']);
    const n = parseRfc3164('no header at all', now);
    assert.deepEqual([n.facility, n.severity, n.msg], [1, 5, 'no header at all']);
    const y = parseRfc3164('<13>Dec 31 23:59:59 h t: x', new Date(2027, 0, 1, 0, 0, 5));
    assert.equal(y.timestamp?.getFullYear(), 2026);
    const iso = parseRfc3164('<13>2026-11-25T10:00:00.123+01:00 h app[7]: iso stamp', now);
    assert.deepEqual([iso.timestamp?.toISOString(), iso.hostname, iso.app, iso.procId], ['2026-11-25T09:00:00.123Z', 'h', 'app', '7']);
  });
  test('format then parse keeps the fields', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 191 }),
        fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/),
        fc.stringMatching(/^[a-zA-Z][\w.-]{0,20}$/),
        fc.option(fc.stringMatching(/^\d{1,7}$/), { nil: undefined }),
        fc.string(),
        (pri, host, app, pid, msg) => {
          const m: SyslogMessage = {
            facility: pri >> 3,
            severity: pri & 7,
            timestamp: new Date(2026, 10, 25, 10, 20, 30),
            hostname: host,
            app,
            procId: pid,
            structuredData: [],
            msg,
            format: 'rfc3164',
          };
          const back = parseRfc3164(formatRfc3164(m), now);
          assert.deepEqual([back.facility, back.severity, back.hostname, back.app, back.procId, back.msg], [m.facility, m.severity, host, app, pid, msg]);
        },
      ),
    );
  });
});

describe('any input', () => {
  test('random bytes never throw and are cut at the maximum size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 16, max: 400 }), (u, max) => {
        const m = parseMessage(Buffer.from(u), { maxSize: max });
        assert.equal(m.truncated === true, u.length > max);
      }),
    );
    fc.assert(fc.property(fc.string(), (s) => void parseMessage(`<13>1 ${s}`)));
  });
});

describe('RFC 6587 framing', () => {
  const messages = fc.array(
    fc.string({ minLength: 1, maxLength: 60 }).filter((s) => !s.includes('\n') && !s.includes('\0')),
    { minLength: 1, maxLength: 20 },
  );
  const splits = (b: Buffer, cuts: number[]) => {
    const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
    const out: Buffer[] = [];
    let prev = 0;
    for (const p of points) {
      out.push(b.subarray(prev, p));
      prev = p;
    }
    out.push(b.subarray(prev));
    return out;
  };

  test('octet counting and LF framing survive any split of the stream', () => {
    fc.assert(
      fc.property(messages, fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (msgs, cuts, octet) => {
        const stream = octet ? Buffer.concat(msgs.map((m) => octetFrame(m))) : Buffer.from(msgs.map((m) => `<13>${m}\n`).join(''));
        const d = new FrameDecoder(1000);
        const got = splits(stream, cuts)
          .flatMap((c) => d.push(c))
          .concat(d.end());
        assert.deepEqual(
          got.map((f) => f.data.toString()),
          octet ? msgs : msgs.map((m) => `<13>${m}`),
        );
      }),
    );
  });

  test('with oversize frames and a small maximum, any split decodes like the whole stream at once', () => {
    const frame = fc.tuple(fc.stringMatching(/^[a-z<>0-9 ]{1,70}$/), fc.boolean());
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        fc.integer({ min: 8, max: 40 }),
        (frames, cuts, octet, max) => {
          const stream = octet ? Buffer.concat(frames.map(([m]) => octetFrame(m))) : Buffer.from(frames.map(([m, nul]) => `${m}${nul ? '\0' : '\n'}`).join(''));
          const decode = (chunks: Buffer[]) => {
            const d = new FrameDecoder(max);
            return chunks
              .flatMap((c) => d.push(c))
              .concat(d.end())
              .map((f) => [f.data.toString(), f.truncated]);
          };
          const whole = decode([stream]);
          assert.deepEqual(decode(splits(stream, cuts)), whole);
          assert.deepEqual(decode([...stream].map((x) => Buffer.from([x]))), whole);
        },
      ),
    );
  });

  test('an oversize frame is cut and marked, and the next frame is intact', () => {
    for (const octet of [true, false]) {
      const big = 'x'.repeat(50);
      const stream = octet ? Buffer.concat([octetFrame(big), octetFrame('next')]) : Buffer.from(`${big}\nnext\n`);
      const d = new FrameDecoder(20);
      const got = [...d.push(stream.subarray(0, 7)), ...d.push(stream.subarray(7)), ...d.end()];
      assert.deepEqual(
        got.map((f) => [f.data.toString(), f.truncated]),
        [
          ['x'.repeat(20), true],
          ['next', false],
        ],
      );
    }
  });
});
