/**
 * Parser for /proc/PID/status: identities, memory counters, signal and
 * capability masks. Values the kernel leaves out (kernel threads have no Vm*
 * lines) come back undefined rather than zero, so callers can tell "absent"
 * from "none".
 */

export interface IdQuad {
  real: number;
  effective: number;
  saved: number;
  fs: number;
}

export interface SignalMasks {
  /** thread-pending (SigPnd) */
  pending: string;
  /** process-shared pending (ShdPnd) */
  shared: string;
  blocked: string;
  ignored: string;
  caught: string;
}

export interface Capabilities {
  inheritable: string;
  permitted: string;
  effective: string;
  bounding: string;
  ambient: string;
}

export interface StatusFields {
  name?: string;
  tgid?: number;
  uid?: IdQuad;
  gid?: IdQuad;
  groups?: number[];
  /** kB */
  vmSize?: number;
  vmLck?: number;
  vmRss?: number;
  rssFile?: number;
  rssShmem?: number;
  vmData?: number;
  vmStk?: number;
  vmExe?: number;
  vmLib?: number;
  vmSwap?: number;
  threads?: number;
  signals?: Partial<SignalMasks>;
  caps?: Partial<Capabilities>;
}

function quad(v: string): IdQuad | undefined {
  const p = v.split(/\s+/).map(Number);
  if (p.length < 4 || p.some((x) => !Number.isInteger(x))) return undefined;
  return { real: p[0], effective: p[1], saved: p[2], fs: p[3] };
}

function kb(v: string): number | undefined {
  const n = parseInt(v, 10);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * The number that starts one "Key value" line's value (key with its
 * separator: "syscr:", "pswpin "), 0 when the line is absent: for the
 * counter files (io, vmstat, meminfo) whose missing lines an older kernel
 * simply does not count.
 */
export function countField(text: string, key: string): number {
  const n = Number.parseInt(fieldValue(text, key) ?? '', 10);
  return Number.isSafeInteger(n) ? n : 0;
}

/** The value of one "Key:\tvalue" line (key with its colon), found directly; undefined when absent. */
export function fieldValue(text: string, key: string): string | undefined {
  let at = text.startsWith(key) ? 0 : text.indexOf(`\n${key}`);
  if (at < 0) return undefined;
  if (at > 0) at++;
  const eol = text.indexOf('\n', at);
  if (eol < 0) return undefined; // cut off mid-line: the value may be partial
  return text.slice(at + key.length, eol).trim();
}

/**
 * Parses status text line by line; unknown keys are skipped, malformed values
 * dropped. With full false only the ids, groups and memory counters a
 * listing shows are picked out, without walking every line.
 */
export function parseStatus(text: string, full = true): StatusFields {
  if (!full) {
    const out: StatusFields = {};
    const uid = fieldValue(text, 'Uid:');
    if (uid !== undefined) out.uid = quad(uid);
    const gid = fieldValue(text, 'Gid:');
    if (gid !== undefined) out.gid = quad(gid);
    const groups = fieldValue(text, 'Groups:');
    if (groups !== undefined) out.groups = groups === '' ? [] : groups.split(/\s+/).map(Number).filter(Number.isInteger);
    const size = fieldValue(text, 'VmSize:');
    if (size !== undefined) out.vmSize = kb(size);
    const lck = fieldValue(text, 'VmLck:');
    if (lck !== undefined) out.vmLck = kb(lck);
    const rss = fieldValue(text, 'VmRSS:');
    if (rss !== undefined) out.vmRss = kb(rss);
    const data = fieldValue(text, 'VmData:');
    if (data !== undefined) out.vmData = kb(data);
    const stk = fieldValue(text, 'VmStk:');
    if (stk !== undefined) out.vmStk = kb(stk);
    return out;
  }
  const out: StatusFields = {};
  let pos = 0;
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    const colon = text.indexOf(':', pos);
    if (colon > pos && colon < eol) {
      const key = text.slice(pos, colon);
      const value = text.slice(colon + 1, eol).trim();
      switch (key) {
        case 'Name':
          out.name = text.slice(colon + 1, eol).replace(/^\t/, '');
          break;
        case 'Tgid':
          out.tgid = kb(value);
          break;
        case 'Uid':
          out.uid = quad(value);
          break;
        case 'Gid':
          out.gid = quad(value);
          break;
        case 'Groups':
          out.groups = value === '' ? [] : value.split(/\s+/).map(Number).filter(Number.isInteger);
          break;
        case 'VmSize':
          out.vmSize = kb(value);
          break;
        case 'VmLck':
          out.vmLck = kb(value);
          break;
        case 'VmRSS':
          out.vmRss = kb(value);
          break;
        case 'RssFile':
          out.rssFile = kb(value);
          break;
        case 'RssShmem':
          out.rssShmem = kb(value);
          break;
        case 'VmData':
          out.vmData = kb(value);
          break;
        case 'VmStk':
          out.vmStk = kb(value);
          break;
        case 'VmExe':
          out.vmExe = kb(value);
          break;
        case 'VmLib':
          out.vmLib = kb(value);
          break;
        case 'VmSwap':
          out.vmSwap = kb(value);
          break;
        case 'Threads':
          out.threads = kb(value);
          break;
        case 'SigPnd':
          (out.signals ??= {}).pending = value;
          break;
        case 'ShdPnd':
          (out.signals ??= {}).shared = value;
          break;
        case 'SigBlk':
          (out.signals ??= {}).blocked = value;
          break;
        case 'SigIgn':
          (out.signals ??= {}).ignored = value;
          break;
        case 'SigCgt':
          (out.signals ??= {}).caught = value;
          break;
        case 'CapInh':
          (out.caps ??= {}).inheritable = value;
          break;
        case 'CapPrm':
          (out.caps ??= {}).permitted = value;
          break;
        case 'CapEff':
          (out.caps ??= {}).effective = value;
          break;
        case 'CapBnd':
          (out.caps ??= {}).bounding = value;
          break;
        case 'CapAmb':
          (out.caps ??= {}).ambient = value;
          break;
      }
    }
    pos = eol + 1;
  }
  return out;
}

