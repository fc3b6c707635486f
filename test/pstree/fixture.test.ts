/** dk pstree on the committed fake /proc tree. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pstreeOn } from '../helpers/fixture.js';

const tree = (...argv: string[]) => pstreeOn('basic', argv);

describe('dk pstree on a fixture tree', () => {
  test('compaction, sorting by name, threads in braces, octal escapes', () => {
    assert.equal(
      tree().out,
      'init-+-caf\\303\\251\n     |-crond---2*[sleep]\n     `-sshd---bash---my (weird) prog-+-sh\n                                     `-2*[{my (weird) prog}]\n',
    );
  });

  test('-p shows PIDs and turns compaction off', () => {
    assert.match(tree('-p').out, /crond\(150\)-\+-sleep\(501\)\n {8}\| {12}`-sleep\(502\)/);
  });

  test('-a: arguments after the name, (name) without a command line, compacted threads', () => {
    const out = tree('-a').out;
    assert.match(out, /^init splash\n/);
    assert.match(out, /\|-crond -f\n {2}\| {3}\|-sleep 600\n/);
    assert.match(out, / {14}\|-\(sh\)\n {14}`-2\*\[\{my \(weird\) prog\}\]\n$/);
  });

  test('-n sorts by PID, -t uses thread names, -s shows the ancestors', () => {
    assert.match(tree('-n').out, /^init-\+-sshd/);
    assert.match(tree('-t').out, /\{worker\}/);
    assert.equal(tree('-s', '400').out, 'init---sshd---bash---my (weird) prog---sh\n');
  });

  test('USER argument, -u transitions, -U and -A line drawing', () => {
    assert.equal(tree('alice').out, 'bash---my (weird) prog-+-sh\n                       `-2*[{my (weird) prog}]\n');
    assert.match(tree('-u').out, /caf\\303\\251\(averyveryverylongusername\)/);
    assert.match(tree('-U').out, /^init─┬─/);
    assert.match(tree('-A').out, /^init-\+-/);
  });

  test('narrow output is cut with +', () => {
    const r = pstreeOn('basic', ['-p'], { COLUMNS: '20' });
    for (const line of r.out.trimEnd().split('\n')) assert.ok(line.length <= 21, line);
    assert.match(r.out, /\+\n/);
  });

  test('errors', () => {
    assert.equal(tree('nobody-xyz').code, 1);
    assert.equal(tree('nobody-xyz').err, 'No such user name: nobody-xyz\n');
    assert.equal(tree('-s', '999').err, 'Process 999 not found.\n');
    assert.equal(tree('-q').code, 1);
    assert.equal(tree('1', '2').code, 1);
    assert.equal(tree('999').out, '');
  });
});
