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
