/** Runlevels, boot parameters, shutdown times and utmp: the pure parts of init's classic commands. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bootTargetOf, resolveTargetAlias, runlevelOfTarget, targetName, targetOfRunlevel } from '../../src/init/runlevel.js';
import { parseWhen } from '../../src/init/when.js';
import { parseUtmp, USER_PROCESS, utmpRecord, wallText } from '../../src/init/wall.js';

test('runlevels and targets, both ways (systemd mapping)', () => {
  assert.deepEqual(['0', '1', 's', 'S', '2', '3', '4', '5', '6', '7', 'q'].map(targetOfRunlevel), [
    'poweroff.target',
    'rescue.target',
    'rescue.target',
    'rescue.target',
    'multi-user.target',
    'multi-user.target',
    'multi-user.target',
    'graphical.target',
    'reboot.target',
    undefined,
    undefined,
  ]);
  assert.deepEqual(
    ['poweroff.target', 'rescue.target', 'multi-user.target', 'runlevel2.target', 'graphical.target', 'reboot.target', 'getty.target', undefined].map(
      runlevelOfTarget,
    ),
    ['0', '1', '3', '3', '5', '6', undefined, undefined],
  );
  assert.equal(resolveTargetAlias('runlevel5.target'), 'graphical.target');
  assert.deepEqual(['rescue', '3', 'single', 'multi-user', 'runlevel1.target', 'getty.target'].map(targetName), [
    'rescue.target',
    'multi-user.target',
    'rescue.target',
    'multi-user.target',
    'rescue.target',
    'getty.target',
  ]);
});

test('boot parameters: single-user, emergency, runlevels, systemd.unit=; the last one wins; the rest is not ours', () => {
  const table: [string, string | undefined][] = [
    ['BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet', undefined],
    ['root=/dev/vda1 single', 'rescue.target'],
    ['ro S', 'rescue.target'],
    ['ro s', 'rescue.target'],
    ['ro 1', 'rescue.target'],
    ['rescue', 'rescue.target'],
    ['emergency', 'emergency.target'],
    ['-b', 'emergency.target'],
    ['ro 3', 'multi-user.target'],
    ['5', 'graphical.target'],
    ['systemd.unit=rescue.target', 'rescue.target'],
    ['systemd.unit=runlevel3.target', 'multi-user.target'],
    ['init=/sbin/dk systemd.unit=getty.target', 'getty.target'],
    ['single 3', 'multi-user.target'],
    ['6', undefined],
    ['systemd.unit=', undefined],
  ];
  for (const [line, want] of table) assert.equal(bootTargetOf(line), want, line);
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => void bootTargetOf(s)));
});

test('shutdown times: now, +minutes, HH:MM today or tomorrow, errors', () => {
  const now = new Date(2026, 11, 1, 10, 30, 15);
  assert.equal(parseWhen('now', now), now.getTime());
  assert.equal(parseWhen('+5', now), now.getTime() + 300_000);
  assert.equal(parseWhen('11:00', now), new Date(2026, 11, 1, 11, 0).getTime());
  assert.equal(parseWhen('10:30', now), new Date(2026, 11, 2, 10, 30).getTime(), 'a minute already begun is tomorrow');
  assert.equal(parseWhen('0:05', now), new Date(2026, 11, 2, 0, 5).getTime());
  assert.deepEqual(parseWhen('25:00', now), { error: "'25:00': hours 0-23 and minutes 0-59" });
  assert.deepEqual(parseWhen('soon', now), { error: "'soon' is not a time (now, +MINUTES or HH:MM)" });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), (h, m) => {
      const at = parseWhen(`${h}:${String(m).padStart(2, '0')}`, now) as number;
      assert.ok(at > now.getTime() && at - now.getTime() <= 86_400_000 + 3_600_000);
      assert.equal(new Date(at).getHours(), h);
      assert.equal(new Date(at).getMinutes(), m);
    }),
  );
});

test('utmp records round-trip; a short tail is dropped; wall text has CR LF line ends', () => {
  const e = { type: USER_PROCESS, pid: 4242, line: 'pts/7', user: 'alice', host: '192.0.2.1' };
  const two = Buffer.concat([utmpRecord(e), utmpRecord({ ...e, type: 8, line: 'tty1', user: 'LOGIN' }), Buffer.alloc(100)]);
  assert.deepEqual(parseUtmp(two), [e, { ...e, type: 8, line: 'tty1', user: 'LOGIN' }]);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => assert.equal(parseUtmp(Buffer.from(b)).length, Math.floor(b.length / 384))));
  const t = wallText('going down\nsoon', 'root', new Date(0));
  assert.match(t, /^\r\nBroadcast message from root@[^ ]+ \(Thu, 01 Jan 1970 00:00:00 GMT\):\r\n\r\ngoing down\r\nsoon\r\n\r\n$/);
});