const KEY = (k: string) => Buffer.from(`\n${k}:`, 'latin1');
const UID = KEY('Uid');
const GID = KEY('Gid');
const GROUPS = KEY('Groups');
const VM = { vmSize: KEY('VmSize'), vmLck: KEY('VmLck'), vmRss: KEY('VmRSS'), vmData: KEY('VmData'), vmStk: KEY('VmStk') } as const;
const VM_KEYS = Object.keys(VM) as StatusSize[];

/** Which lines of status the quick parse reads. */
export interface StatusWant {
  uid: boolean;
  gid: boolean;
  groups: boolean;
  /** the sizes to read (default all): each one not asked for is a native search fewer per process */
  sizes?: readonly StatusSize[];
}
export type StatusSize = 'vmSize' | 'vmLck' | 'vmRss' | 'vmData' | 'vmStk';

/**
 * Decimal numbers after at, separated by blanks, on one line, into into
 * (up to its length); how many, or -1 when the line is cut off (no
 * newline: the value may be partial). Read from the bytes: no string is
 * made of the file, and no array per line.
 */
function numbersInto(b: Uint8Array, at: number, into: number[]): number {
  const eol = b.indexOf(0x0a, at);
  if (eol < 0) return -1;
  let count = 0;
  let i = at;
  while (count < into.length) {
    while (i < eol && (b[i] === 0x20 || b[i] === 0x09)) i++;
    if (i >= eol || b[i] < 0x30 || b[i] > 0x39) break;
    let n = 0;
    while (i < eol && b[i] >= 0x30 && b[i] <= 0x39) n = n * 10 + (b[i++] - 0x30);
    into[count++] = n;
  }
  return count;
}

/** scratch for the numbers of one line (a listing parses one status at a time) */
const four = [0, 0, 0, 0];
const one = [0];

/**
 * The quick parse (parseStatus(text, false)) on the bytes of the file, for
 * a listing over every process: the lines asked for are found by the native
 * byte search, the status text is never made a string. Status begins with
 * "Name:", so every key searched for follows a newline.
 */
export function parseStatusBytes(b: Uint8Array, want: StatusWant): StatusFields {
  const buf = b as Buffer;
  const out: StatusFields = {};
  // a key is set when its line is there whole, as the text parse does (to undefined when the value is not)
  if (want.uid) {
    const at = buf.indexOf(UID);
    const n = at < 0 ? -1 : numbersInto(b, at + UID.length, four);
    if (n >= 0) out.uid = n === 4 ? { real: four[0], effective: four[1], saved: four[2], fs: four[3] } : undefined;
  }
  if (want.gid) {
    const at = buf.indexOf(GID);
    const n = at < 0 ? -1 : numbersInto(b, at + GID.length, four);
    if (n >= 0) out.gid = n === 4 ? { real: four[0], effective: four[1], saved: four[2], fs: four[3] } : undefined;
  }
  if (want.groups) {
    const at = buf.indexOf(GROUPS);
    const eol = at < 0 ? -1 : buf.indexOf(0x0a, at + GROUPS.length);
    // as many numbers as the line could hold
    const all: number[] = eol < 0 ? [] : new Array<number>((eol - at) >> 1).fill(0);
    const n = at < 0 ? -1 : numbersInto(b, at + GROUPS.length, all);
    if (n >= 0) out.groups = all.slice(0, n);
  }
  // the sizes come in this order in every kernel's status: each search starts where the last one ended
  const sizes = want.sizes ?? VM_KEYS;
  let from = 0;
  for (let i = 0; i < sizes.length; i++) {
    const k = sizes[i];
    let at = buf.indexOf(VM[k], from);
    if (at < 0 && from > 0) at = buf.indexOf(VM[k]);
    if (at < 0) continue;
    from = at + VM[k].length;
    const n = numbersInto(b, at + VM[k].length, one);
    if (n >= 0) out[k] = n === 1 ? one[0] : undefined;
  }
  return out;
}
