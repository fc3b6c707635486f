/**
 * psmisc's process tree, built and printed the way pstree 23.x does it so the
 * output matches byte for byte: children sorted by name (then uid) or by PID,
 * threads as "{name}" children of their process, identical sibling subtrees
 * folded into "N*[name]", and lines cut at the output width with '+'.
 * Strings here are byte strings (latin1): pstree escapes every byte outside
 * printable ASCII as \ooo, so multibyte names never reach the terminal raw.
 */

export interface TreeProc {
  pid: number;
  ppid: number;
  pgid: number;
  uid: number;
  /** accounting name as bytes (latin1 string) */
  comm: string;
  /** raw /proc/PID/cmdline bytes; undefined when not read */
  cmdline?: string;
  /** seconds since start, for --color=age */
  age: number;
  label?: string;
  threads: { tid: number; comm: string }[];
  /** namespace inodes in psmisc's order (NS_ORDER); 0 where unreadable */
  ns?: number[];
}

/** psmisc's namespace order, which -S prints changes in */
export const NS_ORDER = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts', 'time'] as const;

export interface Node {
  pid: number;
  pgid: number;
  uid: number;
  comm: string;
  /** arguments after argv[0]; -1 marks "no command line" (shown in parentheses) */
  argc: number;
  argv: string[];
  thread: boolean;
  age: number;
  label?: string;
  ns?: number[];
  /** --shared: what this task shares with its parent ("vm,files"), "-" where kcmp may not look */
  shared?: string;
  children: Node[];
  parent?: Node;
  highlight?: boolean;
}

export interface TreeOptions {
  byPid: boolean;
  /** keep cmdline bytes up to the output width, as pstree reads them */
  args: boolean;
  trunc: boolean;
  width: number;
}

