/**
 * Every parser and wire decoder, as a fuzz target: bytes in, the entry
 * point the daemon or tool calls, with the error handling it has around
 * it. Anything thrown past that is a crash. Inputs are random bytes, or a
 * real example mutated (bits flipped, bytes inserted, cut, repeated, or
 * spliced with another example), so most cases get past the first check.
 * `npm run fuzz` drives each with 1,000,000 cases; the test suite with a
 * few thousand (test/fuzz/targets.test.ts).
 */
import fc from 'fast-check';
import { parseMessage } from '../../src/syslog/protocol/parse.js';
import { scan3164, type Scan } from '../../src/syslog/protocol/fast3164.js';
import { FrameDecoder, octetFrame } from '../../src/syslog/protocol/framing.js';
import { parseAcks, isAckRequest, ACK_REQUEST } from '../../src/syslog/forward/ack.js';
import { decodeRecords, encodeRecords } from '../../src/syslog/forward/segment.js';
import { parseConfig } from '../../src/syslog/config/conf.js';
import { decodeMessage, encodeCall, NULL_AUTH } from '../../src/rpc/message.js';
import { RecordDecoder, encodeRecord } from '../../src/rpc/record.js';
import { PortMapper } from '../../src/rpcbind/procs.js';
import { Registry } from '../../src/rpcbind/registry.js';
import { Stats } from '../../src/rpcbind/stats.js';
import { parseInetdConf } from '../../src/inetd/config/inetdconf.js';
import { parseXinetd } from '../../src/inetd/config/xinetd.js';
import { parseServices } from '../../src/inetd/config/services.js';
import { parseWrappers, hostsAccess } from '../../src/inetd/access/tcpwrappers.js';
import { loadUnit } from '../../src/init/units/unit.js';
import { parseLsb } from '../../src/init/units/lsb.js';
import { parseMountinfo } from '../../src/init/mounts.js';
import { ElfError, parseElf } from '../../src/execinfo/elf.js';
import { parseShebang, ShebangError } from '../../src/execinfo/shebang.js';
import { parseStat } from '../../src/proc/parse/stat.js';
import { parseStatus, parseStatusBytes } from '../../src/proc/parse/status.js';
import { parseSmapsRollup, parseIo } from '../../src/proc/parse/accounting.js';
import { parseMaps } from '../../src/proc/fds.js';
import { parseInetTable, parseUnixTable } from '../../src/proc/net.js';
import { hostFacts } from '../../src/init/units/specifiers.js';
import { parseCpuLines, countCpuList } from '../../src/lib/system/cpu.js';
import { swapMemoryOf, virtualMemoryOf } from '../../src/lib/system/memory.js';
import { deviceFsTypes, parseDiskstats, parseMounts } from '../../src/lib/system/disks.js';
import { parseNetDev } from '../../src/lib/system/network.js';
import { parseUtmp } from '../../src/lib/system/host.js';
import { groupMaps, parseSmaps } from '../../src/lib/smaps.js';
import { splitStat } from '../../src/lib/procfs.js';

export interface Target {
  name: string;
  /** real inputs the mutations start from */
  seeds: Buffer[];
  /** one case; throws only on a crash */
  run(input: Buffer): void;
}

const b = (s: string) => Buffer.from(s, 'latin1');
const text = (x: Buffer) => x.toString('latin1');

const SYSLOG_LINES = [
  '<13>Dec  1 06:00:00 host app[42]: hello world',
  "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
  '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] %% It\'s time to make the do-nuts.',
  "<0>Oct 22 10:52:12 scapegoat.dmz.example.org sched[0]: That's All Folks!",
  'no pri at all',
  '<191>kernel: [ 12.3] usb 1-1: new device',
];
const STAT =
  '1234 (my (odd) prog) S 1 1234 1234 34816 1234 4194304 123 0 0 0 5 3 0 0 20 0 1 0 12345 12345678 456 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0';
const STATUS =
  'Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nNgid:\t0\nPid:\t42\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t256\nGroups:\t0 4 27 \nVmPeak:\t  10000 kB\nVmSize:\t   9000 kB\nVmLck:\t      0 kB\nVmRSS:\t   4000 kB\nVmData:\t   1000 kB\nVmStk:\t    132 kB\nThreads:\t1\nSigQ:\t0/31000\nCapEff:\t000001ffffffffff\nvoluntary_ctxt_switches:\t10\nnonvoluntary_ctxt_switches:\t2\n';
