/**
 * RFC 5424: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG", with
 * NILVALUE "-", structured data with \" \\ \] escapes, an optional UTF-8 BOM
 * before MSG, fractional seconds and offsets. parse(format(m)) gives m back.
 */
import type { StructuredElement, SyslogMessage } from './message.js';

export class Rfc5424Error extends Error {}

const NIL = '-';
const BOM = '\ufeff';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** ISO time with the offset the Date was given in (UTC here) and microseconds when present. */
export function formatRfc5424Time(d: Date, fractionDigits = 6): string {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const frac = fractionDigits ? `.${pad(d.getUTCMilliseconds(), 3)}${'0'.repeat(Math.max(0, fractionDigits - 3))}`.slice(0, fractionDigits + 1) : '';
  return `${iso.slice(0, 19)}${frac}Z`;
}

function field(v: string | undefined, max: number): string {
  if (v === undefined || v === '') return NIL;
  // printable US-ASCII without spaces, as the grammar requires
  const clean = v.replace(/[^\x21-\x7e]/g, '_');
  return clean.slice(0, max);
}

const escapeParam = (v: string): string => v.replace(/[\\"\]]/g, (c) => `\\${c}`);
const NAME = /^[^= \]"]{1,32}$/;

export function formatSd(sd: StructuredElement[]): string {
  if (!sd.length) return NIL;
  return sd
    .map((e) => {
      if (!NAME.test(e.id)) throw new Rfc5424Error(`bad SD-ID '${e.id}'`);
      return `[${e.id}${e.params
        .map(([k, v]) => {
          if (!NAME.test(k)) throw new Rfc5424Error(`bad PARAM-NAME '${k}'`);
          return ` ${k}="${escapeParam(v)}"`;
        })
        .join('')}]`;
    })
    .join('');
}

export function formatRfc5424(m: SyslogMessage, o: { bom?: boolean } = {}): string {
  const ts = m.timestampText && m.format === 'rfc5424' ? m.timestampText : m.timestamp ? formatRfc5424Time(m.timestamp) : NIL;
  const head = `<${m.facility * 8 + m.severity}>1 ${ts} ${field(m.hostname, 255)} ${field(m.app, 48)} ${field(m.procId, 128)} ${field(m.msgId, 32)} ${formatSd(m.structuredData)}`;
  return m.msg === '' ? head : `${head} ${o.bom ? BOM : ''}${m.msg}`;
}

const TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/;

function parseSd(s: string, at: number): [StructuredElement[], number] {
  if (s[at] === '-') return [[], at + 1];
  const out: StructuredElement[] = [];
  let i = at;
  while (s[i] === '[') {
    i++;
    let j = i;
    while (j < s.length && s[j] !== ' ' && s[j] !== ']') j++;
    const id = s.slice(i, j);
    if (!NAME.test(id)) throw new Rfc5424Error(`bad SD-ID at ${i}`);
    const params: [string, string][] = [];
    i = j;
    while (s[i] === ' ') {
      i++;
      const eq = s.indexOf('=', i);
      if (eq < 0 || s[eq + 1] !== '"') throw new Rfc5424Error(`bad SD-PARAM at ${i}`);
      const name = s.slice(i, eq);
      if (!NAME.test(name)) throw new Rfc5424Error(`bad PARAM-NAME at ${i}`);
      let k = eq + 2;
      let v = '';
      for (; ; k++) {
        if (k >= s.length) throw new Rfc5424Error('unterminated PARAM-VALUE');
        const c = s[k];
        if (c === '\\' && (s[k + 1] === '"' || s[k + 1] === '\\' || s[k + 1] === ']')) {
          v += s[k + 1];
          k++;
        } else if (c === '"') break;
        else v += c;
      }
      params.push([name, v]);
      i = k + 1;
    }
    if (s[i] !== ']') throw new Rfc5424Error(`expected ] at ${i}`);
    i++;
    out.push({ id, params });
  }
  if (!out.length) throw new Rfc5424Error(`expected structured data at ${at}`);
  return [out, i];
}

/** Parses a 5424 message; throws Rfc5424Error (only) for input that is not 5424. */
export function parseRfc5424(input: string): SyslogMessage {
  const m = /^<(\d{1,3})>1 /.exec(input);
  if (!m || Number(m[1]) > 191) throw new Rfc5424Error('not an RFC 5424 header');
  const value = Number(m[1]);
  let i = m[0].length;
  const word = (): string => {
    const j = input.indexOf(' ', i);
    if (j < 0) throw new Rfc5424Error(`header ends early at ${i}`);
    const w = input.slice(i, j);
    i = j + 1;
    return w;
  };
  const ts = word();
  const host = word();
  const app = word();
  const proc = word();
  const msgId = word();
  let timestamp: Date | undefined;
  if (ts !== NIL) {
    if (!TIME.test(ts)) throw new Rfc5424Error(`bad TIMESTAMP '${ts}'`);
    timestamp = new Date(ts);
    if (Number.isNaN(timestamp.getTime())) throw new Rfc5424Error(`bad TIMESTAMP '${ts}'`);
  }
  const [sd, after] = parseSd(input, i);
  let msg = '';
  if (after < input.length) {
    if (input[after] !== ' ') throw new Rfc5424Error(`expected space after structured data at ${after}`);
    msg = input.slice(after + 1);
    if (msg.startsWith(BOM)) msg = msg.slice(1);
  }
  const nil = (v: string) => (v === NIL ? undefined : v);
  return {
    facility: value >> 3,
    severity: value & 7,
    timestamp,
    timestampText: ts === NIL ? undefined : ts,
    hostname: nil(host),
    app: nil(app),
    procId: nil(proc),
    msgId: nil(msgId),
    structuredData: sd,
    msg,
    format: 'rfc5424',
  };
}