function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class Forest {
  private readonly nodes = new Map<number, Node>();

  constructor(private readonly o: TreeOptions) {}

  find(pid: number): Node | undefined {
    return this.nodes.get(pid);
  }

  private create(comm: string, pid: number, uid: number): Node {
    const n: Node = { pid, pgid: 0, uid, comm: comm.slice(0, 17), argc: 0, argv: [], thread: false, age: 0, children: [] };
    this.nodes.set(pid, n);
    return n;
  }

  private addChild(parent: Node, child: Node): void {
    const c = parent.children;
    let i = 0;
    for (; i < c.length; i++) {
      if (this.o.byPid) {
        if (c[i].pid > child.pid) break;
      } else {
        const cmp = byteCompare(c[i].comm, child.comm);
        if (cmp > 0) break;
        if (cmp === 0 && c[i].uid > child.uid) break;
      }
    }
    c.splice(i, 0, child);
  }

  private rename(n: Node, comm: string, uid: number): void {
    n.comm = comm.slice(0, 17);
    n.uid = uid;
    // one bubble pass over the parent's children, as psmisc does
    if (!this.o.byPid && n.parent) {
      const c = n.parent.children;
      for (let i = 0; i + 1 < c.length; i++) {
        if (byteCompare(c[i].comm, c[i + 1].comm) > 0) [c[i], c[i + 1]] = [c[i + 1], c[i]];
      }
    }
  }

  private setArgs(n: Node, args: string): void {
    if (args.length === 0) {
      n.argc = -1;
      return;
    }
    let argc = 0;
    for (let i = 0; i < args.length - 1; i++) {
      if (args[i] === '\0') {
        argc++;
        while (args[i] === '\0' && i < args.length - 1) i++;
      }
    }
    n.argc = argc;
    if (!argc) return;
    let start = args.indexOf('\0') + 1;
    const argv: string[] = [];
    for (let i = 0; i < argc; i++) {
      const end = args.indexOf('\0', start);
      argv.push(args.slice(start, end < 0 ? undefined : end));
      start = end + 1;
    }
    n.argv = argv;
  }

  add(comm: string, pid: number, ppid: number, pgid: number, uid: number, args: string | undefined, thread: boolean, age: number, label?: string): void {
    let n = this.nodes.get(pid);
    if (!n) n = this.create(comm, pid, uid);
    else this.rename(n, comm, uid);
    if (args !== undefined) this.setArgs(n, args);
    if (pid === ppid) ppid = 0;
    n.pgid = pgid;
    n.age = age;
    n.label = label;
    if (thread) n.thread = true;
    let parent = this.nodes.get(ppid);
    if (!parent) parent = this.create('?', ppid, 0);
    if (pid !== 0) {
      this.addChild(parent, n);
      n.parent = parent;
    }
  }

  /** Loads processes (in /proc order) the way psmisc's read_proc does. */
  load(procs: TreeProc[], hideThreads: boolean): void {
    for (const p of procs) {
      if (!hideThreads) {
        for (const t of p.threads) {
          if (t.tid === p.pid) continue;
          const name = `{${t.comm.slice(0, 16)}}`;
          this.add(name, t.tid, p.pid, p.pgid, p.uid, this.o.args ? `${name}\0` : undefined, true, p.age);
          const tn = this.nodes.get(t.tid);
          if (tn) tn.ns = p.ns;
        }
      }
      let args: string | undefined;
      if (this.o.args) {
        let raw = p.cmdline ?? '';
        const bufsize = this.o.trunc ? this.o.width + 1 : 8193;
        if (raw.length >= bufsize) raw = raw.slice(0, bufsize - 1);
        args = raw.length ? `${raw}\0` : '';
      }
      this.add(p.comm, p.pid, p.ppid, p.pgid, p.uid, args, false, p.age, p.label);
      const n = this.nodes.get(p.pid);
      if (n) n.ns = p.ns;
    }
    // processes whose parent is unknown hang under init
    let root = this.nodes.get(1);
    if (!root) root = this.create('?', 1, 0);
    for (const n of [...this.nodes.values()].reverse()) {
      if (n.pid === 1 || n.pid === 0) continue;
      if (!n.parent) {
        this.addChild(root, n);
        n.parent = root;
      }
    }
  }

  /**
   * -N: each process whose namespace of this kind (an index into NS_ORDER)
   * is not its parent's is taken from its parent and becomes a root under
   * its namespace; namespaces come in the order a walk from init meets them,
   * as psmisc's sort_by_namespace does.
   */
  byNamespace(kind: number): { ns: number; roots: Node[] }[] {
    const out: { ns: number; roots: Node[] }[] = [];
    const nsOf = (n: Node): number => n.ns?.[kind] ?? 0;
    const visit = (n: Node): void => {
      if (!n.parent || nsOf(n.parent) !== nsOf(n)) {
        let entry = out.find((e) => e.ns === nsOf(n));
        if (!entry) out.push((entry = { ns: nsOf(n), roots: [] }));
        entry.roots.push(n);
        if (n.parent) n.parent.children.splice(n.parent.children.indexOf(n), 1);
        n.parent = undefined;
      }
      for (const c of [...n.children]) visit(c);
    };
    const init = this.nodes.get(1);
    if (init) visit(init);
    return out;
  }

  /** Every node with its parent, for annotations that look at both. */
  *edges(): Generator<[Node, Node]> {
    for (const n of this.nodes.values()) if (n.parent && n.parent.pid !== 0) yield [n, n.parent];
  }

  /** -s: keep only the path from init down to this process (and its subtree). */
  trimToParents(n: Node): void {
    let cur = n;
    while (cur.parent) {
      cur.parent.children = [cur];
      cur = cur.parent;
    }
  }
}

export interface Symbols {
  empty2: string;
  branch2: string;
  vert2: string;
  last2: string;
  single3: string;
  first3: string;
}

