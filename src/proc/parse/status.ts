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

/** The value of one "Key:\tvalue" line, found directly; undefined when absent. */
function fieldValue(text: string, key: string): string | undefined {
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

/** Which id lines of status the quick parse reads; the sizes (VmSize, VmLck, VmRSS, VmData, VmStk) always are: VmRSS corrects stat's rss. */
export interface StatusWant {
  uid: boolean;
  gid: boolean;
  groups: boolean;
  /** the sizes to read (default all): each one not asked for is a native search fewer per process */
  sizes?: readonly StatusSize[];
}
export type StatusSize = 'vmSize' | 'vmLck' | 'vmRss' | 'vmData' | 'vmStk';

/**
 * Up to max decimal numbers after at, separated by blanks, on one line;
 * undefined when the line is cut off (no newline: the value may be
 * partial). Read from the bytes: no string is made of the file.
 */
function numbersAt(b: Uint8Array, at: number, max: number): number[] | undefined {
  const eol = b.indexOf(0x0a, at);
  if (eol < 0) return undefined;
  const out: number[] = [];
  let i = at;
  while (out.length < max) {
    while (i < eol && (b[i] === 0x20 || b[i] === 0x09)) i++;
    if (i >= eol || b[i] < 0x30 || b[i] > 0x39) break;
    let n = 0;
    while (i < eol && b[i] >= 0x30 && b[i] <= 0x39) n = n * 10 + (b[i++] - 0x30);
    out.push(n);
  }
  return out;
}

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
  const ids = (key: Buffer, set: (q: IdQuad | undefined) => void): void => {
    const at = buf.indexOf(key);
    const n = at < 0 ? undefined : numbersAt(b, at + key.length, 4);
    if (n !== undefined) set(n.length === 4 ? { real: n[0], effective: n[1], saved: n[2], fs: n[3] } : undefined);
  };
  if (want.uid) ids(UID, (q) => (out.uid = q));
  if (want.gid) ids(GID, (q) => (out.gid = q));
  if (want.groups) {
    const at = buf.indexOf(GROUPS);
    const n = at < 0 ? undefined : numbersAt(b, at + GROUPS.length, Number.MAX_SAFE_INTEGER);
    if (n !== undefined) out.groups = n;
  }
  // the sizes come in this order in every kernel's status: each search starts where the last one ended
  let from = 0;
  for (const k of want.sizes ?? VM_KEYS) {
    let at = buf.indexOf(VM[k], from);
    if (at < 0 && from > 0) at = buf.indexOf(VM[k]);
    if (at < 0) continue;
    from = at + VM[k].length;
    const n = numbersAt(b, at + VM[k].length, 1);
    if (n !== undefined) out[k] = n[0];
  }
  return out;
}
