/** Property tests for the /proc parsers: hostile comm values and cut-off files. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { parseStat, devMajor, devMinor } from '../../src/proc/parse/stat.js';
import { parseStatLite } from '../../src/proc/statlite.js';
import { countField, fieldValue, parseStatus, parseStatusBytes } from '../../src/proc/parse/status.js';
import { splitNul, parseStatm, parseUptime, parseBootTime, parseMemTotal, normalizeWchan, parseCgroup } from '../../src/proc/parse/misc.js';
import { parseTtyDrivers } from '../../src/proc/tty.js';
import { parseIdFile } from '../../src/proc/users.js';

// what the kernel allows in comm: any bytes but NUL, at most 15 of them
const comm = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '(', ')', '\n', ')', ' S 1 (', 'é', '\t', '9'), maxLength: 15 });
const u32 = fc.integer({ min: 0, max: 2 ** 31 - 1 });

const stateLetter = fc.constantFrom('R', 'S', 'D', 'Z', 'T', 't', 'X', 'I');
/** the 49 numbers after comm and state */
const statNumbers = fc.array(u32, { minLength: 49, maxLength: 49 });

function statLine(pid: number, c: string, state: string, nums: number[]): string {
  return `${pid} (${c}) ${state} ${nums.join(' ')}\n`;
}

describe('parseStatLite', () => {
  test("the fields a live table reads are the full parser's, for any comm and numbers (negative tty/tpgid too)", () => {
    fc.assert(
      fc.property(u32, comm, stateLetter, statNumbers, fc.boolean(), (pid, c, state, nums, noTty) => {
        const line = statLine(pid, c, state, noTty ? nums.map((n, i) => (i === 4 ? -1 : n)) : nums);
        const full = parseStat(line)!;
        const lite = parseStatLite(Buffer.from(line, 'utf8'));
        assert.ok(lite);
        assert.deepEqual(lite, {
          pid: full.pid,
          comm: full.comm,
          state: full.state,
          ppid: full.ppid,
          pgrp: full.pgrp,
          session: full.session,
          ttyNr: full.ttyNr,
          tpgid: full.tpgid,
          flags: full.flags,
          utime: full.utime,
          stime: full.stime,
          numThreads: full.numThreads,
          starttime: full.starttime,
          rss: full.rss,
        });
      }),
    );
  });

  test('cut-off or garbage bytes give nothing or a record, never a throw; every live process reads the same both ways', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void parseStatLite(Buffer.from(b))));
    const line = statLine(
      42,
      'x',
      'S',
      Array.from({ length: 49 }, (_, i) => i + 1),
    );
    // rss is the last field read: cut before it, nothing; cut inside it, a prefix of it
    const rssStart = line.indexOf(' 21 22 ') + 1;
    for (let at = 0; at < line.length; at++) {
      const st = parseStatLite(Buffer.from(line.slice(0, at)));
      if (at <= rssStart) assert.equal(st, undefined, `cut at ${at}`);
      else assert.ok(st && '21'.startsWith(String(st.rss)), `cut at ${at}`);
    }
    for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      let text: string;
      try {
        text = readFileSync(`/proc/${name}/stat`, 'latin1');
      } catch {
        continue;
      }
      const full = parseStat(text)!;
      const lite = parseStatLite(Buffer.from(text, 'latin1'))!;
      assert.deepEqual(
        [lite.pid, lite.ppid, lite.utime, lite.rss, lite.starttime, lite.numThreads],
        [full.pid, full.ppid, full.utime, full.rss, full.starttime, full.numThreads],
      );
    }
  });
});

describe('parseStat', () => {
  test('comm with spaces, parentheses and newlines survives; numbers land in their fields', () => {
    fc.assert(
      fc.property(u32, comm, stateLetter, statNumbers, (pid, c, state, nums) => {
        const st = parseStat(statLine(pid, c, state, nums));
        assert.ok(st);
        assert.equal(st.pid, pid);
        assert.equal(st.comm, c);
        assert.equal(st.state, state);
        assert.equal(st.ppid, nums[0]);
        assert.equal(st.ttyNr, nums[3]);
        assert.equal(st.utime, nums[10]);
        assert.equal(st.starttime, nums[18]);
        assert.equal(st.policy, nums[37]);
      }),
    );
  });

  test('a file cut anywhere before the policy field parses as nothing, never throws', () => {
    fc.assert(
      fc.property(u32, comm, fc.array(u32, { minLength: 49, maxLength: 49 }), fc.nat(), (pid, c, nums, cut) => {
        const full = statLine(pid, c, 'S', nums);
        const policyStart = `${pid} (${c}) S ${nums.slice(0, 37).join(' ')} `.length;
        const at = cut % (full.length + 1);
        const st = parseStat(full.slice(0, at));
        if (at <= policyStart) assert.equal(st, undefined);
        else {
          assert.ok(st);
          assert.equal(st.comm, c);
          assert.ok(String(nums[37]).startsWith(String(st.policy)));
        }
      }),
    );
  });

  test('garbage never throws', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseStat(s)));
  });

  test('tty_nr splits into major and minor like the kernel encodes it', () => {
    assert.equal(devMajor(34816), 136);
    assert.equal(devMinor(34816), 0);
    const nr = (136 << 8) | (5 & 0xff) | ((300 & ~0xff) << 12);
    assert.equal(devMinor(nr), (300 & ~0xff) | 5);
  });
});