const MAPS =
  '55d0c0a00000-55d0c0a2e000 r--p 00000000 08:01 1310727                    /usr/bin/bash\n7ffd1c7e5000-7ffd1c806000 rw-p 00000000 00:00 0                          [stack]\n7f1e2d000000-7f1e2d021000 r-xp 00000000 00:00 0 \n';
const NET_TCP =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21012 1 0000000000000000 100 0 0 10 0\n';
const NET_UNIX = 'Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 20374 /run/systemd/notify\n';
const MOUNTINFO =
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n35 22 0:32 / /tmp rw,nosuid,nodev shared:15 - tmpfs tmpfs rw,size=1024k\n40 35 0:33 /a\\040b /tmp/x\\040y rw - tmpfs none rw\n';
const SYSLOG_CONF =
  '*.info;mail.none;authpriv.none;cron.none /var/log/messages\nauthpriv.* /var/log/secure\nmail.* -/var/log/maillog\n*.emerg :omusrmsg:*\nlocal7.* /var/log/boot.log\n*.* @@(o)loghost:514\n$IncludeConfig /nonexistent/*.conf\nkern.=debug;*.!crit ~\n';
const INETD_CONF =
  'echo stream tcp nowait root internal\ndaytime dgram udp wait root internal\n127.0.0.1:ftp stream tcp nowait.200 root /usr/sbin/tcpd in.ftpd -l -a\n[::1]:telnet stream tcp6 nowait telnetd:tty /usr/sbin/in.telnetd in.telnetd\n';
const XINETD_CONF =
  'defaults\n{\n  instances = 60\n  log_type = SYSLOG authpriv\n  log_on_success = HOST PID\n}\nservice echo\n{\n  type = INTERNAL\n  id = echo-stream\n  socket_type = stream\n  protocol = tcp\n  user = root\n  wait = no\n  only_from = 127.0.0.1 10.0.0.0/8\n  access_times = 08:00-17:30\n  per_source = 5\n  cps = 50 10\n}\n';
const SERVICES = 'echo\t\t7/tcp\necho\t\t7/udp\nftp\t\t21/tcp\nssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol\nsunrpc\t\t111/tcp\t\tportmapper\n';
const WRAPPERS =
  'ALL: LOCAL, .example.com EXCEPT bad.example.com\nin.telnetd: 192.168.1. 10.0.0.0/255.0.0.0 [::1]/64\nrpcbind: ALL EXCEPT 10.1.1.1 : deny\nsshd: KNOWN UNKNOWN PARANOID\n';
const UNIT =
  '[Unit]\nDescription=Demo %n on %H\nRequires=a.service\nAfter=a.service network.target\n\n[Service]\nType=notify\nExecStart=/bin/sh -c \'echo "hi $$" ; date +%%s\'\nExecStop=-/bin/kill -TERM $MAINPID\nRestart=on-failure\nRestartSec=500ms\nEnvironment="A=1 2" B=3\nUser=nobody\n\n[Install]\nWantedBy=multi-user.target\nAlias=demo2.service\n';
const LSB =
  '#!/bin/sh\n### BEGIN INIT INFO\n# Provides:          demo\n# Required-Start:    $remote_fs $syslog\n# Required-Stop:     $remote_fs $syslog\n# Default-Start:     2 3 4 5\n# Default-Stop:      0 1 6\n# Short-Description: demo\n# Description:       a demo\n#                    on two lines\n### END INIT INFO\n';

