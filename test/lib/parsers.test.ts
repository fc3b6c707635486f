/**
 * The library's pure parsers on generated input: each file is rendered as
 * the kernel writes it from generated values and must parse back to them;
 * where two readers exist (a direct search and a whole-file parse) they
 * must agree; any text at all must parse without throwing. utmp records
 * are written by util-linux's utmpdump -r, an encoder that is not ours.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { splitStat } from '../../src/lib/procfs.js';
import { groupMaps, parseSmaps } from '../../src/lib/smaps.js';
import { busyPercent, countCpuList, parseCpuLines, statePercents } from '../../src/lib/system/cpu.js';
import { deviceFsTypes, parseDiskstats, parseMounts, unescapeMount } from '../../src/lib/system/disks.js';
import { parseUtmp } from '../../src/lib/system/host.js';
import { meminfoValue, parseMeminfoBytes, swapMemoryOf, virtualMemoryOf } from '../../src/lib/system/memory.js';
import { parseNetDev } from '../../src/lib/system/network.js';
import { sensorsBattery, sensorsFans, sensorsTemperatures } from '../../src/lib/system/sensors.js';
import { requirePeer } from '../helpers/peers.js';

const RUNS = { numRuns: 300 };
const u53 = fc.integer({ min: 0, max: 2 ** 40 });
const anyText = fc.string({ unit: fc.constantFrom('a', 'cpu', ' ', '\n', ':', '0', '9', 'kB', '-', '\t', 'é', '\\', ')', '('), maxLength: 200 });

test('parseCpuLines: the cpu lines of /proc/stat as the kernel prints them, the rest unread', () => {
  const ticks = fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 10, maxLength: 10 });
  fc.assert(
    fc.property(ticks, fc.array(ticks, { minLength: 1, maxLength: 8 }), (total, cpus) => {
      const text = `cpu  ${total.join(' ')}\n${cpus.map((c, i) => `cpu${i} ${c.join(' ')}\n`).join('')}intr 1 2 3 ${'0 '.repeat(50)}\nctxt 5\nbtime 1700000000\n`;
      const r = parseCpuLines(text);
      assert.deepEqual(
        Object.values(r.total),
        total.map((x) => x / 100),
      );
      assert.deepEqual(
        r.perCpu.map((c) => Object.values(c)),
        cpus.map((c) => c.map((x) => x / 100)),
      );
    }),
    RUNS,
  );
  fc.assert(
    fc.property(anyText, (t) => void parseCpuLines(t)),
    RUNS,
  );
});

test('busyPercent and statePercents: between 0 and 100, the states adding up to 100', () => {
  const times = fc.array(fc.integer({ min: 0, max: 10 ** 6 }), { minLength: 10, maxLength: 10 }).map((v) => parseCpuLines(`cpu  ${v.join(' ')}\n`).total);
  fc.assert(
    fc.property(times, times, (a, b) => {
      const busy = busyPercent(a, b);
      assert.ok(busy >= 0 && busy <= 100);
      const s = statePercents(a, b);
      const sum = Object.values(s).reduce((x, y) => x + y, 0) - s.guest - s.guestNice;
      // each state is rounded to a tenth: 10 of them may drift by 0.05 each
      assert.ok(sum === 0 || Math.abs(sum - 100) <= 0.5 + 1e-9, `sum ${sum}`);
    }),
    RUNS,
  );
});

test('countCpuList: a set of CPUs written as kernel ranges counts back to its size', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 60 }), (set) => {
      const sorted = [...set].sort((a, b) => a - b);
      const parts: string[] = [];
      for (let i = 0; i < sorted.length; ) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
        parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
        i = j + 1;
      }
      assert.equal(countCpuList(`${parts.join(',')}\n`), set.length);
    }),
    RUNS,
  );
});

const MEM_KEYS = [
  'MemTotal',
  'MemFree',
  'MemAvailable',
  'Buffers',
  'Cached',
  'SReclaimable',
  'Shmem',
  'Active',
  'Inactive',
  'Slab',
  'SwapTotal',
  'SwapFree',
  'HugePages_Total',
  'Active(anon)',
];

test('meminfo: the direct search and the whole-file parse agree on every key, present or not', () => {
  const entries = fc.uniqueArray(fc.tuple(fc.constantFrom(...MEM_KEYS), u53, fc.boolean()), { selector: (e) => e[0], maxLength: MEM_KEYS.length });
  fc.assert(
    fc.property(entries, (list) => {
      // sizes in kB, counts (HugePages_Total) without a unit, as meminfo writes them
      const text = list.map(([k, v, kb]) => `${`${k}:`.padEnd(16)}${String(v).padStart(8)}${kb ? ' kB' : ''}\n`).join('');
      const all = parseMeminfoBytes(text);
      for (const k of MEM_KEYS) assert.equal(meminfoValue(text, k), all.get(k), k);
      const vm = virtualMemoryOf(text);
      const get = (k: string) => all.get(k) ?? 0;
      assert.equal(vm.total, get('MemTotal'));
      assert.equal(vm.cached, get('Cached') + get('SReclaimable'));
      // a machine's free memory is within its total: then the used share is between 0 and 100
      if (get('MemFree') <= vm.total && get('MemAvailable') <= vm.total) assert.ok(vm.percent >= 0 && vm.percent <= 100, `percent ${vm.percent}`);
      const sw = swapMemoryOf(text, 'pswpin 3\npswpout 5\n');
      assert.deepEqual([sw.total, sw.free, sw.sin, sw.sout], [get('SwapTotal'), get('SwapFree'), 3 * 4096, 5 * 4096]);
    }),
    RUNS,
  );
  fc.assert(
    fc.property(anyText, (t) => void virtualMemoryOf(t)),
    RUNS,
  );
});

/** mount's escaping of a path in /proc/self/mounts */
const escapeMount = (s: string) => s.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