export const ASCII: Symbols = { empty2: '  ', branch2: '|-', vert2: '| ', last2: '`-', single3: '---', first3: '-+-' };
export const UTF8: Symbols = { empty2: '  ', branch2: '├─', vert2: '│ ', last2: '└─', single3: '───', first3: '─┬─' };
const VT = (s: string): string => `\x1b(0\x0f${s}\x1b(B`;
export const VT100: Symbols = { empty2: '  ', branch2: VT('tq'), vert2: `${VT('x')} `, last2: VT('mq'), single3: VT('qqq'), first3: VT('qwq') };

export interface DumpOptions {
  sym: Symbols;
  width: number;
  trunc: boolean;
  args: boolean;
  compact: boolean;
  pids: boolean;
  pgids: boolean;
  userChanges: boolean;
  /** -S: namespaces a process does not share with its parent */
  nsChanges?: boolean;
  label: boolean;
  color: boolean;
  bold?: [string, string];
  userName(uid: number): string | undefined;
}

/** The printer: a byte-exact port of dump_tree's cursor bookkeeping. */
export class Printer {
  private out = '';
  private curX = 1;
  private readonly width: number[] = [];
  private readonly more: number[] = [];

  constructor(private readonly o: DumpOptions) {}

  text(): string {
    return this.out;
  }

  raw(s: string): void {
    this.out += s;
  }

  private ch(c: string): void {
    this.curX++;
    if (!this.o.trunc || this.curX <= this.o.width) this.out += c;
    // psmisc marks the cut once per byte of the character it falls on (three for a UTF-8 line)
    else if (this.curX === this.o.width + 1) this.out += c.charCodeAt(0) < 0x80 ? '+' : '+'.repeat(Buffer.byteLength(c));
  }

  private str(s: string): void {
    for (const c of s) this.ch(c);
  }

  // VT100 sequences are control codes, not cells: psmisc counts them though,
  // so route them through str() like the C code does.
  private sym(s: string): void {
    this.str(s);
  }

  private int(n: number): number {
    // psmisc's out_int prints nothing at all for 0 (its digit loop never runs)
    if (n === 0) return 1;
    const s = String(n);
    this.str(s);
    return s.length;
  }