/** a small valid 64-bit ELF: header, one PT_LOAD, three section headers with a string table */
function tinyElf(): Buffer {
  const e = Buffer.alloc(64 + 56 + 64 * 3 + 32);
  e.write('\x7fELF', 0, 'latin1');
  e[4] = 2;
  e[5] = 1;
  e[6] = 1;
  e.writeUInt16LE(2, 16);
  e.writeUInt16LE(62, 18);
  e.writeUInt32LE(1, 20);
  e.writeBigUInt64LE(0x401000n, 24);
  e.writeBigUInt64LE(64n, 32);
  e.writeBigUInt64LE(BigInt(64 + 56), 40);
  e.writeUInt16LE(64, 52);
  e.writeUInt16LE(56, 54);
  e.writeUInt16LE(1, 56);
  e.writeUInt16LE(64, 58);
  e.writeUInt16LE(3, 60);
  e.writeUInt16LE(2, 62);
  e.writeUInt32LE(1, 64);
  const strtab = 64 + 56 + 64 * 3;
  e.write('\0.text\0.shstrtab\0', strtab, 'latin1');
  const sh = (i: number, name: number, type: number, off: number, size: number) => {
    const p = 64 + 56 + 64 * i;
    e.writeUInt32LE(name, p);
    e.writeUInt32LE(type, p + 4);
    e.writeBigUInt64LE(BigInt(off), p + 24);
    e.writeBigUInt64LE(BigInt(size), p + 32);
  };
  sh(1, 1, 1, 0, 16);
  sh(2, 7, 3, strtab, 17);
  return e;
}

function rpcCall(prog: number, vers: number, proc: number, args: Buffer): Buffer {
  return encodeCall({ xid: 7, prog, vers, proc, cred: NULL_AUTH, verf: NULL_AUTH, args });
}
const u32 = (...v: number[]) => {
  const out = Buffer.alloc(v.length * 4);
  for (const [i, x] of v.entries()) out.writeUInt32BE(x >>> 0, i * 4);
  return out;
};

let rejected: Error | undefined;
const pm = new PortMapper(new Registry(), new Stats(), { insecure: false, remoteCalls: false });
const scan: Scan = { pri: 0, hostStart: 0, hostEnd: 0, restStart: 0, end: 0 };
const host = hostFacts();
/** a stream of bytes cut where the case's first bytes say, as TCP would deliver it */
function chunks(x: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 1;
  let k = 0;
  while (p < x.length) {
    const n = 1 + (((x[0] ?? 0) * 31 + k++ * 17) % 97);
    out.push(x.subarray(p, p + n));
    p += n;
  }
  return out;
}