describe('parseStatus', () => {
  const sample =
    'Name:\ta (b) c\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nUid:\t1000\t1001\t1002\t1003\nGid:\t5\t6\t7\t8\nGroups:\t4 24 27 \nVmSize:\t  10000 kB\nVmLck:\t       4 kB\nVmRSS:\t    3000 kB\nThreads:\t3\nSigPnd:\t0000000000000001\nShdPnd:\t0000000000000002\nSigBlk:\t0000000000000003\nSigIgn:\t0000000000000004\nSigCgt:\t0000000000000005\nCapEff:\t000001ffffffffff\n';

  test('the quick parse agrees with the full one on what it reads', () => {
    const a = parseStatus(sample, true);
    const b = parseStatus(sample, false);
    for (const k of ['uid', 'gid', 'groups', 'vmSize', 'vmLck', 'vmRss'] as const) assert.deepEqual(b[k], a[k], k);
  });

  test('reads ids, groups, memory, signals and capabilities', () => {
    const s = parseStatus(sample);
    assert.equal(s.name, 'a (b) c');
    assert.deepEqual(s.uid, { real: 1000, effective: 1001, saved: 1002, fs: 1003 });
    assert.deepEqual(s.groups, [4, 24, 27]);
    assert.equal(s.vmSize, 10000);
    assert.equal(s.vmLck, 4);
    assert.equal(s.vmRss, 3000);
    assert.equal(s.signals?.pending, '0000000000000001');
    assert.equal(s.signals?.shared, '0000000000000002');
    assert.equal(s.caps?.effective, '000001ffffffffff');
  });

  test('the byte parse reads what the quick text parse reads, on generated status files and any prefix of them', () => {
    const all = { uid: true, gid: true, groups: true };
    const n = fc.nat({ max: 4294967295 });
    const blank = fc.constantFrom(' ', '\t', '  ', '\t ');
    const line = (key: string, v: fc.Arbitrary<string>) => fc.tuple(v, fc.boolean()).map(([x, present]) => (present ? `${key}:${x}\n` : ''));
    const quad = fc.tuple(n, n, n, n, blank).map(([a, b, c, d, w]) => `${w}${a}${w}${b}${w}${c}${w}${d}`);
    const size = fc.tuple(n, blank).map(([x, w]) => `${w}${String(x).padStart(8)} kB`);
    const status = fc
      .tuple(
        line('Uid', quad),
        line('Gid', quad),
        line(
          'Groups',
          fc.array(n, { maxLength: 6 }).map((g) => `\t${g.map((x) => `${x} `).join('')}`),
        ),
        line('VmSize', size),
        line('VmLck', size),
        line('VmRSS', size),
        line('VmData', size),
        line('VmStk', size),
      )
      // the sizes in the kernel's order mostly, in any order sometimes (the byte parse searches on from the last one found)
      .chain((ls) =>
        fc
          .oneof({ weight: 3, arbitrary: fc.constant(ls.slice(3)) }, { weight: 1, arbitrary: fc.shuffledSubarray(ls.slice(3), { minLength: 5, maxLength: 5 }) })
          .map((sizes) => `Name:\tx\nState:\tS (sleeping)\n${ls.slice(0, 3).join('')}FDSize:\t64\n${sizes.join('')}Threads:\t1\n`),
      );
    fc.assert(
      fc.property(status, fc.nat(), (text, cut) => {
        for (const t of [text, text.slice(0, cut % (text.length + 1))]) {
          const bytes = parseStatusBytes(Buffer.from(t, 'latin1'), all);
          const quick = parseStatus(t, false);
          assert.deepEqual(bytes, quick, JSON.stringify(t));
        }
      }),
    );
    assert.deepEqual(parseStatusBytes(Buffer.from(sample, 'latin1'), all), parseStatus(sample, false));
    // some sizes asked for: those, as the whole parse reads them
    fc.assert(
      fc.property(status, fc.subarray(['vmSize', 'vmLck', 'vmRss', 'vmData', 'vmStk'] as const), (text, sizes) => {
        const quick = parseStatus(text, false) as Record<string, unknown>;
        const some = parseStatusBytes(Buffer.from(text, 'latin1'), { ...all, sizes });
        const expected = Object.fromEntries(Object.entries(quick).filter(([k]) => !k.startsWith('vm') || (sizes as readonly string[]).includes(k)));
        assert.deepEqual(some, expected);
      }),
    );
  });

  test('any prefix parses without throwing and never invents a value', () => {
    fc.assert(
      fc.property(fc.nat({ max: sample.length }), (cut) => {
        for (const full of [true, false]) {
          const s = parseStatus(sample.slice(0, cut), full);
          if (s.uid) assert.equal(s.uid.real, 1000);
          if (s.vmRss !== undefined) assert.ok(String(3000).startsWith(String(s.vmRss)));
          if (!full && s.vmRss !== undefined) assert.equal(s.vmRss, 3000);
        }
      }),
    );
    fc.assert(fc.property(fc.string(), (t) => void parseStatus(t)));
  });
});

