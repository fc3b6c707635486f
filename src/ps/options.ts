/**
 * ps's three option syntaxes, parsed the way procps-ng does: UNIX options
 * after a dash (clustered, "-ef"), BSD options without one ("aux"), GNU long
 * options ("--sort=pid"), and bare numbers as PID lists. When the first pass
 * fails the whole command line is parsed again with UNIX clusters read as BSD
 * ("ps -aux"), and the first error is reported if that fails too.
 */
import { PsError } from './format.js';

export type ListKind = 'pid' | 'ppid' | 'sid' | 'euid' | 'ruid' | 'egid' | 'rgid' | 'comm' | 'tty' | 'sidOrEgroup';

export interface SelectList {
  kind: ListKind;
  values: string[];
  /** -q, q, --quick-pid: the PIDs alone, in the order given */
  quick?: boolean;
}

export type Simple = 'Ua' | 'Ud' | 'Ba' | 'Bx' | 'Bg';

export interface PsRequest {
  all: boolean;
  simple: Set<Simple>;
  lists: SelectList[];
  negate: boolean;
  running: boolean;
  /** -o / o / --format arguments in order */
  formats: string[];
  /** -O / O arguments: pid, these, then the trailer */
  formatsO: { list: string; bsd: boolean }[];
  sysv: { f: boolean; F: boolean; l: boolean; j: boolean; c: boolean; y: boolean; P: boolean };
  bsdFormat?: string;
  forest?: 'ascii' | 'unix';
  sort: { key: string; reverse: boolean }[];
  headers: 'default' | 'none' | 'repeat';
  cols?: number;
  rows?: number;
  wide: number;
  bsdC: boolean;
  bsdE: boolean;
  cumulative: boolean;
  numeric: boolean;
  /** the thread options given: -L, -T, H, -m and m (or M) */
  threadOpts: { L: boolean; T: boolean; H: boolean; m: boolean; Bm: boolean };
  /** what they make of the listing: tasks (-L, -T), loose tasks (H), both (-m, m) */
  threads?: 'L' | 'T' | 'H' | 'm';
  context: boolean;
  preferBsd: boolean;
  json: boolean;
  daemons: boolean;
  /** --kernel: kernel threads, with the role of each */
  kernel?: boolean;
  why: boolean;
  help?: string;
  version: boolean;
  /** BSD L: list the format specifiers */
  listSpecifiers?: boolean;
}

function fresh(): PsRequest {
  return {
    all: false,
    simple: new Set(),
    lists: [],
    negate: false,
    running: false,
    formats: [],
    formatsO: [],
    sysv: { f: false, F: false, l: false, j: false, c: false, y: false, P: false },
    sort: [],
    threadOpts: { L: false, T: false, H: false, m: false, Bm: false },
    headers: 'default',
    wide: 0,
    bsdC: false,
    bsdE: false,
    cumulative: false,
    numeric: false,
    context: false,
    preferBsd: false,
    json: false,
    daemons: false,
    why: false,
    version: false,
  };
}

type ArgKind = 'bsd' | 'pid' | 'sysv' | 'gnu' | 'garbage';
function kindOf(a: string): ArgKind {
  const c0 = a[0];
  if (c0 === undefined) return 'garbage';
  if (/[A-Za-z]/.test(c0)) return 'bsd';
  if (/[0-9]/.test(c0)) return 'pid';
  if (c0 === '-') {
    if (a[1] === '-' && /[A-Za-z]/.test(a[2] ?? '')) return 'gnu';
    if (/[A-Za-z]/.test(a[1] ?? '')) return 'sysv';
  }
  return 'garbage';
}

function splitList(s: string, _what: string): string[] {
  const v = s.split(/[ ,\t]/);
  if (v.some((x) => x === '')) throw new PsError('improper list');
  return v;
}

function numbers(s: string, what: string): string[] {
  const v = splitList(s, what);
  for (const x of v) if (!/^[0-9]+$/.test(x) || Number(x) === 0) throw new PsError(`${what} syntax error`);
  return v;
}

function parseSort(r: PsRequest, s: string): void {
  for (const item of splitList(s, 'sort')) {
    const reverse = item[0] === '-';
    const key = item[0] === '-' || item[0] === '+' ? item.slice(1) : item;
    if (!key) throw new PsError('improper sort list');
    r.sort.push({ key, reverse });
  }
}

