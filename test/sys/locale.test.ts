/**
 * Whether the peers run in UTF-8: glibc's setlocale(LC_ALL, "") loads the
 * locale the environment names or, if any category's is missing, none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { archiveNames, type LocaleStore, normalizeLocale, utf8Locale } from '../../src/sys/locale.js';
import { dk, ENV, run } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAll, until } from '../helpers/children.js';

/** A locale-archive as glibc lays it out: header, name hash table, string table (the records themselves left empty). */
function archive(names: string[]): Buffer {
  const head = 56;
  const hashSize = names.length * 2 + 1;
  const strings = Buffer.concat(names.map((n) => Buffer.from(`${n}\0`, 'latin1')));
  const hashOffset = head;
  const stringOffset = hashOffset + hashSize * 12;
  const b = Buffer.alloc(stringOffset + strings.length);
  b.writeUInt32LE(0xde020109, 0);
  b.writeUInt32LE(hashOffset, 8);
  b.writeUInt32LE(names.length, 12);
  b.writeUInt32LE(hashSize, 16);
  b.writeUInt32LE(stringOffset, 20);
  b.writeUInt32LE(strings.length, 24);
  strings.copy(b, stringOffset);
  let at = stringOffset;
  names.forEach((n, i) => {
    // spread over the table with empty slots between, as a hash table has them
    const slot = hashOffset + i * 2 * 12;
    b.writeUInt32LE(i + 1, slot);
    b.writeUInt32LE(at, slot + 4);
    b.writeUInt32LE(1000 + i, slot + 8);
    at += Buffer.byteLength(n, 'latin1') + 1;
  });
  return b;
}

const store = (names: string[], dirs: string[] = []): LocaleStore => ({ archive: () => new Set(names), directory: (n) => dirs.includes(n) });

test('locale-archive: every name of generated archives is read back, nothing else', () => {
  const name = fc.stringMatching(/^[a-z]{2}_[A-Z]{2}(\.[a-z0-9]{1,8})?(@[a-z]{1,6})?$/);
  fc.assert(
    fc.property(fc.uniqueArray(name, { maxLength: 40 }), (names) => {
      assert.deepEqual([...archiveNames(archive(names))].sort(), [...names].sort());
    }),
  );
  assert.deepEqual([...archiveNames(Buffer.from('not an archive at all, and longer than its header would be: 0123456789'))], []);
});

test('normalised names: the codeset lower case, letters and digits only', () => {
  assert.equal(normalizeLocale('en_US.UTF-8'), 'en_US.utf8');
  assert.equal(normalizeLocale('de_DE.ISO-8859-15@euro'), 'de_DE.iso885915@euro');
  assert.equal(normalizeLocale('C'), 'C');
});

test('UTF-8 only when every category names a locale glibc can load', () => {
  const installed = store(['en_US.utf8', 'de_DE.utf8']);
  assert.equal(utf8Locale({ LANG: 'en_US.UTF-8' }, installed), true);
  assert.equal(utf8Locale({ LANG: 'fr_FR.UTF-8' }, installed), false, 'not installed: glibc stays in C');
  assert.equal(utf8Locale({ LANG: 'C.UTF-8' }, store([])), true, 'built into glibc 2.35+');
  assert.equal(utf8Locale({ LANG: 'C.UTF-8', LC_TIME: 'xx_YY' }, store([])), false, 'one missing category fails them all');
  assert.equal(utf8Locale({ LANG: 'C.UTF-8', LC_ALL: '' }, store([])), true, 'an empty LC_ALL is unset');
  assert.equal(utf8Locale({ LC_ALL: 'C', LANG: 'en_US.UTF-8' }, installed), false);
  assert.equal(utf8Locale({ LC_CTYPE: 'de_DE.UTF-8', LANG: 'C' }, installed), true);
  assert.equal(utf8Locale({ LANG: 'en_US.UTF-8' }, store([], ['en_US.utf8'])), true, 'a compiled locale directory');
  assert.equal(utf8Locale({}, installed), false);
});

test('against procps: a non-ASCII command under a UTF-8 locale that is and one that is not installed', async (t) => {
  if (!requirePeer(t, 'ps', 'procps')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dk-locale-'));
  const exe = join(dir, 'zoo-ñandú');
  // a link to sleep: the command name and the arguments are the link's non-ASCII name
  symlinkSync(run('sh', ['-c', 'command -v sleep'], ENV).out.trim(), exe);
  const p = spawn(exe, ['60'], { stdio: 'ignore' });
  try {
    await until(() => run('ps', ['-o', 'comm=', '-p', String(p.pid)], ENV).out.includes('ñ'), 'the command to start');
    // fr_FR is installed almost nowhere a test runs; where it is, the comparison holds all the same
    for (const lang of ['C.UTF-8', 'fr_FR.UTF-8', 'C']) {
      const env = { PATH: process.env.PATH, LANG: lang };
      const args = ['-o', 'pid,comm,args', '-p', String(p.pid)];
      assert.equal(dk(['ps', ...args], env).out, run('ps', args, env).out, `LANG=${lang}`);
    }
  } finally {
    killAll([p.pid!]);
    rmSync(dir, { recursive: true, force: true });
  }
});