  private argText(s: string): number {
    let count = 0;
    for (const c of s) {
      if (c === '\\') {
        this.str('\\\\');
        count += 2;
      } else if (c >= ' ' && c <= '~') {
        this.ch(c);
        count++;
      } else {
        this.str(`\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
        count += 4;
      }
    }
    return count;
  }

  newline(): void {
    this.out += '\n';
    this.curX = 1;
  }

  dump(cur: Node | undefined, level: number, rep: number, leaf: boolean, last: boolean, prevUid: number, closing: number): void {
    if (!cur) return;
    const o = this.o;
    if (!leaf) {
      for (let lvl = 0; lvl < level; lvl++) {
        for (let i = this.width[lvl] + 1; i; i--) this.ch(' ');
        this.sym(lvl === level - 1 ? (last ? o.sym.last2 : o.sym.branch2) : this.more[lvl + 1] ? o.sym.vert2 : o.sym.empty2);
      }
    }
    let add = 0;
    if (rep >= 2) {
      add = this.int(rep) + 2;
      this.str('*[');
    }
    if (o.color) this.raw(cur.age < 60 ? '\x1b[32m' : cur.age < 3600 ? '\x1b[33m' : '\x1b[31m');
    if (cur.highlight && o.bold) this.raw(o.bold[0]);
    const swapped = o.args ? 1 : 0;
    let info = swapped;
    if (swapped && cur.argc < 0) this.ch('(');
    const commLen = this.argText(cur.comm);
    const offset = this.curX;
    if (o.pids) {
      this.ch(info++ ? ',' : '(');
      this.int(cur.pid);
    }
    if (o.pgids) {
      this.ch(info++ ? ',' : '(');
      this.int(cur.pgid);
    }
    if (o.userChanges && prevUid !== cur.uid) {
      this.ch(info++ ? ',' : '(');
      const name = o.userName(cur.uid);
      if (name !== undefined) this.str(name);
      else this.int(cur.uid);
    }
    if (o.nsChanges && cur.parent) {
      for (let i = 0; i < NS_ORDER.length; i++) {
        const mine = cur.ns?.[i] ?? 0;
        const theirs = cur.parent.ns?.[i] ?? 0;
        if (mine === 0 || theirs === 0 || mine === theirs) continue;
        this.ch(info++ ? ',' : '(');
        this.str(NS_ORDER[i]);
      }
    }
    if (o.label) {
      this.ch(info++ ? ',' : '(');
      this.str(`\`${cur.label ?? ''}'`);
    }
    if ((swapped && cur.argc < 0) || (!swapped && info)) this.ch(')');
    if (cur.shared) this.str(`[${cur.shared}]`);
    if (cur.highlight && o.bold) this.raw(o.bold[1]);
    if (o.args) {
      for (let i = 0; i < cur.argc; i++) {
        if (i < cur.argc - 1) this.ch(' ');
        let len = 0;
        for (const c of cur.argv[i]) len += c >= ' ' && c <= '~' ? 1 : 4;
        if (this.curX + len <= o.width - (i === cur.argc - 1 ? 0 : 4) || !o.trunc) this.argText(cur.argv[i]);
        else {
          this.str('...');
          break;
        }
      }
    }
    if (o.color) this.raw('\x1b[0m');
    if (o.label || o.args || cur.children.length === 0) {
      while (closing-- > 0) this.ch(']');
      this.newline();
    }
    this.more[level] = last ? 0 : 1;

    if (o.label || o.args) {
      this.width[level] = swapped + (commLen > 1 ? 0 : -1);
      const kids = [...cur.children];
      for (let w = 0; w < kids.length; w++) {
        let count = 0;
        if (o.compact && kids[w].thread) {
          for (let s = w + 1; s < kids.length; ) {
            if (treeEqual(kids[w], kids[s], o.userChanges, o.nsChanges)) {
              kids.splice(s, 1);
              count++;
            } else s++;
          }
          this.dump(kids[w], level + 1, count + 1, false, w === kids.length - 1, cur.uid, closing + (count ? 2 : 1));
        } else {
          this.dump(kids[w], level + 1, 1, false, w === kids.length - 1, cur.uid, 0);
        }
      }
      return;
    }
    this.width[level] = commLen + this.curX - offset + add;
    if (this.curX >= o.width && o.trunc) {
      this.sym(o.sym.first3);
      this.str('+');
      this.newline();
      return;
    }
    const kids = [...cur.children];
    let first = true;
    for (let w = 0; w < kids.length; w++) {
      let count = 0;
      if (o.compact) {
        for (let s = w + 1; s < kids.length; ) {
          if (treeEqual(kids[w], kids[s], o.userChanges, o.nsChanges)) {
            kids.splice(s, 1);
            count++;
          } else s++;
        }
      }
      const hasNext = w + 1 < kids.length;
      if (first) {
        this.sym(hasNext ? o.sym.first3 : o.sym.single3);
        first = false;
      }
      this.dump(kids[w], level + 1, count + 1, w === 0, !hasNext, cur.uid, closing + (count ? 1 : 0));
    }
  }
}

export function treeEqual(a: Node, b: Node, uids: boolean, ns = false): boolean {
  if (a.comm !== b.comm) return false;
  if (uids && a.uid !== b.uid) return false;
  if (ns && NS_ORDER.some((_, i) => (a.ns?.[i] ?? 0) !== (b.ns?.[i] ?? 0))) return false;
  if (a.shared !== b.shared) return false;
  if (a.children.length !== b.children.length) return false;
  for (let i = 0; i < a.children.length; i++) if (!treeEqual(a.children[i], b.children[i], uids, ns)) return false;
  return true;
}
