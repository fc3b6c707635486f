/** dk top -b against procps-ng top -b: the same frames for the same PIDs. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFamily, type Family } from '../helpers/children.js';
import { linesMatch } from '../helpers/compare.js';
import { dk, run } from '../helpers/dk.js';
import { requirePeer } from '../helpers/peers.js';
import { cpuPercents, countUsers, parseCpuStat, parseMeminfo } from '../../src/proc/system.js';
import { scaleMem, timePlus, uptimeText } from '../../src/top/format.js';

let fam: Family;
before(async () => {
  fam = await startFamily();
});
after(async () => {
  await fam?.stop();
});

/** columns a running task changes from one instant to the next (a first frame's %CPU is a rate over an instant) */
const MOVING = new Set(['VIRT', 'RES', 'SHR', 'S', '%CPU', '%MEM', 'TIME+', 'TIME', 'P']);

/**
 * Our row against the peer's rows before and after it: as linesMatch says
 * for a task that stood still; for one the peer saw change between its two
 * reads (it was running), every column but the moving ones.
 */
function rowMatches(header: string, before: string, mine: string, later: string | undefined): boolean {
  if (linesMatch(before, mine) || (later !== undefined && linesMatch(later, mine))) return true;
  if (later === undefined || later === before) return false;
  const titles = header.trim().split(/\s+/);
  const [b, m, a] = [before, mine, later].map((l) => l.trim().split(/\s+/));
  if (m.length !== b.length || m.length !== a.length) return false;
  return m.every((v, i) => MOVING.has(titles[i] ?? '') || v === b[i] || v === a[i]);
}

/** Summary lines as shapes (their numbers move between two runs), task rows as they are. */
function shape(frame: string): { summary: string[]; rows: string[] } {
  const lines = frame.replace(/\n$/, '').split('\n');
  const blank = lines.indexOf('');
  return { summary: lines.slice(0, blank).map((l) => l.replace(/ *\d+(\.\d+)?/g, ' 9').replace(/ +/g, ' ')), rows: lines.slice(blank + 1) };
}

