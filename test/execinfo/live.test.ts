/** dk exec-info against binutils `size -A` and `ldd` on this system's own files. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dk, run } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';

/** A fixed, varied sample: programs, libraries, the loader, objects. */
function sample(): string[] {
  const pick = (dir: string, re: RegExp, n: number) => {
    try {
      return readdirSync(dir)
        .filter((f) => re.test(f))
        .sort()
        .slice(0, n)
        .map((f) => join(dir, f));
    } catch {
      return [];
    }
  };
  const fixed = [
    '/bin/ls',
    '/bin/sh',
    '/usr/bin/env',
    '/usr/bin/ldd',
    '/usr/sbin/ldconfig',
    '/lib64/ld-linux-x86-64.so.2',
    '/lib/x86_64-linux-gnu/libc.so.6',
    '/usr/lib/x86_64-linux-gnu/libz.so.1',
    process.execPath,
  ];
  return [...fixed.filter((f) => existsSync(f)), ...pick('/usr/bin', /^[a-m]/, 40), ...pick('/usr/lib/x86_64-linux-gnu', /\.so\.\d+$/, 40)];
}

const dir = mkdtempSync(join(tmpdir(), 'dk-exec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('dk exec-info', () => {
  test('--sections matches size -A', (t) => {
    if (!requirePeer(t, 'size', 'binutils')) return;
    let compared = 0;
    for (const f of sample()) {
      const peer = run('size', ['-A', f]);
      if (peer.code !== 0) continue;
      assert.equal(dk(['exec-info', '--sections', f]).out, peer.out, f);
      compared++;
    }
    assert.ok(compared > 20, `only ${compared} files compared`);
  });

  test('--libs resolves the same paths as ldd (without running anything)', (t) => {
    if (!requirePeer(t, 'ldd', 'libc-bin')) return;
    let compared = 0;
    for (const f of sample()) {
      const peer = run('ldd', [f]);
      if (peer.code !== 0 || peer.out.includes('not a dynamic executable')) continue;
      const expected = peer.out
        .split('\n')
        .filter((l) => !l.includes('linux-vdso') && !l.includes('linux-gate'))
        .map((l) => l.replace(/ \(0x[0-9a-f]+\)$/, ''))
        .join('\n');
      assert.equal(dk(['exec-info', '--libs', f]).out, expected, f);
      compared++;
    }
    assert.ok(compared > 20, `only ${compared} files compared`);
  });

  test('#! chains: interpreter, one argument, the kernel depth limit', () => {
    writeFileSync(join(dir, 'inner'), '#!/bin/sh -e\necho hi\n');
    writeFileSync(join(dir, 'outer'), `#!${join(dir, 'inner')} one arg  \n`);
    for (let i = 0; i <= 5; i++) writeFileSync(join(dir, `s${i}`), `#!${i < 5 ? join(dir, `s${i + 1}`) : '/bin/true'}\n`);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o755);
    const r = dk(['exec-info', '--json', join(dir, 'outer')]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(
      j.chain.map((s: { shebang?: unknown }) => s.shebang),
      [{ interpreter: join(dir, 'inner'), arg: 'one arg' }, { interpreter: '/bin/sh', arg: '-e' }, undefined],
    );
    assert.equal(j.elf.interpreter, '/lib64/ld-linux-x86-64.so.2');
    // five levels of #! run (s1..s5 then /bin/true), six do not: the kernel says ELOOP
    assert.equal(dk(['exec-info', join(dir, 's1')]).code, 0);
    assert.equal(run(join(dir, 's1'), []).code, 0);
    const deep = dk(['exec-info', join(dir, 's0')]);
    assert.equal(deep.code, 1);
    assert.match(deep.err, /ELOOP/);
    assert.notEqual(run('sh', ['-c', join(dir, 's0')]).code, 0);
  });

  test('bad input: one clear line, status 1', () => {
    writeFileSync(join(dir, 'trunc'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]));
    writeFileSync(join(dir, 'text'), 'just text\n');
    for (const [args, re] of [
      [[join(dir, 'trunc')], /truncated/],
      [[join(dir, 'text')], /not an ELF file or #! script/],
      [[join(dir, 'missing')], /no such file/],
      [['no-such-command-xyz'], /not found in PATH/],
      [['--bogus', 'ls'], /unknown option/],
      [[], /required/],
    ] as [string[], RegExp][]) {
      const r = dk(['exec-info', ...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.err, re);
      assert.equal(r.err.trim().split('\n').length, 1);
    }
  });

  test('plain output explains the chain, the loader and the libraries', () => {
    const r = dk(['exec-info', 'ls']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /dynamic loader \(PT_INTERP\): \/lib64\/ld-linux-x86-64\.so\.2/);
    assert.match(r.out, /libc\.so\.6 => \/lib\/x86_64-linux-gnu\/libc\.so\.6 \(ld\.so\.cache\)/);
    assert.match(r.out, /sections: \.text \d+, \.data \d+, \.bss \d+ bytes/);
  });
});