export const TARGETS: Target[] = [
  {
    name: 'syslog message (RFC 3164/5424)',
    seeds: SYSLOG_LINES.map(b),
    run: (x) => {
      const m = parseMessage(x, { maxSize: 8192 });
      if (m.facility < 0 || m.facility > 23 || m.severity < 0 || m.severity > 7) throw new Error(`PRI out of range: ${m.facility}.${m.severity}`);
    },
  },
  {
    name: 'syslog fast RFC 3164 scan',
    seeds: SYSLOG_LINES.map(b),
    run: (x) => {
      if (scan3164(x, 0, x.length, scan) && !(scan.restStart <= scan.end && scan.end <= x.length)) throw new Error('scan out of bounds');
    },
  },
  {
    name: 'syslog TCP framing (octet counting, LF)',
    seeds: [Buffer.concat(SYSLOG_LINES.map((l) => octetFrame(l))), b(`${SYSLOG_LINES.join('\n')}\n`), b('12 <13>hello\n999999999999 x')],
    run: (x) => {
      const d = new FrameDecoder(256);
      for (const c of chunks(x)) for (const f of d.push(c)) if (f.data.length > 256) throw new Error(`frame of ${f.data.length} bytes past the 256 limit`);
    },
  },
  {
    name: 'forwarding acknowledgements',
    seeds: [b('ACK 5\nACK 12\nAC'), ACK_REQUEST],
    run: (x) => {
      parseAcks(text(x));
      isAckRequest(x, 0, x.length);
    },
  },
  {
    name: 'disk-queue segment',
    seeds: [encodeRecords(SYSLOG_LINES.map((l) => octetFrame(l))), Buffer.concat(SYSLOG_LINES.map((l) => octetFrame(l)))],
    run: (x) => {
      const d = decodeRecords(x);
      for (const [s, e] of d.bad) if (s < 0 || e > x.length || s >= e) throw new Error('bad range out of bounds');
    },
  },
  {
    name: 'syslog.conf',
    seeds: [b(SYSLOG_CONF)],
    run: (x) => void parseConfig(text(x), '/fuzz/syslog.conf'),
  },
  {
    name: 'RPC message (XDR)',
    seeds: [rpcCall(100000, 2, 3, u32(100003, 3, 17, 0)), rpcCall(100000, 4, 4, Buffer.alloc(0)), u32(7, 1, 0, 0, 0, 0, 0)],
    run: (x) => void decodeMessage(x),
  },
  {
    name: 'rpcbind call handling (every procedure)',
    seeds: [
      rpcCall(100000, 2, 3, u32(100003, 3, 17, 0)),
      rpcCall(100000, 2, 1, u32(300001, 1, 17, 999)),
      rpcCall(100000, 3, 3, Buffer.concat([u32(100000, 3, 3), b('udp\0'), u32(0, 0)])),
      rpcCall(100000, 4, 11, Buffer.concat([u32(100000, 4, 4), b('tcp\0'), u32(0, 0)])),
      rpcCall(100000, 2, 5, u32(100000, 2, 0, 0)),
    ],
    run: (x) => {
      // a remote call's answer is a promise: its rejection is reported at the next case
      if (rejected) throw rejected;
      for (const netid of ['udp', 'tcp']) {
        const r = pm.handle(x, { netid, local: false, from: '192.0.2.1:1', addr: '192.0.2.1', requestSize: x.length, localHost: '127.0.0.1' });
        if (r instanceof Promise) r.catch((e: unknown) => (rejected = e as Error));
      }
    },
  },
  {
    name: 'RPC record marking (TCP)',
    seeds: [Buffer.concat([encodeRecord(rpcCall(100000, 2, 0, Buffer.alloc(0))), encodeRecord(rpcCall(100000, 2, 4, Buffer.alloc(0)), 8)])],
    run: (x) => {
      const d = new RecordDecoder(4096);
      for (const c of chunks(x)) if ('error' in d.push(c)) return;
    },
  },
  {
    name: 'inetd.conf',
    seeds: [b(INETD_CONF)],
    run: (x) => void parseInetdConf(text(x), '/fuzz/inetd.conf', parseServices(SERVICES)),
  },
  {
    name: 'xinetd.conf',
    seeds: [b(XINETD_CONF)],
    run: (x) => {
      const t = text(x);
      parseXinetd('/fuzz/xinetd.conf', { read: (p) => (p === '/fuzz/xinetd.conf' ? t : undefined), list: () => undefined }, parseServices(SERVICES));
    },
  },
  {
    name: 'services',
    seeds: [b(SERVICES)],
    run: (x) => void parseServices(text(x)),
  },
  {
    name: 'hosts.allow / hosts.deny',
    seeds: [b(WRAPPERS)],
    run: (x) => {
      const { rules } = parseWrappers(text(x), '/fuzz/hosts.allow');
      hostsAccess(rules, rules, 'rpcbind', { addr: '10.1.1.1' });
      hostsAccess(rules, [], 'in.telnetd', { addr: '::1', name: 'bad.example.com' });
    },
  },
  {
    name: 'unit file',
    seeds: [b(UNIT)],
    run: (x) => void loadUnit('demo@a-b.service', text(x), '/fuzz/demo@.service', { host }),
  },
  {
    name: 'LSB init script header',
    seeds: [b(LSB)],
    run: (x) => void parseLsb(text(x), '/fuzz/demo'),
  },
  {
    name: 'ELF header and sections',
    seeds: [tinyElf()],
    run: (x) => {
      try {
        parseElf(x);
      } catch (e) {
        if (!(e instanceof ElfError)) throw e;
      }
    },
  },
  {
    name: 'shebang line',
    seeds: [b('#!/bin/sh -e\n'), b('#! /usr/bin/env python3\nprint(1)\n'), b('#!/usr/bin/env -S node --max-old-space-size=64\n')],
    run: (x) => {
      try {
        parseShebang(x);
      } catch (e) {
        if (!(e instanceof ShebangError)) throw e;
      }
    },
  },
  {
    name: '/proc/PID/stat',
    seeds: [b(STAT)],
    run: (x) => void parseStat(text(x)),
  },
  {
    name: '/proc/PID/status',
    seeds: [b(STATUS)],
    run: (x) => {
      parseStatus(text(x));
      parseStatusBytes(x, { uid: true, gid: true, groups: true });
    },
  },
  {
    name: '/proc/PID/maps, smaps_rollup, io',
    seeds: [
      b(MAPS),
      b('Rss:  100 kB\nPss:  50 kB\nSwap: 0 kB\n'),
      b('rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\nwrite_bytes: 6\ncancelled_write_bytes: 0\n'),
    ],
    run: (x) => {
      const t = text(x);
      parseMaps(t);
      parseSmapsRollup(t);
      parseIo(t);
    },
  },
  {
    name: '/proc/net tables',
    seeds: [b(NET_TCP), b(NET_UNIX)],
    run: (x) => {
      const t = text(x);
      parseInetTable(t, 'TCP', 4);
      parseInetTable(t, 'UDP', 6);
      parseUnixTable(t);
    },
  },
  {
    name: '/proc/PID/mountinfo',
    seeds: [b(MOUNTINFO)],
    run: (x) => void parseMountinfo(text(x)),
  },
  {
    name: 'library: /proc/stat cpu lines, meminfo, vmstat, cpu lists',
    seeds: [
      b('cpu  4705 356 584 3699 23 23 0 0 0 0\ncpu0 1393 280 278 1745 12 2 0 0 0 0\nintr 1 2 3\nctxt 10\nbtime 1700000000\n'),
      b('MemTotal:       24683548 kB\nMemFree:        24066220 kB\nMemAvailable:   24067864 kB\nSwapTotal: 0 kB\nHugePages_Total:       0\n'),
      b('pswpin 1\npswpout 2\n0-3,8-11\n'),
    ],
    run: (x) => {
      const t = text(x);
      parseCpuLines(t);
      virtualMemoryOf(t);
      swapMemoryOf(t, t);
      countCpuList(t);
    },
  },
  {
    name: 'library: mounts, filesystems, diskstats, net/dev',
    seeds: [
      b('/dev/vda1 / ext4 rw,relatime 0 0\nnone /a\\040b tmpfs rw 0 0\nnodev\tsysfs\n\text4\n'),
      b('   8       0 sda 10 2 300 4 5 6 700 8 0 9 10 0 0 0 0 0 0\n'),
      b(
        'Inter-|   Receive\n face |bytes\n    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0\n',
      ),
    ],
    run: (x) => {
      const t = text(x);
      parseMounts(t);
      deviceFsTypes(t);
      parseDiskstats(t);
      parseNetDev(t);
    },
  },
  {
    name: 'library: smaps, stat (split), utmp records',
    seeds: [
      b(
        '00400000-00452000 r-xp 00000000 08:01 1234       /usr/bin/a (deleted)\nSize:  328 kB\nRss:  300 kB\nPss: 100 kB\nVmFlags: rd ex\n7f00-7f10 rw-p 00000000 00:00 0 \nSwap: 4 kB\n',
      ),
      b(STAT),
      Buffer.concat([Buffer.from([7, 0, 0, 0, 57, 48, 0, 0]), Buffer.alloc(376, 0x41)]),
    ],
    run: (x) => {
      groupMaps(parseSmaps(text(x), () => false));
      splitStat(text(x));
      parseUtmp(x);
    },
  },
];