/** Checks a selection list while parsing (procps resolves user names there). */
export type ListCheck = (l: SelectList) => void;

class Parser {
  readonly r = fresh();
  private i = 0;
  constructor(
    private readonly argv: string[],
    private readonly forceBsd: boolean,
    readonly check: ListCheck,
  ) {
    const push = this.r.lists.push.bind(this.r.lists);
    this.r.lists.push = (...items: SelectList[]): number => {
      items.forEach(check);
      return push(...items);
    };
  }

  parse(): PsRequest {
    for (this.i = 0; this.i < this.argv.length; this.i++) {
      const a = this.argv[this.i];
      let k = kindOf(a);
      if (k === 'sysv' && this.forceBsd) k = 'bsd';
      switch (k) {
        case 'bsd':
          // the BSD-only second pass takes only options written with a dash
          if (this.forceBsd && a[0] !== '-') throw new PsError('second chance parse failed, not BSD or SysV');
          this.r.preferBsd = true;
          this.bsd(a[0] === '-' ? a.slice(1) : a);
          break;
        case 'pid':
          this.r.preferBsd = true;
          // a bare PID argument is one number: "ps 1,2" is refused by procps
          if (!/^[0-9]+$/.test(a)) throw new PsError('process ID list syntax error');
          this.r.lists.push({ kind: 'pid', values: [a] });
          break;
        case 'sysv':
          this.sysv(a.slice(1));
          break;
        case 'gnu':
          this.gnu(a.slice(2));
          break;
        default:
          throw new PsError('garbage option');
      }
    }
    return this.r;
  }

  /** The argument of a list option: the rest of the cluster or the next word. */
  private listArg(rest: string, msg: string): string {
    if (rest !== '') return rest;
    this.i++;
    if (this.i >= this.argv.length) throw new PsError(msg);
    return this.argv[this.i];
  }

  private sysv(s: string): void {
    const r = this.r;
    for (let j = 0; j < s.length; j++) {
      const ch = s[j];
      const rest = s.slice(j + 1);
      switch (ch) {
        case 'A':
        case 'e':
          r.all = true;
          break;
        case 'a':
          r.simple.add('Ua');
          break;
        case 'd':
          r.simple.add('Ud');
          break;
        case 'N':
          r.negate = true;
          break;
        case 'f':
          r.sysv.f = true;
          break;
        case 'F':
          r.sysv.F = true;
          break;
        case 'l':
          r.sysv.l = true;
          break;
        case 'j':
          r.sysv.j = true;
          break;
        case 'c':
          r.sysv.c = true;
          break;
        case 'y':
          r.sysv.y = true;
          break;
        case 'P':
          r.sysv.P = true;
          break;
        case 'H':
          r.forest = 'unix';
          break;
        case 'L':
          this.thread('L');
          break;
        case 'T':
          this.thread('T');
          break;
        case 'm':
          this.thread('m');
          break;
        case 'M':
        case 'Z':
          r.context = true;
          break;
        case 'V':
          r.version = true;
          break;
        case 'w':
          r.wide++;
          break;
        case 'o':
          r.formats.push(this.listArg(rest, 'format specification must follow -o'));
          return;
        case 'O':
          r.formatsO.push({ list: this.listArg(rest, 'format specification must follow -O'), bsd: false });
          return;
        case 'p':
          r.lists.push({ kind: 'pid', values: numbers(this.listArg(rest, 'list of process IDs must follow -p'), 'process ID list') });
          return;
        case 'q':
          r.lists.push({ kind: 'pid', quick: true, values: numbers(this.listArg(rest, 'list of process IDs must follow -q'), 'process ID list') });
          return;
        case 'u':
          r.lists.push({ kind: 'euid', values: splitList(this.listArg(rest, 'list of users must follow -u'), 'user') });
          return;
        case 'U':
          r.lists.push({ kind: 'ruid', values: splitList(this.listArg(rest, 'list of real users must follow -U'), 'user') });
          return;
        case 'g':
          r.lists.push({
            kind: 'sidOrEgroup',
            values: splitList(this.listArg(rest, 'list of session leaders OR effective group names must follow -g'), 'group'),
          });
          return;
        case 'G':
          r.lists.push({ kind: 'rgid', values: splitList(this.listArg(rest, 'list of real groups must follow -G'), 'group') });
          return;
        case 's':
          r.lists.push({ kind: 'sid', values: numbers(this.listArg(rest, 'list of session IDs must follow -s'), 'session ID list') });
          return;
        case 't':
          r.lists.push({ kind: 'tty', values: splitList(this.listArg(rest, 'list of terminals (pty, tty...) must follow -t'), 'terminal') });
          return;
        case 'C':
          r.lists.push({ kind: 'comm', values: splitList(this.listArg(rest, 'list of command names must follow -C'), 'command') });
          return;
        default:
          throw new PsError('unsupported SysV option');
      }
    }
  }