describe('small parsers', () => {
  test('splitNul inverts the kernel argv encoding', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string().filter((s) => !s.includes('\0')),
          { minLength: 1 },
        ),
        (argv) => {
          assert.deepEqual(splitNul(`${argv.join('\0')}\0`), argv);
        },
      ),
    );
    assert.deepEqual(splitNul(''), []);
    assert.deepEqual(splitNul('sshd: listener'), ['sshd: listener']);
  });

  test('statm, uptime, btime, meminfo, wchan, cgroup', () => {
    assert.deepEqual(parseStatm('10 5 3 1 0 4 0\n'), { size: 10, resident: 5, shared: 3, text: 1, data: 4 });
    assert.equal(parseStatm('10 5'), undefined);
    assert.equal(parseUptime('123.45 99.00\n'), 123.45);
    assert.equal(parseUptime(''), 0);
    assert.equal(parseBootTime('cpu 1 2\nbtime 1700000000\n'), 1700000000);
    assert.equal(parseMemTotal('MemTotal:  2048 kB\n'), 2048);
    assert.equal(normalizeWchan('0'), '-');
    assert.equal(normalizeWchan(''), '?');
    assert.equal(parseCgroup('0::/a\n'), '0::/a');
    fc.assert(
      fc.property(fc.string(), (s) => {
        parseStatm(s);
        parseUptime(s);
        parseBootTime(s);
        parseMemTotal(s);
        normalizeWchan(s);
        parseCgroup(s);
        parseTtyDrivers(s);
        parseIdFile(s);
      }),
    );
  });

  test('fieldValue and countField: the first line that starts with the key, as a line-by-line reading finds it', () => {
    // keys that are prefixes and suffixes of one another, as io's write_bytes and cancelled_write_bytes are
    const key = fc.constantFrom('write_bytes', 'cancelled_write_bytes', 'write', 'bytes', 'Cached', 'SwapCached', 'intr', 'ctxt');
    const sep = fc.constantFrom(':', ' ', ':\t', ':   ');
    const line = fc.tuple(key, sep, fc.oneof(fc.nat().map(String), fc.constantFrom('', 'x', '12 kB', '7 0 3', '-4', '99999999999999999999')));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), key, fc.constantFrom(':', ' '), fc.boolean(), (lines, k, s, cut) => {
        const full = lines.map(([a, b, c]) => `${a}${b}${c}\n`).join('');
        const text = cut ? full.slice(0, -1) : full;
        // the last piece is '' or a line without its newline, cut off: its value may be partial, so it is not one
        const whole = text.split('\n').slice(0, -1);
        const hit = whole.find((r) => r.startsWith(`${k}${s}`));
        const value = hit?.slice(k.length + 1).trim();
        assert.equal(fieldValue(text, `${k}${s}`), value);
        const n = Number.parseInt(value ?? '', 10);
        assert.equal(countField(text, `${k}${s}`), Number.isSafeInteger(n) ? n : 0);
      }),
    );
    assert.equal(countField('rchar: 5\nwchar: 6\nsyscr: 7\n', 'wchar:'), 6);
    assert.equal(countField('cancelled_write_bytes: 9\n', 'write_bytes:'), 0);
    assert.equal(countField('intr 123 0 4\nctxt 8\n', 'intr '), 123);
  });

  test('tty drivers: later lines win, like procps', () => {
    const d = parseTtyDrivers('a /dev/tty 4 1-63 console\nb /dev/ttyS 4 64-95 serial\nc /dev/pts 136 0-1048575 pty:slave\nunknown serial 5 1 x\n');
    assert.deepEqual(
      d.map((x) => x.name),
      ['pts', 'ttyS', 'tty'],
    );
  });

  test('passwd: first entry for an id wins', () => {
    const m = parseIdFile('root:x:0:0::/:/bin/sh\ntoor:x:0:0::/:/bin/sh\n# comment\nbroken\nalice:x:1000:1000::/:/bin/sh\n');
    assert.equal(m.get(0), 'root');
    assert.equal(m.get(1000), 'alice');
  });
});
