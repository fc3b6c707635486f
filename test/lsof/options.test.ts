/** dk lsof's option parser on generated command lines (the differential tests hold it against lsof). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LsofError, parseLsofArgs } from '../../src/lsof/options.js';

const OPTIONS = [
  '-n',
  '-P',
  '-a',
  '-l',
  '-t',
  '-U',
  '-w',
  '-R',
  '-i',
  '-i4TCP',
  '-p',
  '1',
  '-u',
  'root',
  '-c',
  'sh',
  '-d',
  '0-2',
  '-K',
  '-Ki',
  '+c',
  '15',
  '-F',
  'pcn',
  '-s',
];

describe('lsof options', () => {
  test('any command line is a request or a one-line LsofError, never another exception', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...OPTIONS), fc.string({ maxLength: 6 })), { maxLength: 8 }), (argv) => {
        try {
          parseLsofArgs(argv);
        } catch (e) {
          assert.ok(e instanceof LsofError, String(e));
          assert.ok(!e.message.includes('\n'), e.message);
        }
      }),
    );
  });

  test('the first name ends the options: what follows it is names too, as lsof reads them', () => {
    const name = fc.stringMatching(/^[a-z/][a-z0-9/._]{0,10}$/);
    const flags = fc.subarray(['-n', '-P', '-a', '-l', '-w', '-U']);
    fc.assert(
      fc.property(flags, name, fc.array(fc.constantFrom(...OPTIONS), { maxLength: 5 }), (before, first, after) => {
        const r = parseLsofArgs([...before, first, ...after]);
        assert.deepEqual(r.files, [first, ...after]);
      }),
    );
    assert.deepEqual(parseLsofArgs(['/tmp', '-p', '1']).files, ['/tmp', '-p', '1']);
    assert.deepEqual(parseLsofArgs(['-F0', 'pcn', '-p', '1']).files, ['pcn', '-p', '1']);
  });

  test('-K lists tasks, -K i ignores them, the last one given decides, anything else is an error', () => {
    assert.equal(parseLsofArgs(['-K']).tasks, true);
    assert.equal(parseLsofArgs(['-K', 'i']).ignoreTasks, true);
    const last = parseLsofArgs(['-Ki', '-K']);
    assert.deepEqual([last.tasks, last.ignoreTasks], [true, false]);
    const first = parseLsofArgs(['-K', '-Ki']);
    assert.deepEqual([first.tasks, first.ignoreTasks], [false, true]);
    assert.throws(() => parseLsofArgs(['-K', 'x']), /-K not followed by i \(but by x\)/);
    assert.throws(() => parseLsofArgs(['-Kq']), /but by q/);
  });
});
