/**
 * dk exec-info FILE|COMMAND: what exec(2) would do with a file, without
 * running it: the #! chain, the ELF header, the dynamic loader, the shared
 * libraries ld.so would load and the section sizes.
 */
import * as fs from 'node:fs';
import { ElfError, MACHINES, TYPES, isElf, isPie, isStatic, parseElf, sizeSections, type Elf } from './elf.js';
import { resolveLibraries, type LoadedLib } from './resolve.js';
import { BINPRM_BUF_SIZE, MAX_RECURSION, ShebangError, parseShebang, type Shebang } from './shebang.js';
import { FileSource } from './file.js';

export interface ExecInfoIO {
  write(s: string): void;
  error(s: string): void;
  env: NodeJS.ProcessEnv;
}

export const EXEC_INFO_HELP = `Usage: dk exec-info [--sections] [--libs] [--json] FILE|COMMAND...

Explains how exec(2) would start a program, without running it:
the #! interpreter chain, the ELF header (class, machine, type, static or
dynamic, PIE), the dynamic loader (PT_INTERP), the DT_NEEDED libraries as
ld.so would resolve them, and the section sizes.

  --sections   section sizes as \`size -A\` prints them
  --libs       resolved libraries as \`ldd\` lists them (nothing is run)
  --json       everything as JSON
`;

class ExecInfoError extends Error {}

interface Step {
  path: string;
  shebang?: Shebang;
}

export interface Report {
  file: string;
  chain: Step[];
  elf?: {
    path: string;
    class: string;
    endian: string;
    machine: string;
    type: string;
    /** static: no dynamic section; static-pie: relocates itself, loads nothing */
    linking: 'static' | 'static-pie' | 'dynamic';
    pie: boolean;
    entry: string;
    interpreter?: string;
    needed: string[];
    rpath?: string;
    runpath?: string;
    soname?: string;
    libraries: LoadedLib[];
    sections: { name: string; size: number; addr: number }[];
  };
}

function readHead(path: string, max: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new ExecInfoError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new ExecInfoError(`${path}: is a directory`);
    const b = Buffer.alloc(Math.min(st.size || max, max));
    const n = fs.readSync(fd, b, 0, b.length, 0);
    return b.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** COMMAND without a slash is looked up in PATH, as execvp does. */
function locate(name: string, env: NodeJS.ProcessEnv): string {
  if (name.includes('/')) return name;
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = `${dir || '.'}/${name}`;
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // next directory
    }
  }
  throw new ExecInfoError(`${name}: command not found in PATH`);
}

export function inspect(target: string, env: NodeJS.ProcessEnv): Report {
  const file = locate(target, env);
  const chain: Step[] = [];
  let path = file;
  for (let depth = 0; ; depth++) {
    const head = readHead(path, BINPRM_BUF_SIZE);
    if (isElf(head)) {
      chain.push({ path });
      const src = FileSource.open(path);
      if (!src) throw new ExecInfoError(`${path}: cannot be read`);
      let elf: Elf;
      try {
        elf = parseElf(src);
      } catch (e) {
        if (e instanceof ElfError) throw new ExecInfoError(`${path}: ${e.message}`);
        throw e;
      } finally {
        src.close();
      }
      return { file, chain, elf: describe(path, elf, env) };
    }
    let sb: Shebang | undefined;
    try {
      sb = parseShebang(head);
    } catch (e) {
      if (e instanceof ShebangError) throw new ExecInfoError(`${path}: ${e.message}`);
      throw e;
    }
    if (!sb) {
      chain.push({ path });
      if (depth === 0) throw new ExecInfoError(`${path}: not an ELF file or #! script (exec fails with ENOEXEC; a shell would run it as a shell script)`);
      throw new ExecInfoError(`${path}: interpreter is not an ELF file or #! script (exec fails with ENOEXEC)`);
    }
    chain.push({ path, shebang: sb });
    if (depth + 1 > MAX_RECURSION) throw new ExecInfoError(`${file}: more than ${MAX_RECURSION} levels of #! interpreters (exec fails with ELOOP)`);
    path = sb.interpreter;
  }
}

function describe(path: string, elf: Elf, env: NodeJS.ProcessEnv): NonNullable<Report['elf']> {
  const d = elf.dynamic;
  return {
    path,
    class: `ELF${elf.bits}`,
    endian: elf.littleEndian ? 'little endian' : 'big endian',
    machine: MACHINES[elf.machine] ?? `machine ${elf.machine}`,
    type: TYPES[elf.type] === undefined ? `type ${elf.type}` : isPie(elf) ? 'DYN (Position-Independent Executable file)' : TYPES[elf.type],
    linking: isStatic(elf) ? 'static' : !elf.interp && !d?.needed.length ? 'static-pie' : 'dynamic',
    pie: isPie(elf),
    entry: `0x${elf.entry.toString(16)}`,
    interpreter: elf.interp,
    needed: d?.needed ?? [],
    rpath: d?.rpath,
    runpath: d?.runpath,
    soname: d?.soname,
    libraries: isStatic(elf) ? [] : resolveLibraries(path, elf, { ldLibraryPath: env.LD_LIBRARY_PATH }),
    sections: sizeSections(elf).map((s) => ({ name: s.name, size: s.size, addr: s.addr })),
  };
}