test('parseMounts: paths with spaces, tabs, newlines and backslashes come back whole', () => {
  const path = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\t', '\n', '\\', '/', 'é'), minLength: 1, maxLength: 20 }).map((s) => `/${s}`);
  const mount = fc.record({
    device: fc.oneof(path, fc.constant('none'), fc.constant('tmpfs')),
    mountpoint: path,
    fstype: fc.constantFrom('ext4', 'tmpfs', 'proc', 'xfs'),
    opts: fc.constantFrom('rw,relatime', 'ro'),
  });
  fc.assert(
    fc.property(fc.array(mount, { maxLength: 8 }), (mounts) => {
      const text = mounts.map((m) => `${escapeMount(m.device)} ${escapeMount(m.mountpoint)} ${m.fstype} ${m.opts} 0 0\n`).join('');
      assert.deepEqual(
        parseMounts(text),
        mounts.map((m) => ({ ...m, device: m.device === 'none' ? '' : m.device })),
      );
      for (const m of mounts) assert.equal(unescapeMount(escapeMount(m.mountpoint)), m.mountpoint);
    }),
    RUNS,
  );
  assert.deepEqual([...deviceFsTypes('nodev\tsysfs\nnodev\ttmpfs\n\text4\n\txfs\nnodev\tzfs\n')].sort(), ['ext4', 'xfs', 'zfs']);
});

test('parseDiskstats and parseNetDev: counters as the kernel prints them', () => {
  const name = fc.stringMatching(/^[a-z]{2,4}[0-9]{0,2}$/);
  const counters = fc.array(u53, { minLength: 17, maxLength: 17 });
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(name, counters), { selector: (d) => d[0], maxLength: 6 }), (disks) => {
      const text = disks.map(([n, c], i) => `${String(8).padStart(4)} ${String(i).padStart(7)} ${n} ${c.join(' ')}\n`).join('');
      const got = parseDiskstats(text);
      for (const [n, c] of disks) {
        assert.deepEqual(got.get(n), {
          readCount: c[0],
          writeCount: c[4],
          readBytes: c[2] * 512,
          writeBytes: c[6] * 512,
          readTime: c[3],
          writeTime: c[7],
          readMergedCount: c[1],
          writeMergedCount: c[5],
          busyTime: c[9],
        });
      }
    }),
    RUNS,
  );
  const nic = fc.stringMatching(/^[a-z][a-z0-9.@-]{0,14}$/);
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(nic, fc.array(u53, { minLength: 16, maxLength: 16 })), { selector: (d) => d[0], maxLength: 6 }), (nics) => {
      const head =
        'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
      const text = head + nics.map(([n, c]) => `${n.padStart(6)}: ${c.map((x) => String(x).padStart(8)).join(' ')}\n`).join('');
      const got = parseNetDev(text);
      assert.equal(got.size, nics.length);
      for (const [n, c] of nics) {
        assert.deepEqual(got.get(n), {
          bytesSent: c[8],
          bytesRecv: c[0],
          packetsSent: c[9],
          packetsRecv: c[1],
          errin: c[2],
          errout: c[10],
          dropin: c[3],
          dropout: c[11],
        });
      }
    }),
    RUNS,
  );
  fc.assert(
    fc.property(anyText, (t) => void [parseDiskstats(t), parseNetDev(t)]),
    RUNS,
  );
});

