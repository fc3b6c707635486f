/** ELF, #! and ld.so.cache parsing: synthetic files in every class and byte order, fuzzed. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { posix } from 'node:path';
import { ElfError, isPie, isStatic, parseElf, sizeSections } from '../../src/execinfo/elf.js';
import { parseShebang, ShebangError } from '../../src/execinfo/shebang.js';
import { parseLdCache } from '../../src/execinfo/ldcache.js';
import { resolveLibraries } from '../../src/execinfo/resolve.js';
import { buildElf, type ElfSpec } from './build-elf.js';

const spec = (bits: 32 | 64, littleEndian: boolean): ElfSpec => ({
  bits,
  littleEndian,
  machine: bits === 64 ? 62 : 20,
  interp: '/lib/ld-test.so.1',
  needed: ['liba.so.1', 'libb.so.2'],
  runpath: '$ORIGIN/../lib',
  sections: [
    ['.text', 1, 100],
    ['.data', 1, 20],
    ['.bss', 8, 64],
  ],
});

describe('ELF parser', () => {
  for (const bits of [32, 64] as const) {
    for (const le of [true, false]) {
      test(`ELF${bits} ${le ? 'little' : 'big'} endian: header, loader, needed, sections`, () => {
        const e = parseElf(buildElf(spec(bits, le)));
        assert.equal(e.bits, bits);
        assert.equal(e.littleEndian, le);
        assert.equal(e.interp, '/lib/ld-test.so.1');
        assert.deepEqual(e.dynamic?.needed, ['liba.so.1', 'libb.so.2']);
        assert.equal(e.dynamic?.runpath, '$ORIGIN/../lib');
        assert.ok(isPie(e));
        assert.ok(!isStatic(e));
        assert.deepEqual(
          sizeSections(e).map((s) => [s.name, s.size]),
          [
            ['.text', 100],
            ['.data', 20],
            ['.bss', 64],
          ],
        );
      });
    }
  }

  test('a static executable has no loader and no dynamic section', () => {
    const e = parseElf(buildElf({ bits: 64, littleEndian: true, machine: 62, type: 2 }));
    assert.ok(isStatic(e));
    assert.ok(!isPie(e));
  });

  test('truncated files: a clear ElfError at every length, never another exception', () => {
    for (const s of [spec(64, true), spec(32, false)]) {
      const full = buildElf(s);
      for (let n = 0; n < full.length; n++) {
        try {
          parseElf(full.subarray(0, n));
        } catch (e) {
          assert.ok(e instanceof ElfError, `length ${n}: ${String(e)}`);
          assert.match((e as Error).message, /truncated|corrupt|not an ELF|outside|unterminated/);
        }
      }
    }
  });

  test('corrupted headers: random byte changes give a result or an ElfError', () => {
    const base = buildElf(spec(64, true));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const b = Buffer.from(base);
        for (const [at, v] of edits) b[at] = v;
        try {
          parseElf(b);
        } catch (e) {
          assert.ok(e instanceof ElfError, String(e));
        }
      }),
    );
  });
});

describe('#! lines', () => {
  test('interpreter and one optional argument, as the kernel splits them', () => {
    assert.deepEqual(parseShebang(Buffer.from('#!/bin/sh\necho')), { interpreter: '/bin/sh' });
    assert.deepEqual(parseShebang(Buffer.from('#! /usr/bin/env python3 -u  \n')), { interpreter: '/usr/bin/env', arg: 'python3 -u' });
    assert.deepEqual(parseShebang(Buffer.from('#!/bin/awk\t-f\n')), { interpreter: '/bin/awk', arg: '-f' });
    assert.equal(parseShebang(Buffer.from('\x7fELF')), undefined);
    assert.throws(() => parseShebang(Buffer.from('#!   \n')), ShebangError);
    // a DOS line end is part of what the kernel reads: the famous "/bin/sh^M: bad interpreter"
    assert.deepEqual(parseShebang(Buffer.from('#!/bin/sh\r\n')), { interpreter: '/bin/sh\r' });
    assert.deepEqual(parseShebang(Buffer.from([0x23, 0x21, 0, 32, 13])), { interpreter: '\0', arg: '\r' });
  });

  test('any bytes: a result, undefined, or a ShebangError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const r = parseShebang(Buffer.from([0x23, 0x21, ...bytes]));
          if (r) assert.ok(r.interpreter.length > 0 && !/[ \t\n]/.test(r.interpreter));
        } catch (e) {
          assert.ok(e instanceof ShebangError);
        }
      }),
    );
  });
});

describe('ld.so.cache and the search order', () => {
  function cache(entries: [number, string, string][]): Buffer {
    const strings: string[] = [];
    let strOff = 48 + entries.length * 24;
    const offs = entries.map(([, k, v]) => {
      const ko = strOff;
      strings.push(`${k}\0`);
      strOff += k.length + 1;
      const vo = strOff;
      strings.push(`${v}\0`);
      strOff += v.length + 1;
      return [ko, vo];
    });
    const b = Buffer.alloc(strOff);
    b.write('glibc-ld.so.cache1.1', 0, 'latin1');
    b.writeUInt32LE(entries.length, 20);
    b[28] = 2;
    entries.forEach(([flags], i) => {
      b.writeInt32LE(flags, 48 + i * 24);
      b.writeUInt32LE(offs[i][0], 48 + i * 24 + 4);
      b.writeUInt32LE(offs[i][1], 48 + i * 24 + 8);
    });
    b.write(strings.join(''), 48 + entries.length * 24, 'latin1');
    return b;
  }

  test('parses entries and their ABI flags; garbage gives nothing', () => {
    const c = parseLdCache(
      cache([
        [0x0303, 'liba.so.1', '/lib64/liba.so.1'],
        [0x0003, 'liba.so.1', '/lib32/liba.so.1'],
      ]),
    );
    assert.deepEqual(c, [
      { flags: 0x0303, key: 'liba.so.1', value: '/lib64/liba.so.1' },
      { flags: 0x0003, key: 'liba.so.1', value: '/lib32/liba.so.1' },
    ]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (u) => void parseLdCache(Buffer.from(u))));
  });

  test('RUNPATH with $ORIGIN before the cache, the cache before default dirs, ABI checked, BFS order', () => {
    const files = new Map<string, Buffer>([
      [
        '/opt/app/bin/app',
        buildElf({ bits: 64, littleEndian: true, machine: 62, interp: '/lib64/ld.so', needed: ['liba.so.1', 'libb.so.2'], runpath: '$ORIGIN/../lib' }),
      ],
      ['/opt/app/lib/liba.so.1', buildElf({ bits: 64, littleEndian: true, machine: 62, needed: ['libc.so.6'], soname: 'liba.so.1' })],
      ['/lib32/libb.so.2', buildElf({ bits: 32, littleEndian: true, machine: 3, soname: 'libb.so.2' })],
      ['/lib64/libb.so.2', buildElf({ bits: 64, littleEndian: true, machine: 62, needed: ['libc.so.6', 'ld.so'], soname: 'libb.so.2' })],
      ['/lib/x86_64-linux-gnu/libc.so.6', buildElf({ bits: 64, littleEndian: true, machine: 62, needed: ['ld.so', 'libmissing.so'], soname: 'libc.so.6' })],
      ['/lib64/ld.so', buildElf({ bits: 64, littleEndian: true, machine: 62, soname: 'ld.so' })],
    ]);
    const open = (p: string) => {
      const b = files.get(posix.normalize(p));
      return b ? { length: b.length, bytes: (o: number, n: number) => b.subarray(o, o + n) } : undefined;
    };
    const main = parseElf(files.get('/opt/app/bin/app')!);
    const libs = resolveLibraries('/opt/app/bin/app', main, {
      open,
      cache: parseLdCache(
        cache([
          [0x0003, 'libb.so.2', '/lib32/libb.so.2'],
          [0x0303, 'libb.so.2', '/lib64/libb.so.2'],
        ]),
      ),
    });
    assert.deepEqual(
      libs.map((l) => [l.name, l.path ?? 'not found', l.via ?? '-']),
      [
        // the loader keeps the path as $ORIGIN made it, and so does ldd
        ['liba.so.1', '/opt/app/bin/../lib/liba.so.1', 'runpath'],
        ['libb.so.2', '/lib64/libb.so.2', 'ld.so.cache'],
        ['libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6', 'default'],
        ['ld.so', '/lib64/ld.so', 'interpreter'],
        ['libmissing.so', 'not found', '-'],
      ],
    );
  });
});