/** The `size -A` block for one file. */
export function formatSizeA(file: string, sections: { name: string; size: number; addr: number }[]): string {
  const total = sections.reduce((a, s) => a + s.size, 0);
  const nameW = Math.max('section'.length, ...sections.map((s) => s.name.length));
  const sizeW = Math.max('size'.length, String(total).length, ...sections.map((s) => String(s.size).length));
  const addrW = Math.max('addr'.length, ...sections.map((s) => String(s.addr).length));
  const row = (a: string, b: string, c: string) => `${a.padEnd(nameW)}   ${b.padStart(sizeW)}   ${c.padStart(addrW)}`.trimEnd();
  const lines = [
    `${file}  :`,
    row('section', 'size', 'addr'),
    ...sections.map((s) => row(s.name, String(s.size), String(s.addr))),
    `${'Total'.padEnd(nameW)}   ${String(total).padStart(sizeW)}`,
  ];
  return `${lines.join('\n')}\n\n\n`;
}

/** The ldd-style lines (without load addresses and the vDSO, which only exist at run time). */
export function formatLibs(r: Report): string {
  const e = r.elf!;
  if (e.linking === 'static') return '\tnot a dynamic executable\n';
  if (e.linking === 'static-pie') return '\tstatically linked\n';
  let s = '';
  for (const l of e.libraries) {
    if (l.interpreter) s += `\t${l.path}\n`;
    else s += l.path ? `\t${l.name} => ${l.path}\n` : `\t${l.name} => not found\n`;
  }
  return s;
}

function formatHuman(r: Report): string {
  const out: string[] = [];
  out.push(`${r.file}:`);
  for (const s of r.chain) {
    if (s.shebang)
      out.push(
        `  ${s.path}: #! script: exec runs ${s.shebang.interpreter}${s.shebang.arg !== undefined ? ` with argument "${s.shebang.arg}"` : ''}, then the script path`,
      );
  }
  const e = r.elf;
  if (!e) return `${out.join('\n')}\n`;
  const argv = r.chain
    .filter((s) => s.shebang)
    .reverse()
    .flatMap((s) => [s.shebang!.interpreter, ...(s.shebang!.arg !== undefined ? [s.shebang!.arg] : [])]);
  if (argv.length) out.push(`  argv the kernel builds: ${[...argv, r.file].join(' ')} ARGS...`);
  out.push(
    `  ${e.path}: ${e.class} ${e.endian}, ${e.machine}, ${e.type}, ${e.linking === 'static-pie' ? 'static-pie linked' : `${e.linking}ally linked`}${e.pie ? ', PIE' : ''}, entry ${e.entry}`,
  );
  if (e.interpreter) out.push(`  dynamic loader (PT_INTERP): ${e.interpreter}`);
  if (e.soname) out.push(`  soname: ${e.soname}`);
  if (e.rpath) out.push(`  DT_RPATH: ${e.rpath}`);
  if (e.runpath) out.push(`  DT_RUNPATH: ${e.runpath}`);
  if (e.needed.length) out.push(`  needed (DT_NEEDED): ${e.needed.join(' ')}`);
  if (e.libraries.length) {
    out.push('  libraries, in load order:');
    for (const l of e.libraries) out.push(`    ${l.name} => ${l.path ?? 'not found'}${l.via ? ` (${l.via})` : ''}`);
  }
  const pick = (n: string) => e.sections.find((s) => s.name === n)?.size;
  const text = pick('.text');
  if (text !== undefined)
    out.push(`  sections: .text ${text}, .data ${pick('.data') ?? 0}, .bss ${pick('.bss') ?? 0} bytes (${e.sections.length} sections; --sections for all)`);
  return `${out.join('\n')}\n`;
}

export function runExecInfo(argv: string[], io: ExecInfoIO): number {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const targets = argv.filter((a) => !a.startsWith('--'));
  if (flags.has('--help')) {
    io.write(EXEC_INFO_HELP);
    return 0;
  }
  const unknown = [...flags].find((f) => !['--sections', '--libs', '--json'].includes(f));
  if (unknown) {
    io.error(`dk exec-info: unknown option ${unknown} (see 'dk exec-info --help')\n`);
    return 1;
  }
  if (targets.length === 0) {
    io.error("dk exec-info: a FILE or COMMAND is required (see 'dk exec-info --help')\n");
    return 1;
  }
  let code = 0;
  const reports: Report[] = [];
  for (const t of targets) {
    let r: Report;
    try {
      r = inspect(t, io.env);
    } catch (e) {
      if (!(e instanceof ExecInfoError)) throw e;
      io.error(`dk exec-info: ${e.message}\n`);
      code = 1;
      continue;
    }
    if (flags.has('--json')) reports.push(r);
    else if (flags.has('--sections')) io.write(formatSizeA(t, r.elf?.sections ?? []));
    else if (flags.has('--libs')) {
      const s = formatLibs(r);
      if (targets.length > 1) io.write(`${t}:\n`);
      io.write(s);
      if (r.elf?.linking === 'static') code = 1;
    } else io.write(formatHuman(r));
  }
  if (flags.has('--json')) io.write(`${JSON.stringify(targets.length === 1 ? (reports[0] ?? null) : reports, null, 2)}\n`);
  return code;
}