  private thread(t: keyof PsRequest['threadOpts']): void {
    this.r.threadOpts[t] = true;
  }

  private bsd(s: string): void {
    const r = this.r;
    for (let j = 0; j < s.length; j++) {
      const ch = s[j];
      const rest = s.slice(j + 1);
      switch (ch) {
        case 'a':
          r.simple.add('Ba');
          break;
        case 'x':
          r.simple.add('Bx');
          break;
        case 'g':
          r.simple.add('Bg');
          break;
        case 'u':
        case 'l':
        case 'j':
        case 's':
        case 'v':
        case 'X':
          if (r.bsdFormat && r.bsdFormat !== ch) throw new PsError('conflicting format options');
          r.bsdFormat = ch;
          break;
        case 'f':
          r.forest = 'ascii';
          break;
        case 'w':
          r.wide++;
          break;
        case 'c':
          r.bsdC = true;
          break;
        case 'e':
          r.bsdE = true;
          break;
        case 'S':
          r.cumulative = true;
          break;
        case 'n':
          r.numeric = true;
          break;
        case 'h':
          r.headers = 'none';
          break;
        case 'r':
          r.running = true;
          break;
        case 'H':
          this.thread('H');
          break;
        case 'M':
          this.thread('Bm');
          break;
        case 'm':
          // the second, BSD-only pass takes m as the old Linux memory format
          if (this.forceBsd) {
            if (r.bsdFormat && r.bsdFormat !== 'm') throw new PsError('conflicting format options');
            r.bsdFormat = 'm';
          } else this.thread('Bm');
          break;
        case 'L':
          // procps takes L only on its own
          if (this.argv.length !== 1 || this.argv[0] !== 'L') throw new PsError('the option is exclusive: L');
          r.listSpecifiers = true;
          break;
        case 'V':
          r.version = true;
          break;
        case 'Z':
          r.context = true;
          break;
        case 'C':
          break; // obsolete: procps ignores it
        case 'T':
          r.lists.push({ kind: 'tty', values: ['.'] });
          break;
        case 'o':
          r.formats.push(this.listArg(rest, 'format specification must follow o'));
          return;
        case 'O':
          r.formatsO.push({ list: this.listArg(rest, 'format or sort specification must follow O'), bsd: true });
          return;
        case 'k':
          parseSort(r, this.listArg(rest, "long sort specification must follow 'k'"));
          return;
        case 'p':
          r.lists.push({ kind: 'pid', values: numbers(this.listArg(rest, 'list of process IDs must follow p'), 'process ID list') });
          return;
        case 'q':
          r.lists.push({ kind: 'pid', values: numbers(this.listArg(rest, 'list of process IDs must follow q'), 'process ID list') });
          return;
        case 't':
          r.lists.push({ kind: 'tty', values: splitList(this.listArg(rest, 'list of terminals (pty, tty...) must follow t'), 'terminal') });
          return;
        case 'U':
          r.lists.push({ kind: 'euid', values: splitList(this.listArg(rest, 'list of users must follow U'), 'user') });
          return;
        case '-':
          break;
        default:
          throw new PsError('unsupported option (BSD syntax)');
      }
    }
  }