test('parseSmaps and groupMaps: every mapping back with its sizes; groups are the sums by path', () => {
  const SIZES = ['Size', 'Rss', 'Pss', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean', 'Private_Dirty', 'Referenced', 'Anonymous', 'Swap'];
  const path = fc.constantFrom('', '/usr/lib/libc.so.6', '[heap]', '[stack]', '/tmp/a file', '/gone (deleted)');
  const mapping = fc.record({
    path,
    sizes: fc.array(fc.integer({ min: 0, max: 2 ** 30 }), { minLength: 10, maxLength: 10 }),
    perms: fc.constantFrom('r-xp', 'rw-p', 'r--s'),
  });
  fc.assert(
    fc.property(fc.array(mapping, { maxLength: 12 }), (maps) => {
      let addr = 0x400000;
      const text = maps
        .map((m) => {
          const a = `${addr.toString(16)}-${(addr + 4096).toString(16)}`;
          addr += 8192;
          const head = `${a} ${m.perms} 00000000 08:01 ${m.path ? 1234 : 0}${m.path ? ` ${' '.repeat(20)}${m.path}` : ''}`;
          return `${head}\n${SIZES.map((k, i) => `${`${k}:`.padEnd(16)}${String(m.sizes[i]).padStart(8)} kB`).join('\n')}\nVmFlags: rd ex mr mw me\n`;
        })
        .join('');
      // a path ending in " (deleted)" keeps the suffix only while a file of that name exists
      const got = parseSmaps(text, () => false);
      assert.equal(got.length, maps.length);
      got.forEach((g, i) => {
        const want = maps[i].path === '' ? '[anon]' : maps[i].path.replace(/ \(deleted\)$/, '');
        assert.equal(g.path, want);
        assert.equal(g.perms, maps[i].perms);
        assert.equal(g.size, maps[i].sizes[0] * 1024);
        assert.equal(g.swap, maps[i].sizes[9] * 1024);
      });
      const groups = groupMaps(got);
      assert.equal(new Set(got.map((g) => g.path)).size, groups.length);
      for (const g of groups)
        assert.equal(
          g.rss,
          got.filter((m) => m.path === g.path).reduce((s, m) => s + m.rss, 0),
        );
    }),
    RUNS,
  );
  fc.assert(
    fc.property(anyText, (t) => void groupMaps(parseSmaps(t, () => true))),
    RUNS,
  );
});

test('splitStat: the command name may hold spaces, parentheses and UTF-8', () => {
  const comm = fc.string({ unit: fc.constantFrom('a', ' ', '(', ')', ') S 1 (', 'é'), maxLength: 15 });
  fc.assert(
    fc.property(comm, fc.array(u53, { minLength: 50, maxLength: 50 }), (c, nums) => {
      // the line as the library reads it: the kernel's bytes (UTF-8) as latin1 text
      const st = splitStat(Buffer.from(`42 (${c}) S ${nums.join(' ')}\n`, 'utf8').toString('latin1'));
      assert.equal(st?.comm, c);
      assert.equal(st?.f[0], 'S');
      assert.equal(Number(st?.f[19]), nums[18]);
    }),
    RUNS,
  );
});

test('parseUtmp: records written by utmpdump -r, and what who(1) reads from them', (t) => {
  const utmpdump = requirePeer(t, 'utmpdump', 'util-linux');
  const who = requirePeer(t, 'who', 'coreutils');
  if (!utmpdump || !who) return;
  const dir = mkdtempSync(join(tmpdir(), 'dk-utmp-'));
  try {
    const user = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
    const record = fc.record({
      type: fc.constantFrom(7, 7, 8, 1),
      pid: fc.integer({ min: 1, max: 4194304 }),
      user,
      line: fc.constantFrom('pts/0', 'pts/12', 'tty1', ':0'),
      host: fc.constantFrom('', '10.0.0.1', 'example.org', ':0', ':0.0'),
      at: fc.integer({ min: 1_000_000_000, max: 2_000_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 6 }), (records) => {
        const text = records
          .map(
            (r) =>
              `[${r.type}] [${String(r.pid).padStart(5, '0')}] [ts/0] [${r.user.padEnd(8)}] [${r.line.padEnd(12)}] [${r.host.padEnd(20)}] [0.0.0.0        ] [${new Date(r.at * 1000).toISOString().replace(/\.\d+Z$/, ',000000+00:00')}]\n`,
          )
          .join('');
        const bin = spawnSync(utmpdump, ['-r'], { input: text });
        assert.equal(bin.status, 0, bin.stderr.toString());
        const got = parseUtmp(bin.stdout);
        const users = records.filter((r) => r.type === 7);
        assert.deepEqual(
          got,
          users.map((r) => ({ name: r.user, terminal: r.line, host: r.host === ':0' || r.host === ':0.0' ? 'localhost' : r.host, started: r.at, pid: r.pid })),
        );
        // who lists the same sessions
        const file = join(dir, 'utmp');
        writeFileSync(file, bin.stdout);
        const lines = spawnSync(who, [file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } })
          .stdout.split('\n')
          .filter(Boolean);
        assert.deepEqual(
          lines.map((l) => l.split(/\s+/).slice(0, 2)),
          got.map((u) => [u.name, u.terminal]),
        );
      }),
      { numRuns: 40 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sensors: a sysfs tree with hwmon chips, thermal zones and a battery', () => {
  const root = mkdtempSync(join(tmpdir(), 'dk-sys-'));
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  };
  try {
    assert.deepEqual(sensorsTemperatures({ sysRoot: root }), {});
    assert.equal(sensorsBattery({ sysRoot: root }), undefined);
    // thermal zones only: read when hwmon has no temperatures
    put('class/thermal/thermal_zone0/temp', '45000');
    put('class/thermal/thermal_zone0/type', 'acpitz');
    put('class/thermal/thermal_zone0/trip_point_0_type', 'critical');
    put('class/thermal/thermal_zone0/trip_point_0_temp', '105000');
    assert.deepEqual(sensorsTemperatures({ sysRoot: root }), { acpitz: [{ label: '', current: 45, high: undefined, critical: 105 }] });
    put('class/hwmon/hwmon0/name', 'coretemp');
    put('class/hwmon/hwmon0/temp1_input', '52000');
    put('class/hwmon/hwmon0/temp1_label', 'Package id 0');
    put('class/hwmon/hwmon0/temp1_max', '80000');
    put('class/hwmon/hwmon0/temp1_crit', '100000');
    put('class/hwmon/hwmon0/temp2_input', '49500');
    put('class/hwmon/hwmon1/name', 'thinkpad');
    put('class/hwmon/hwmon1/fan1_input', '2900');
    assert.deepEqual(sensorsTemperatures({ sysRoot: root }), {
      coretemp: [
        { label: 'Package id 0', current: 52, high: 80, critical: 100 },
        { label: '', current: 49.5, high: undefined, critical: undefined },
      ],
    });
    assert.deepEqual(sensorsFans({ sysRoot: root }), { thinkpad: [{ label: '', current: 2900 }] });
    put('class/power_supply/BAT0/energy_now', '30000000');
    put('class/power_supply/BAT0/energy_full', '60000000');
    put('class/power_supply/BAT0/power_now', '10000000');
    put('class/power_supply/BAT0/status', 'Discharging');
    assert.deepEqual(sensorsBattery({ sysRoot: root }), { percent: 50, secsleft: 10800, powerPlugged: false });
    put('class/power_supply/AC/online', '1');
    assert.deepEqual(sensorsBattery({ sysRoot: root }), { percent: 50, secsleft: -2, powerPlugged: true });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
