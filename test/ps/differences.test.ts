/**
 * The differences a new user found at once on another machine (issue 13),
 * each against the real peer: RSS is VmRSS whatever other column is asked
 * for; the memory-size specifiers procps has (trs, drs, size, tsiz, dsiz,
 * trss) in a list that also holds a '%'; lsof's -F with its field list as
 * the next word, and -F? .
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dk, run } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';

describe('differences with the peers', () => {
  let sleeper: ChildProcess;
  before(async () => {
    sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 100));
    // stopped: its counters cannot move between the two listings
    sleeper.kill('SIGSTOP');
  });
  after(() => {
    sleeper.kill('SIGKILL');
  });

  test('rss is VmRSS (as procps 4 prints it) in -o rss, in u and next to any other column', (t) => {
    if (!requirePeer(t, 'ps', 'procps')) return;
    const pid = String(sleeper.pid);
    for (const list of ['pid,rss,comm', 'pid,rss,user,comm', 'rss,rsz,rssize,%mem']) {
      assert.equal(dk(['ps', '-o', list, '-p', pid]).out, run('ps', ['-o', list, '-p', pid]).out, list);
    }
    assert.equal(dk(['ps', 'u', '-p', pid]).out.replace(/ +\d+:\d+ +0:00/g, ''), run('ps', ['u', '-p', pid]).out.replace(/ +\d+:\d+ +0:00/g, ''));
  });

  test("procps's size specifiers, also in a list with a '%' (not taken for AIX format)", (t) => {
    if (!requirePeer(t, 'ps', 'procps')) return;
    const pid = String(sleeper.pid);
    const list = 'pid,sz,vsz,rss,trs,drs,maj_flt,min_flt,%mem,size';
    const ours = dk(['ps', '-o', list, '-p', pid]);
    assert.equal(ours.err, '');
    assert.equal(ours.out, run('ps', ['-o', list, '-p', pid]).out);
    assert.equal(dk(['ps', '-o', 'pid,tsiz,dsiz,trss', '-p', pid]).out, run('ps', ['-o', 'pid,tsiz,dsiz,trss', '-p', pid]).out);
    // an unknown specifier in such a list is still the AIX error, as procps says it
    assert.match(dk(['ps', '-o', 'pid,bogus,%mem', '-p', pid]).err, /improper AIX field descriptor/);
  });

  test('lsof -F pcfn: the next word is the field list; only the fields asked for (no file sets without file fields); -F? lists them', (t) => {
    if (!requirePeer(t, 'lsof', 'lsof')) return;
    const pid = String(sleeper.pid);
    for (const args of [
      ['-n', '-P', '-p', pid, '-F', 'pcfn'],
      ['-n', '-P', '-p', pid, '-Fpcfn'],
      ['-n', '-P', '-F', 'pcfnt', '-p', pid],
      ['-n', '-P', '-p', pid, '-F0pc'],
      ['-n', '-P', '-p', pid, '-Fpn'],
      ['-n', '-P', '-p', pid, '-Fc'],
      ['-n', '-P', '-p', pid, '-F0t'],
    ]) {
      assert.equal(dk(['lsof', ...args]).out, run('lsof', args).out, args.join(' '));
    }
    assert.equal(dk(['lsof', '-F?']).err, run('lsof', ['-F?']).err);
    const bad = dk(['lsof', '-F', 'pcx', '-p', pid]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /unknown field: x/);
  });
});
