/**
 * lsof's two output forms: the column listing (two passes: size every
 * column, then print, as print_file does) and -F field output.
 */
import type { Names } from './names.js';
import { ByteWriter } from '../text/bytewriter.js';
import { offsetText, type Row } from './rows.js';

export interface ProcRows {
  pid: number;
  /** a task listed on its own (lsof's TID and TASKCMD columns) */
  tid?: number;
  taskCommand?: string;
  pgid: number;
  ppid: number;
  command: string;
  uid: number;
  user?: string;
  rows: Row[];
}

/**
 * lsof's safestrprt: printable ASCII as is but the backslash, doubled;
 * backspace, form feed, newline, return and tab as C escapes, other control
 * characters as ^X, 0xff as ^?, other bytes as a hex escape. COMMAND and
 * TASKCMD (lsof's flag 2) escape the space too: it separates the columns.
 */
const PRINTABLE = /^[\x20-\x5b\x5d-\x7e]*$/;
const PRINTABLE_NO_SPACE = /^[\x21-\x5b\x5d-\x7e]*$/;
const C_ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

/** s as safestrprt units (a character, or an escape such as a byte's hex), so a cut never splits an escape */
function safeUnits(s: string, spaceToo = false): string[] {
  const out: string[] = [];
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x5c) out.push('\\\\');
    else if (b === 0x20 && spaceToo) out.push('\\x20');
    else if (b >= 0x20 && b < 0x7f) out.push(String.fromCharCode(b));
    else if (b < 0x20) out.push(C_ESCAPES[b] ?? `^${String.fromCharCode(b + 0x40)}`);
    else if (b === 0xff) out.push('^?');
    else out.push(`\\x${b.toString(16).padStart(2, '0')}`);
  }
  return out;
}

/** the command name cut to width as lsof cuts it: whole escapes only */
function commandText(s: string, width: number): string {
  let out = '';
  for (const u of safeUnits(s, true)) {
    if (out.length + u.length > width) break;
    out += u;
  }
  return out;
}

/** the command name as lsof sizes its column (escaped, spaces too) */
function commandCells(s: string): number {
  return PRINTABLE_NO_SPACE.test(s) ? s.length : safeUnits(s, true).join('').length;
}

