/**
 * dk ps --kernel (issue 13): kernel threads only, each with the role the
 * classic texts give its kind (page daemon and swapper: kswapd; update,
 * bdflush and kflushd: writeback workers; keventd: the events workqueue).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statOf } from '../helpers/children.js';
import { kernelRole } from '../../src/ps/kernel.js';
import { dk } from '../helpers/dk.js';

const PF_KTHREAD = 0x00200000;
function flagsOf(pid: number): number | undefined {
  const f = statOf(pid);
  return f ? Number(f[6]) : undefined;
}

describe('dk ps --kernel', () => {
  test('roles from thread names', () => {
    const cases: [string, RegExp][] = [
      ['kthreadd', /parent of every kernel thread/],
      ['kswapd0', /page daemon \/ swapper.*NUMA node 0/],
      ['kworker/u8:0-flush-254:0', /update daemon \(bdflush\/kupdate\/kflushd\).*device 254:0/],
      ['kworker/1:2-events', /worker for CPU 1: keventd: the events workqueue/],
      ['kworker/0:1H-kblockd', /CPU 0, high priority: block I\/O/],
      ['kworker/R-writeback', /rescuer for the writeback workqueue/],
      ['kworker/u9:0', /unbound worker \(pool 9\), idle/],
      ['ksoftirqd/3', /softirq daemon.*CPU 3/],
      ['migration/1', /moves tasks off CPU 1/],
      ['irq/24-ACPI:Ged', /interrupt handler for IRQ 24 \(ACPI:Ged\)/],
      ['jbd2/vda1-8', /journal commits for vda1-8/],
      ['rcu_preempt', /RCU/],
      ['something_new', /^-$/],
    ];
    for (const [comm, re] of cases) assert.match(kernelRole(comm), re, comm);
  });

  test('lists kernel threads only, kthreadd and its children, with a role column', () => {
    const r = dk(['ps', '--kernel']);
    assert.equal(r.code, 0);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0], /PID +PPID STAT +TIME WCHAN +COMMAND +ROLE/);
    const rows = lines.slice(1).map((l) => l.trim().split(/\s+/));
    assert.ok(rows.length > 5, 'a Linux kernel runs more than five threads');
    for (const [pid, ppid] of rows) {
      const f = flagsOf(Number(pid));
      // a kworker may exit between the listing and this check
      if (f !== undefined) assert.ok(f & PF_KTHREAD, `${pid} is not a kernel thread`);
      assert.ok(ppid === '2' || (pid === '2' && ppid === '0'), `${pid}'s parent is ${ppid}`);
    }
    assert.ok(
      rows.some(([pid]) => pid === '2'),
      'kthreadd is listed',
    );
    // a chosen format still lists kernel threads only, and the role column is a specifier of its own
    const own = dk(['ps', '--kernel', '-o', 'pid,comm,krole', '--no-headers']).out.trimEnd().split('\n');
    assert.ok(own.some((l) => /^\s*2 kthreadd +kthreadd: parent of every kernel thread$/.test(l)));
    assert.equal(dk(['ps', '-o', 'krole', '--no-headers', '-p', String(process.pid)]).out.trim(), '-');
  });
});