/** one case: random bytes, or a seed mutated; as a fast-check arbitrary */
export function inputs(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  const edit = fc.tuple(
    fc.integer({ min: 0, max: 5 }),
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 1, max: 64 }),
  );
  const mutated = fc.tuple(fc.nat(seeds.length - 1), fc.nat(seeds.length - 1), fc.array(edit, { minLength: 1, maxLength: 8 })).map(([i, j, edits]) => {
    let x = Buffer.from(seeds[i]);
    for (const [op, at, byte, len] of edits) {
      const p = Math.floor(at * x.length);
      if (op === 0 && x.length) x[Math.min(p, x.length - 1)] ^= 1 << (byte & 7);
      else if (op === 1) x = Buffer.concat([x.subarray(0, p), Buffer.alloc(len, byte), x.subarray(p)]);
      else if (op === 2) x = Buffer.concat([x.subarray(0, p), x.subarray(p + len)]);
      else if (op === 3) x = Buffer.concat([x.subarray(0, p), x.subarray(p, p + len), x.subarray(p)]);
      else if (op === 4) x = Buffer.concat([x.subarray(0, p), seeds[j].subarray(Math.floor(at * seeds[j].length))]);
      else x = x.subarray(0, p);
    }
    return x;
  });
  return fc.oneof({ weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)) }, { weight: 4, arbitrary: mutated });
}
