/** mountinfo as a shutting-down init reads it: what to unmount, in which order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseMountinfo, unmountOrder } from '../../src/init/mounts.js';

const SAMPLE = [
  '22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '23 1 0:22 / /sys rw,nosuid shared:2 - sysfs sysfs rw',
  '24 1 0:5 / /dev rw,nosuid shared:3 - devtmpfs udev rw,size=4000k',
  '25 24 0:23 / /dev/pts rw - devpts devpts rw,gid=5',
  '26 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '30 26 0:30 / /srv/data\\040set rw shared:20 master:3 - tmpfs tmpfs rw,size=1024k',
  '31 30 0:31 / /srv/data\\040set/inner rw - tmpfs tmpfs rw',
  '32 26 254:2 / /home rw - ext4 /dev/vda2 rw',
  '33 26 0:32 / /home rw - tmpfs tmpfs rw',
  'garbage line',
].join('\n');

test('mountinfo: paths unescaped, optional fields skipped, malformed lines dropped', () => {
  const m = parseMountinfo(SAMPLE);
  assert.equal(m.length, 9);
  assert.deepEqual(m[5], { id: 30, parent: 26, path: '/srv/data set', fstype: 'tmpfs', options: 'rw' });
});

test('unmount order: deepest first, the upper of two on one path first, root and API file systems kept', () => {
  assert.deepEqual(
    unmountOrder(parseMountinfo(SAMPLE)).map((m) => `${m.id} ${m.path}`),
    ['31 /srv/data set/inner', '30 /srv/data set', '33 /home', '32 /home'],
  );
});

test('any text parses without throwing; every mount in the order comes after the mounts below it', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (t) => void unmountOrder(parseMountinfo(t))));
  const seg = fc.constantFrom('a', 'b', 'c');
  fc.assert(
    fc.property(fc.array(fc.array(seg, { minLength: 1, maxLength: 4 }), { maxLength: 12 }), (paths) => {
      const text = paths.map((p, i) => `${i + 10} 1 0:1 / /${p.join('/')} rw - tmpfs tmpfs rw`).join('\n');
      const order = unmountOrder(parseMountinfo(text)).map((m) => m.path);
      for (let i = 0; i < order.length; i++)
        for (let j = i + 1; j < order.length; j++) assert.ok(!order[j].startsWith(`${order[i]}/`), `${order[i]} unmounted before ${order[j]} under it`);
    }),
  );
});

test("this machine's own mountinfo parses whole", () => {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.equal(parseMountinfo(text).length, text.trim().split('\n').length);
});
