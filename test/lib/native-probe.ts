/**
 * What the library reads about process pid (argv[2]), printed as JSON: run
 * by native.test.ts with and without DK_NO_NATIVE, whose outputs must be
 * the same. Batches of one file, of a few and of many (two threads), files
 * that do not exist, reads begun on the reader's own thread, and the
 * socket owners of pid and of everyone.
 */
import { readlinkSync } from 'node:fs';
import { scanAll, scanEvery, socketIteratorMissing } from '../../src/lib/fdscan.js';
import { listProcPids, readProcFinish, readProcMany, readProcStart } from '../../src/lib/procat.js';
import { Process } from '../../src/lib/process.js';
import { socketsOf } from '../../src/lib/connections.js';
import { batch } from '../../src/lib/batch.js';

const pid = Number(process.argv[2]);
type Read = ReturnType<typeof readProcMany>[number];
/**
 * status's SigQ counts the signals queued for the whole user (every process
 * of root's, another test file's too), not for pid: it moves between the
 * two runs however still pid stands, so its count is masked.
 */
const settled = (reads: Read[]): Read[] => reads.map((r) => (typeof r === 'string' ? r.replace(/^SigQ:\t\d+\//m, 'SigQ:\t-/') : r));
// not smaps_rollup: which of its pages are shared or private moves as other node processes (the probes) map the same binary
const files = ['stat', 'status', 'statm', 'cmdline', 'environ', 'io', 'limits', 'no-such-file'];
const rels = files.map((f) => `${pid}/${f}`);
const many = Array.from({ length: 40 }, (_, i) => rels[i % rels.length]);
// reads begun on the reader's thread: one superseded by the next (its finish reads again), one finished twice;
// the holder's environment (100 KB) fills the thread's first 64 KB buffer more than once
const big = Array.from({ length: 12 }, (_, i) => (i % 3 ? rels[i % rels.length] : `${pid}/environ`));
const startedA = readProcStart(
  big,
  big.map(() => false),
);
const startedB = readProcStart(
  many,
  many.map(() => false),
);
const b = readProcFinish(startedB);
const a = readProcFinish(startedA);
const again = readProcFinish(startedB);
// finished at once, the calling thread reads most files itself; after a pause, the reader's thread has read them all
const startedC = readProcStart(
  big,
  big.map(() => false),
);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
const background = { a: settled(a), b: settled(b), again: settled(again), paused: settled(readProcFinish(startedC)) };
// every socket of every process from the kernel's iterator, between two walks of /proc/PID/fd
const triples = (o: Map<number, [number, number][]>) => new Set([...o].flatMap(([inode, held]) => held.map(([q, fd]) => `${inode} ${q} ${fd}`)));
const readable = (x: string) => {
  const [, q, fd] = x.split(' ');
  try {
    readlinkSync(`/proc/${q}/fd/${fd}`);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'EACCES';
  }
};
const walkBefore = triples(scanAll(listProcPids()));
const every = scanEvery();
const walkAfter = triples(scanAll(listProcPids()));
const iterated = triples(every);
const iterator = {
  missing: socketIteratorMissing(),
  // in both walks but not iterated; iterated but in neither walk
  unseen: [...walkBefore].filter((x) => walkAfter.has(x) && !iterated.has(x)),
  // (a descriptor the walk may not read, the kernel may still show: those are not counted)
  extra: [...iterated].filter((x) => !walkBefore.has(x) && !walkAfter.has(x) && readable(x)),
  holder: [...iterated].filter((x) => x.split(' ')[1] === String(pid)).sort(),
};
const p = new Process(pid);
const all = scanAll([1, pid, 4194304]);
process.stdout.write(
  JSON.stringify({
    native: batch() !== undefined,
    // the PID list moves between the two runs: ascending, holding this process and the holder
    pids: ((l: number[]) => l.includes(pid) && l.includes(process.pid) && l.every((x, i) => i === 0 || l[i - 1] < x))(listProcPids()),
    few: settled(
      readProcMany(
        rels,
        files.map((f) => f !== 'cmdline' && f !== 'environ'),
      ),
    ),
    many: settled(
      readProcMany(
        many,
        many.map(() => false),
      ),
    ),
    gone: readProcMany([`4194304/stat`], [true]),
    big: settled(
      readProcMany(
        big,
        big.map(() => false),
      ),
    ),
    background,
    iterator,
    info: p.asDict(['name', 'cmdline', 'environ', 'status', 'memoryInfo', 'ioCounters', 'numThreads']),
    sockets: [...socketsOf(pid)].sort(),
    owners: [...all].filter(([, h]) => h.some(([q]) => q === pid)).sort(),
  }),
);