describe('dk top -b', () => {
  const cases = (): string[][] => {
    const p = fam.pids.join(',');
    return [
      ['-n1', '-p', p],
      ['-n1', '-p', p, '-c'],
      ['-n1', '-p', p, '-H'],
      ['-n1', '-p', p, '-e', 'm'],
      ['-n1', '-p', p, '-e', 'g'],
      ['-n1', '-p', p, '-E', 'g'],
      ['-n1', '-p', p, '-o', 'PID'],
      ['-n1', '-p', p, '-o', '-PID'],
      ['-n1', '-p', p, '-o', 'RES'],
      ['-n1', '-p', p, '-o', 'COMMAND'],
      ['-n1', '-p', p, '-w', '100'],
      ['-n1', '-p', p, '-w'],
      ['-n1', '-p', p, '-1'],
      ['-n1', '-p', p, '-u', 'root'],
      ['-n1', '-p', p, '-o', 'PID', '-w', '60'],
      ['-n1', '-p', p, '-w', '69'],
      ['-n2', '-d', '0.1', '-p', p],
    ];
  };

  test('frames match procps top: summary shapes, header, every task row', (t) => {
    if (!requirePeer(t, 'top', 'procps')) return;
    for (const args of cases()) {
      const peer = run('top', ['-b', ...args]);
      const mine = dk(['top', '-b', ...args]);
      // read again after ours: a row that moved in between (RES, TIME+ of a process still busy) may match that one
      const after = run('top', ['-b', ...args]);
      assert.equal(mine.code, peer.code, `top ${args.join(' ')}: ${mine.err}`);
      const pf = peer.out.split(/\n(?=top - )/);
      const mf = mine.out.split(/\n(?=top - )/);
      const af = after.out.split(/\n(?=top - )/);
      assert.equal(mf.length, pf.length, `frames of top ${args.join(' ')}`);
      pf.forEach((frame, i) => {
        const a = shape(frame);
        const b = shape(mf[i]);
        assert.deepEqual(b.summary, a.summary, `summary of top ${args.join(' ')}`);
        assert.equal(b.rows.length, a.rows.length, `rows of top ${args.join(' ')}\n${frame}\n---\n${mf[i]}`);
        const later = af[i] === undefined ? [] : shape(af[i]).rows;
        // rows by PID: sorted by %CPU, a task that ran at one instant moves up in that frame only
        if (!a.rows.length) return;
        const pidAt = a.rows[0].trim().split(/\s+/).indexOf('PID');
        const pidOf = (row: string | undefined) => row?.trim().split(/\s+/)[pidAt];
        const byPid = (rows: string[]) => new Map(rows.slice(1).map((r) => [pidOf(r), r]));
        const [peerRows, laterRows] = [byPid(a.rows), byPid(later)];
        assert.deepEqual(b.rows.slice(1).map(pidOf).sort(), [...peerRows.keys()].sort(), `tasks of top ${args.join(' ')}\n${frame}\n---\n${mf[i]}`);
        assert.equal(b.rows[0], a.rows[0], `header of top ${args.join(' ')}`);
        for (const [j, row] of a.rows.entries()) {
          if (j === 0 || rowMatches(a.rows[0], row, b.rows[j], later.length === a.rows.length ? later[j] : undefined)) continue;
          const pid = pidOf(b.rows[j]);
          const same = peerRows.get(pid)!;
          assert.ok(
            rowMatches(a.rows[0], same, b.rows[j], laterRows.get(pid)),
            `top ${args.join(' ')} row ${j}\npeer: ${same}\nours: ${b.rows[j]}\npeer after: ${laterRows.get(pid)}`,
          );
        }
      });
    }
  });

  test('errors as procps words them, status 1', (t) => {
    if (!requirePeer(t, 'top', 'procps')) return;
    for (const [args, re] of [
      [['-b', '-n', '0'], /bad iterations argument '0'/],
      [['-b', '-u', 'no-such-user-xyz'], /Invalid user/],
      [['-b', '-x'], /invalid option -- 'x'/],
      [['-b', '-d', 'x'], /bad delay interval/],
    ] as [string[], RegExp][]) {
      const r = dk(['top', ...args]);
      assert.equal(r.code, 1);
      assert.match(r.err, re);
    }
  });

  test('--json: one document per frame, with the paging figures', () => {
    const r = dk(['top', '-b', '-n', '2', '-d', '0.1', '--json', '-p', fam.pids.join(',')]);
    const docs = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(docs.length, 2);
    assert.equal(docs[1].processes.length, fam.pids.length);
    assert.ok('thrashing' in docs[0].paging && 'majflt' in docs[0].paging);
  });

  test('--thrash adds the paging line', () => {
    const r = dk(['top', '-b', '-n', '1', '--thrash', '-p', String(process.pid)]);
    assert.match(r.out, /^Paging : [\d.]+ swap-in\/s, [\d.]+ swap-out\/s, [\d.]+ majflt\/s, kswapd [\d.]+% cpu/m);
  });
});

describe('top arithmetic', () => {
  test('CPU percentages from two /proc/stat samples', () => {
    const a = parseCpuStat('cpu  100 0 50 800 10 0 0 0 0 0\ncpu0 50 0 25 400 5 0 0 0\n');
    const b = parseCpuStat('cpu  130 0 60 900 10 0 0 0 0 0\ncpu0 65 0 30 450 5 0 0 0\n');
    assert.deepEqual(
      cpuPercents(a.total, b.total).map((x) => Math.round(x * 10) / 10),
      [21.4, 0, 7.1, 71.4, 0, 0, 0, 0],
    );
    assert.deepEqual(cpuPercents(a.total, a.total), [0, 0, 0, 100, 0, 0, 0, 0]);
    assert.equal(parseMeminfo('MemTotal: 100 kB\nSReclaimable: 5 kB\nCached: 10 kB\n').cached, 15);
  });

  test('memory scaling, TIME+, uptime', () => {
    assert.equal(scaleMem(728236, 7, 'k'), '728236');
    assert.equal(scaleMem(728236, 7, 'm'), '711.2m');
    assert.equal(scaleMem(728236, 7, 'g'), '0.7g');
    assert.equal(scaleMem(123456789, 7, 'k'), '117.7g');
    assert.equal(timePlus(1494, 100), '0:14.94');
    assert.equal(timePlus(600000, 100), '100:00.00');
    assert.equal(uptimeText(3600), ' 1:00');
    assert.equal(uptimeText(300), '5 min');
    assert.equal(uptimeText(90000), '1 day,  1:00');
    assert.equal(countUsers(undefined), 0);
  });
});