/** file names: in a UTF-8 locale lsof prints printable multibyte characters as they are */
function nameText(s: string, utf8: boolean): string {
  if (!utf8 || PRINTABLE.test(s)) return safe(s);
  let out = '';
  for (const ch of s) out += /[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u.test(ch) && ch.codePointAt(0)! > 0x7f ? ch : safe(ch);
  return out;
}

export function safe(s: string): string {
  return PRINTABLE.test(s) ? s : safeUnits(s).join('');
}

function sizeOff(row: Row): string {
  if (row.size !== undefined) return String(row.size);
  if (row.offset !== undefined) return offsetText(row.offset);
  return '';
}

export interface ListingOptions {
  commandWidth: number;
  numericUsers: boolean;
  pgid: boolean;
  ppid?: boolean;
  /** -s: sizes only, under a SIZE header */
  sizes?: boolean;
  /** the locale is UTF-8: names keep their printable multibyte characters */
  utf8?: boolean;
}

export function formatListing(procs: ProcRows[], o: ListingOptions): Buffer {
  const out = new ByteWriter();
  if (!procs.length) return out.view();
  // -l, and a UID without a name, print the number as lsof does, in a field eight wide
  const user = (p: ProcRows) => (o.numericUsers || p.user === undefined ? String(p.uid).padStart(8) : p.user);
  const cmd = (p: ProcRows) => commandText(p.command, o.commandWidth);
  const sizeCol = (r: Row): string => (o.sizes ? (r.size !== undefined ? String(r.size) : '') : sizeOff(r));
  const szHead = o.sizes ? 'SIZE' : 'SIZE/OFF';
  let cmdW = 'COMMAND'.length;
  let pidW = 'PID'.length;
  let userW = 'USER'.length;
  let pgidW = 'PGID'.length;
  let tidW = 'TID'.length;
  let tcmdW = 'TASKCMD'.length;
  const tasks = procs.some((p) => p.tid !== undefined);
  const tcmd = (p: ProcRows) => commandText(p.taskCommand ?? '', o.commandWidth);
  let ppidW = 'PPID'.length;
  // lsof keeps descriptors as 4-wide strings, which is why FD is never narrower than six
  let fdW = 6;
  let typeW = 'TYPE'.length;
  let devW = 'DEVICE'.length;
  let szW = szHead.length;
  let nodeW = 'NODE'.length;
  // SIZE/OFF text of each row, made once for sizing and printing
  const sizes: string[] = [];
  let nameChars = 0;
  let rowCount = 0;
  // indexed loops: a for-of step in code not yet optimised allocates its iterator result (30k rows)
  for (let i = 0; i < procs.length; i++) {
    const p = procs[i];
    // lsof sizes the column by the whole escaped name up to the limit, though it prints whole escapes only
    cmdW = Math.max(cmdW, Math.min(o.commandWidth, commandCells(p.command)));
    pidW = Math.max(pidW, String(p.pid).length);
    userW = Math.max(userW, user(p).length);
    pgidW = Math.max(pgidW, String(p.pgid).length);
    ppidW = Math.max(ppidW, String(p.ppid).length);
    if (p.tid !== undefined) tidW = Math.max(tidW, String(p.tid).length);
    if (tasks) tcmdW = Math.max(tcmdW, tcmd(p).length);
    for (let k = 0; k < p.rows.length; k++) {
      const r = p.rows[k];
      if (r.fd.length + 2 > fdW) fdW = r.fd.length + 2;
      if (r.type.length > typeW) typeW = r.type.length;
      if (r.device.length > devW) devW = r.device.length;
      const sz = sizeCol(r);
      sizes.push(sz);
      if (sz.length > szW) szW = sz.length;
      if (r.node.length > nodeW) nodeW = r.node.length;
      nameChars += r.name.length;
    }
    rowCount += p.rows.length;
  }
  const pg = (v: string) => (o.pgid ? ` ${v.padStart(pgidW)}` : '');
  const pp = (v: string) => (o.ppid ? ` ${v.padStart(ppidW)}` : '');
  const tk = (tid: string, cmd: string) => (tasks ? ` ${tid.padStart(tidW)} ${cmd.padEnd(tcmdW)}` : '');
  out.text(
    `${'COMMAND'.padEnd(cmdW)} ${'PID'.padStart(pidW)}${tk('TID', 'TASKCMD')}${pp('PPID')}${pg('PGID')} ${'USER'.padStart(userW)} ${'FD'.padStart(fdW - 2)}   ${'TYPE'.padStart(typeW)} ${'DEVICE'.padStart(devW)} ${szHead.padStart(szW)} ${'NODE'.padStart(nodeW)} NAME\n`,
  );
  const utf8 = o.utf8 ?? false;
  out.reserve(nameChars + rowCount * (cmdW + pidW + userW + fdW + typeW + devW + szW + nodeW + 24 + (tasks ? tidW + tcmdW + 2 : 0)));
  let row = 0;
  for (let i = 0; i < procs.length; i++) {
    const p = procs[i];
    const head = Buffer.from(
      `${cmd(p).padEnd(cmdW)} ${String(p.pid).padStart(pidW)}${tk(p.tid === undefined ? '' : String(p.tid), tcmd(p))}${pp(String(p.ppid))}${pg(String(p.pgid))} ${user(p).padStart(userW)} `,
    );
    for (let k = 0; k < p.rows.length; k++) {
      const r = p.rows[k];
      out.raw(head);
      out.right(r.fd, fdW - 2);
      out.byte((r.lock === ' ' ? r.access : r.access === ' ' ? '-' : r.access).charCodeAt(0));
      out.byte(r.lock.charCodeAt(0));
      out.byte(0x20);
      out.right(r.type, typeW);
      out.byte(0x20);
      out.right(r.device, devW);
      out.byte(0x20);
      out.right(sizes[row++], szW);
      out.byte(0x20);
      out.right(r.node, nodeW);
      out.byte(0x20);
      if (PRINTABLE.test(r.name)) out.latin1(r.name);
      else out.text(nameText(r.name, utf8));
      out.byte(0x0a);
    }
  }
  return out.view();
}

const PROC_FIELDS = 'pgRcuL';
const FILE_FIELDS = 'faltGDdsoikPnT';

export function formatFields(
  procs: ProcRows[],
  fields: string,
  nul: boolean,
  _names: Names,
  o: { numericUsers?: boolean; sizes?: boolean; utf8?: boolean } = {},
): string {
  // the command and names escaped as in the listing (lsof's safestrprt, spaces kept)
  const text = (s: string) => nameText(s, o.utf8 ?? false);
  const all = fields === '';
  // -l drops the login name even when asked for; -s drops the offset from the default fields
  const want = (c: string) => !(c === 'L' && o.numericUsers) && (all ? !(c === 'o' && o.sizes) : fields.includes(c));
  const fileSet = [...FILE_FIELDS].some(want);
  const end = nul ? '\0' : '\n';
  // with -F0 every field ends in NUL and every set (process, file) in a newline
  const setEnd = nul ? '\n' : '';
  let out = '';
  for (const p of procs) {
    out += `p${p.pid}${end}`;
    // a task's set (-K) names the task after the process: K its id, M its command (when asked, as lsof 4.95)
    if (p.tid !== undefined) {
      if (want('K')) out += `K${p.tid}${end}`;
      if (want('M') && p.taskCommand !== undefined) out += `M${text(p.taskCommand)}${end}`;
    }
    for (const c of PROC_FIELDS.slice(1)) {
      if (!want(c)) continue;
      if (c === 'g') out += `g${p.pgid}${end}`;
      else if (c === 'R') out += `R${p.ppid}${end}`;
      else if (c === 'c') out += `c${text(p.command)}${end}`;
      else if (c === 'u') out += `u${p.uid}${end}`;
      else if (c === 'L' && p.user !== undefined) out += `L${p.user}${end}`;
    }
    out += setEnd;
    // lsof prints a file set only for the file fields asked for, and the descriptor only if f is one
    if (!fileSet) continue;
    for (const r of p.rows) {
      const before = out.length;
      if (want('f')) out += `f${r.fd}${end}`;
      for (const c of FILE_FIELDS.slice(1)) {
        if (!want(c)) continue;
        switch (c) {
          case 'a':
            out += `a${r.access}${end}`;
            break;
          case 'l':
            out += `l${r.lock}${end}`;
            break;
          case 't':
            // NOFD has no type: lsof leaves the field out
            if (r.type) out += `t${r.type}${end}`;
            break;
          case 'G':
            if (r.flagsHex) out += `G${r.flagsHex}${end}`;
            break;
          case 'D':
            if (r.devField?.[0] === 'D') out += `D${r.devField[1]}${end}`;
            break;
          case 'd':
            if (r.devField?.[0] === 'd') out += `d${r.devField[1]}${end}`;
            break;
          case 's':
            if (r.size !== undefined) out += `s${r.size}${end}`;
            break;
          case 'o':
            if (r.size === undefined && r.offset !== undefined) out += `o${offsetText(r.offset)}${end}`;
            break;
          case 'i':
            if (r.inode !== undefined) out += `i${r.inode}${end}`;
            break;
          case 'k':
            if (r.nlink !== undefined) out += `k${r.nlink}${end}`;
            break;
          case 'P':
            if (r.protocol) out += `P${r.protocol}${end}`;
            break;
          case 'n':
            out += `n${text(fieldName(r))}${end}`;
            break;
          case 'T':
            for (const t of r.tcpInfo) out += `T${t}${end}`;
            break;
        }
      }
      // a file with none of the fields asked for leaves no trace, not even the set's newline
      if (out.length > before) out += setEnd;
    }
  }
  return out;
}

/** -F puts socket states in T fields, so the name loses its "(STATE)" */
function fieldName(r: Row): string {
  if (r.inet) return r.name.replace(/ \([A-Z_0-9]+\)$| $/, '');
  if (r.unix) return r.name.replace(/ \([A-Z]+\)$/, '');
  return r.name;
}