  private gnu(s: string): void {
    const r = this.r;
    const eq = s.indexOf('=');
    const name = eq >= 0 ? s.slice(0, eq) : s;
    const inline = eq >= 0 ? s.slice(eq + 1) : undefined;
    const value = (msg: string): string => {
      if (inline !== undefined) return inline;
      this.i++;
      if (this.i >= this.argv.length) throw new PsError(msg);
      return this.argv[this.i];
    };
    switch (name) {
      case 'pid':
        r.lists.push({ kind: 'pid', values: numbers(value('list of process IDs must follow --pid'), 'process ID list') });
        break;
      case 'quick-pid':
        r.lists.push({ kind: 'pid', quick: true, values: numbers(value('list of process IDs must follow --quick-pid'), 'process ID list') });
        break;
      case 'ppid':
        r.lists.push({ kind: 'ppid', values: numbers(value('list of process IDs must follow --ppid'), 'process ID list') });
        break;
      case 'sid':
        r.lists.push({ kind: 'sid', values: numbers(value('list of session IDs must follow --sid'), 'session ID list') });
        break;
      case 'tty':
        r.lists.push({ kind: 'tty', values: splitList(value('list of terminals (pty, tty...) must follow --tty'), 'terminal') });
        break;
      case 'user':
        r.lists.push({ kind: 'euid', values: splitList(value('list of users must follow --user'), 'user') });
        break;
      case 'User':
        r.lists.push({ kind: 'ruid', values: splitList(value('list of real users must follow --User'), 'user') });
        break;
      case 'group':
        r.lists.push({ kind: 'egid', values: splitList(value('list of groups must follow --group'), 'group') });
        break;
      case 'Group':
        r.lists.push({ kind: 'rgid', values: splitList(value('list of real groups must follow --Group'), 'group') });
        break;
      case 'format':
        r.formats.push(value('format specification must follow --format'));
        break;
      case 'sort':
        parseSort(r, value('long sort specification must follow --sort'));
        break;
      case 'forest':
        r.forest = 'ascii';
        break;
      case 'no-headers':
      case 'no-heading':
      case 'noheaders':
      case 'noheading':
        r.headers = 'none';
        break;
      case 'headers':
      case 'heading':
        r.headers = 'repeat';
        break;
      case 'cols':
      case 'columns':
      case 'width': {
        const v = value('number of columns must follow --cols, --width, or --columns');
        if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 131072) throw new PsError('number of columns must follow --cols, --width, or --columns');
        r.cols = Number(v);
        break;
      }
      case 'rows':
      case 'lines': {
        const v = value('number of rows must follow --rows or --lines');
        if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw new PsError('number of rows must follow --rows or --lines');
        r.rows = Number(v);
        break;
      }
      case 'cumulative':
        r.cumulative = true;
        break;
      case 'deselect':
        r.negate = true;
        break;
      case 'context':
        r.context = true;
        break;
      case 'version':
        r.version = true;
        break;
      case 'help':
        r.help = inline ?? (this.argv[this.i + 1] && !this.argv[this.i + 1].startsWith('-') ? this.argv[++this.i] : 's');
        break;
      case 'json':
        r.json = true;
        break;
      case 'daemons':
        r.daemons = true;
        break;
      case 'kernel':
        r.kernel = true;
        break;
      case 'why':
        r.why = true;
        break;
      default:
        throw new PsError('unknown gnu long option');
    }
  }
}

/** Checks that procps refuses too. */
function conflicts(r: PsRequest): void {
  if (r.sysv.y && !r.sysv.l) throw new PsError('modifier -y without format -l makes no sense');
  const t = r.threadOpts;
  if (t.L || t.T || t.H || t.m || t.Bm) {
    if (r.forest) throw new PsError('thread display conflicts with forest display');
    if (t.H && (t.m || t.Bm)) throw new PsError("thread flags conflict; can't use H with m or -m");
    if (t.m && t.Bm) throw new PsError("thread flags conflict; can't use both m and -m");
    if (t.L && t.T) throw new PsError("thread flags conflict; can't use both -L and -T");
    if ((t.L || t.T) && (t.m || t.Bm || t.H) && (r.formats.length || r.formatsO.length)) throw new PsError('-L/-T with H/m/-m and -o/-O/o/O is nonsense');
    r.threads = t.m || t.Bm ? 'm' : t.H ? 'H' : t.L ? 'L' : 'T';
  }
  const sysvFormat = r.sysv.f || r.sysv.F || r.sysv.l || r.sysv.j;
  if ((r.formats.length || r.formatsO.length) && (r.bsdFormat || sysvFormat)) throw new PsError('conflicting format options');
  if (r.bsdFormat && sysvFormat) throw new PsError('conflicting format options');
}

export function parseArgs(argv: string[], check: ListCheck = () => {}): PsRequest {
  let first: unknown;
  for (const forceBsd of [false, true]) {
    try {
      const r = new Parser(argv, forceBsd, check).parse();
      conflicts(r);
      return r;
    } catch (e) {
      if (!(e instanceof PsError)) throw e;
      first ??= e;
    }
  }
  throw first;
}
