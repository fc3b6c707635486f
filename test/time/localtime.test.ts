/**
 * Local time against glibc's: GNU date (localtime(3) underneath) formats
 * the same instants under generated POSIX TZ strings, including the ones V8
 * reads as UTC (angle-bracket names, explicit DST rules).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { localTime, parsePosixTz } from '../../src/time/localtime.js';
import { dk, run } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';
import { params } from '../helpers/differential.js';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** date's +'%Y-%m-%d %H:%M:%S %z %w' of what localTime gives (a zone file's TZ is V8's: set for it too) */
function formatted(t: number, tz: string): string {
  process.env.TZ = tz;
  const l = localTime(t, tz);
  const a = Math.abs(l.offset);
  return `${l.year}-${pad(l.month + 1)}-${pad(l.day)} ${pad(l.hours)}:${pad(l.minutes)}:${pad(l.seconds)} ${l.offset < 0 ? '-' : '+'}${pad(Math.floor(a / 3600))}${pad(Math.floor((a % 3600) / 60))} ${l.weekday}`;
}

/** the same instants through GNU date, one process per TZ */
function byDate(ts: number[], tz: string): string[] {
  const r = run('sh', ['-c', `printf '%s\\n' ${ts.map((t) => `@${t}`).join(' ')} | TZ="$1" date -f - '+%Y-%m-%d %H:%M:%S %z %w'`, 'sh', tz]);
  // strftime writes a zero offset named "-00" as -0000 (RFC 3339's unknown offset): the offset is zero all the same
  return r.out
    .trimEnd()
    .split('\n')
    .map((l) => l.replace(' -0000 ', ' +0000 '));
}

// names: plain letters or <...> with signs and digits; offsets to the minute; rules Mm.w.d, Jn or n, with times
const name = fc.oneof(fc.stringMatching(/^[A-Z]{3,5}$/), fc.stringMatching(/^<[+-][0-9]{2,4}>$/));
const offset = fc
  .tuple(fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 14 }), fc.option(fc.integer({ min: 0, max: 59 })))
  .map(([s, h, m]) => `${s}${h}${m === null ? '' : `:${pad(m)}`}`);
const time = fc.option(
  fc.tuple(fc.constantFrom('', '-'), fc.integer({ min: 0, max: 30 })).map(([s, h]) => `/${s}${h}`),
  { freq: 2 },
);
const date = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 6 })).map(([m, w, d]) => `M${m}.${w}.${d}`),
  fc.integer({ min: 1, max: 365 }).map((d) => `J${d}`),
  fc.integer({ min: 0, max: 365 }).map(String),
);
const rule = fc.tuple(date, time, date, time).map(([a, ta, b, tb]) => `,${a}${ta ?? ''},${b}${tb ?? ''}`);
// a DST name without rules takes them from the posixrules zone file in glibc (README): always with rules here
const tzString = fc
  .tuple(name, offset, fc.option(fc.tuple(name, fc.option(offset), rule)))
  .map(([n, o, dst]) => `${n}${o}${dst ? `${dst[0]}${dst[1] ?? ''}${dst[2]}` : ''}`);

test('generated POSIX TZ strings: the same local time, offset and weekday as glibc at every instant', (t) => {
  if (!requirePeer(t, 'date', 'coreutils')) return;
  const instants = fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 20, maxLength: 20 });
  fc.assert(
    fc.property(tzString, instants, (tz, ts) => {
      const theirs = byDate(ts, tz);
      for (const [i, s] of ts.entries()) assert.equal(formatted(s, tz), theirs[i], `TZ=${tz} @${s}`);
    }),
    params<[string, number[]]>(120),
  );
});

test('instants around each change of a year, north and south', (t) => {
  if (!requirePeer(t, 'date', 'coreutils')) return;
  for (const tz of ['CET-1CEST,M3.5.0,M10.5.0/3', 'AEST-10AEDT,M10.1.0,M4.1.0/3', '<-03>3<-02>,M3.5.0/-2,M10.5.0/-1', 'EST5EDT']) {
    const ts: number[] = [];
    for (const y of [2024, 2025, 2026]) for (let h = 0; h < 366 * 24; h += 7) ts.push(Date.UTC(y, 0, 1) / 1000 + h * 3600 + 1799);
    const theirs = byDate(ts, tz);
    for (const [i, s] of ts.entries()) assert.equal(formatted(s, tz), theirs[i], `TZ=${tz} @${s}`);
  }
});

test('what is not a POSIX TZ is UTC, as in glibc', () => {
  delete process.env.TZ;
  for (const tz of ['', 'bogus', 'AB5', 'ABC', 'ABC5DEF,M13.1.0,M1.1.0', ':no/such/zone']) {
    assert.equal(localTime(86400 * 200 + 3661, tz).offset, 0, tz);
    assert.equal(localTime(86400 * 200 + 3661, tz).hours, 1, tz);
  }
  assert.deepEqual(parsePosixTz('<+0330>-3:30'), { std: 12600 });
  assert.equal(parsePosixTz('EST5EDT')?.dst?.offset, -4 * 3600);
});

test('ps prints start times in the TZ the environment gives, as procps does', (t) => {
  if (!requirePeer(t, 'ps', 'procps')) return;
  for (const tz of ['CET-1CEST,M3.5.0,M10.5.0/3', '<+0330>-3:30', 'UTC']) {
    const env = { PATH: process.env.PATH, TZ: tz, LANG: 'C.UTF-8' };
    const args = ['-o', 'pid,lstart,stime,start,bsdstart', '-p', '1'];
    assert.equal(dk(['ps', ...args], env).out, run('ps', args, env).out, `TZ=${tz}`);
  }
});
