/**
 * The daemon's byte-level fast path must write exactly the line the full
 * parser would have given: for every input it accepts, same PRI and same
 * traditional line. Generated inputs stay close to the edges (hostname or
 * tag, PID or none, spacing, years, fractions, bad PRIs, non-ASCII).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scan3164, type Scan } from '../../src/syslog/protocol/fast3164.js';
import { parseMessage } from '../../src/syslog/protocol/parse.js';
import { stamp3164, traditionalLine } from '../../src/syslog/server/lines.js';

const OURS = 'ourhost';
const AT = new Date(2026, 10, 25, 14, 3, 9);

function fastLine(b: Buffer): { pri: number; line: string } | undefined {
  const sc: Scan = { pri: 0, hostStart: -1, hostEnd: -1, restStart: 0, end: 0 };
  if (!scan3164(b, 0, b.length, sc)) return undefined;
  const host = sc.hostStart >= 0 ? b.toString('latin1', sc.hostStart, sc.hostEnd) : OURS;
  return { pri: sc.pri, line: `${stamp3164(AT)} ${host} ${b.toString('latin1', sc.restStart, sc.end)}` };
}

function fullLine(b: Buffer): { pri: number; line: string } {
  const m = parseMessage(b, { now: AT });
  return { pri: m.facility * 8 + m.severity, line: traditionalLine({ msg: m, at: AT, host: OURS, input: 'test' }) };
}

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const word = fc.stringMatching(/^[A-Za-z0-9._:\-[\]]{0,12}$/);
const pri = fc.oneof(
  pick(''),
  fc.integer({ min: 0, max: 191 }).map((v) => `<${v}>`),
  pick('<0>', '<007>', '<192>', '<>', '<12', '<1000>'),
);
const stamp = fc.oneof(
  { arbitrary: pick('Nov 25 12:00:00', 'Nov  5 12:00:00', 'Jan 01 00:00:00'), weight: 3 },
  {
    arbitrary: pick('Nov 5 12:00:00', 'Foo 25 12:00:00', 'Nov 25 12:00:00.123', 'Nov 25 12:00:00 2026', 'Nov 25 12:0:00', '2026-11-25T12:00:00Z', ''),
    weight: 1,
  },
);
const host = fc.oneof(
  pick('', 'host ', 'my-host.example.com ', 'h_1 ', '10.0.0.1 ', 'host: ', 'ho[st '),
  word.map((w) => `${w} `),
);
const tag = fc.oneof(pick('', 'sshd', 'cron[123]', 'a', 'x'.repeat(48), 'x'.repeat(49), 'kernel[', 'app[1 2]', 'app[]'), word);
const colon = pick(': ', ':', ':  ', ' ', '', ':\t');
const text = fc.oneof({ arbitrary: fc.stringMatching(/^[ -~]{0,40}$/), weight: 4 }, { arbitrary: fc.stringMatching(/^[ -~\t\u00e9]{0,40}$/), weight: 1 });
const tail = pick('', '\n', '\0', '\r\n', '\n\n');

const generated = fc
  .tuple(pri, stamp, fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }), host, tag, colon, text, tail)
  .map(([p, s, sp, h, t, c, x, e]) => Buffer.from(`${p}${s}${s && sp ? ' ' : ''}${h}${t}${c}${x}${e}`));

describe('fast path', () => {
  test("wherever it applies, the line equals the full parser's", () => {
    let taken = 0;
    fc.assert(
      fc.property(generated, (b) => {
        const fast = fastLine(b);
        if (!fast) return;
        taken++;
        assert.deepEqual(fast, fullLine(b), JSON.stringify(b.toString('latin1')));
      }),
      { numRuns: 20000 },
    );
    // the generator must reach the fast path often enough to mean something
    assert.ok(taken > 2000, `only ${taken} generated messages took the fast path`);
  });

  test('random bytes never throw and never read past the range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(20), (u, cut) => {
        const b = Buffer.from(u);
        const end = Math.max(0, b.length - cut);
        const sc: Scan = { pri: 0, hostStart: -1, hostEnd: -1, restStart: 0, end: 0 };
        if (scan3164(b, 0, end, sc)) {
          assert.ok(sc.restStart <= sc.end && sc.end <= end);
          assert.deepEqual(fastLine(b.subarray(0, end))?.line, fullLine(b.subarray(0, end)).line);
        }
      }),
      { numRuns: 5000 },
    );
  });

  test('what real senders write takes it', () => {
    for (const s of [
      '<30>Nov 25 12:00:00 cron[123]: (root) CMD (run-parts)', // glibc syslog(3)
      '<13>Nov 25 12:00:00 vm logger: hello', // util-linux logger over the network
      '<86>Nov  5 01:02:03 host sshd[4242]: Accepted publickey for root', // rsyslog forwarding
      '<13>Nov 25 12:00:00 plain text without a tag\n',
    ]) {
      assert.ok(fastLine(Buffer.from(s)), s);
      assert.deepEqual(fastLine(Buffer.from(s)), fullLine(Buffer.from(s)));
    }
  });
});
