/**
 * ELF reader for exec-info: header, program headers, sections and the
 * dynamic section, for ELF32/ELF64 in either byte order. Every offset is
 * bounds-checked: a truncated or corrupted file raises ElfError with what
 * was wrong, never a RangeError from deep inside.
 */

export class ElfError extends Error {}

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const ET_EXEC = 2;
export const ET_DYN = 3;
const SHT_NOBITS = 8;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
const DT_FLAGS_1 = 0x6ffffffb;
const DF_1_PIE = 0x08000000;

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

export interface Section {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
}

export interface Dynamic {
  needed: string[];
  soname?: string;
  rpath?: string;
  runpath?: string;
  flags1: number;
}

export interface Elf {
  bits: 32 | 64;
  littleEndian: boolean;
  osabi: number;
  type: number;
  machine: number;
  entry: number;
  programs: ProgramHeader[];
  sections: Section[];
  shstrndx: number;
  interp?: string;
  dynamic?: Dynamic;
}

export const MACHINES: Record<number, string> = {
  2: 'SPARC',
  3: 'Intel 80386',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 'IBM S/390',
  40: 'ARM',
  42: 'SuperH',
  50: 'IA-64',
  62: 'Advanced Micro Devices X86-64',
  183: 'AArch64',
  243: 'RISC-V',
  258: 'LoongArch',
};

export const TYPES: Record<number, string> = {
  0: 'NONE',
  1: 'REL (Relocatable file)',
  2: 'EXEC (Executable file)',
  3: 'DYN (Shared object file)',
  4: 'CORE (Core file)',
};

export function isElf(b: Buffer): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/**
 * Where the bytes come from: a Buffer (tests, small files) or an open file
 * read in blocks on demand, so a 100 MB binary costs a few reads, not 100 MB.
 */
export interface ByteSource {
  readonly length: number;
  /** exactly n bytes at off; the caller has checked the range */
  bytes(off: number, n: number): Buffer;
}

export function bufferSource(b: Buffer): ByteSource {
  return { length: b.length, bytes: (off, n) => b.subarray(off, off + n) };
}

class Reader {
  constructor(
    readonly src: ByteSource,
    readonly le: boolean,
    readonly is64: boolean,
  ) {}

  get length(): number {
    return this.src.length;
  }

  private at(off: number, n: number, what: string): Buffer {
    if (!Number.isSafeInteger(off) || off < 0 || off + n > this.src.length)
      throw new ElfError(`truncated file: ${what} at offset ${off} lies past the end (${this.src.length} bytes)`);
    return this.src.bytes(off, n);
  }
  u16(off: number, what: string): number {
    const b = this.at(off, 2, what);
    return this.le ? b.readUInt16LE(0) : b.readUInt16BE(0);
  }
  u32(off: number, what: string): number {
    const b = this.at(off, 4, what);
    return this.le ? b.readUInt32LE(0) : b.readUInt32BE(0);
  }
  u64(off: number, what: string): number {
    const b = this.at(off, 8, what);
    const v = this.le ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`corrupt ${what}: value ${v} is out of range`);
    return Number(v);
  }
  /** address-sized word */
  word(off: number, what: string): number {
    return this.is64 ? this.u64(off, what) : this.u32(off, what);
  }
  /** NUL-terminated string starting at off, bounded by end */
  str(off: number, end: number, what: string): string {
    const limit = Math.min(end, this.src.length);
    if (!Number.isSafeInteger(off) || off < 0 || off >= limit) throw new ElfError(`corrupt ${what}: string offset ${off} is outside its table`);
    let out = '';
    for (let pos = off; pos < limit; pos += 256) {
      const chunk = this.src.bytes(pos, Math.min(256, limit - pos));
      const z = chunk.indexOf(0);
      if (z >= 0) return out + chunk.toString('latin1', 0, z);
      out += chunk.toString('latin1');
    }
    throw new ElfError(`corrupt ${what}: unterminated string at offset ${off}`);
  }
}

export function parseElf(input: Buffer | ByteSource): Elf {
  const src = Buffer.isBuffer(input) ? bufferSource(input) : input;
  const ident = src.bytes(0, Math.min(16, src.length));
  if (!isElf(ident)) throw new ElfError('not an ELF file (bad magic)');
  if (src.length < 16) throw new ElfError('truncated file: ELF identification is incomplete');
  const cls = ident[4];
  const data = ident[5];
  if (cls !== 1 && cls !== 2) throw new ElfError(`corrupt header: unknown ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new ElfError(`corrupt header: unknown byte order ${data}`);
  const is64 = cls === 2;
  const r = new Reader(src, data === 1, is64);
  const hsize = is64 ? 64 : 52;
  if (src.length < hsize) throw new ElfError(`truncated file: the ELF header needs ${hsize} bytes, the file has ${src.length}`);
  const type = r.u16(16, 'e_type');
  const machine = r.u16(18, 'e_machine');
  const entry = r.word(24, 'e_entry');
  const phoff = r.word(is64 ? 32 : 28, 'e_phoff');
  const shoff = r.word(is64 ? 40 : 32, 'e_shoff');
  const phentsize = r.u16(is64 ? 54 : 42, 'e_phentsize');
  const phnum = r.u16(is64 ? 56 : 44, 'e_phnum');
  const shentsize = r.u16(is64 ? 58 : 46, 'e_shentsize');
  const shnum = r.u16(is64 ? 60 : 48, 'e_shnum');
  const shstrndx = r.u16(is64 ? 62 : 50, 'e_shstrndx');

  const programs: ProgramHeader[] = [];
  if (phnum) {
    if (phentsize < (is64 ? 56 : 32)) throw new ElfError(`corrupt header: program header size ${phentsize} is too small`);
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      const what = `program header ${i}`;
      programs.push(
        is64
          ? {
              type: r.u32(o, what),
              flags: r.u32(o + 4, what),
              offset: r.u64(o + 8, what),
              vaddr: r.u64(o + 16, what),
              filesz: r.u64(o + 32, what),
              memsz: r.u64(o + 40, what),
            }
          : {
              type: r.u32(o, what),
              offset: r.u32(o + 4, what),
              vaddr: r.u32(o + 8, what),
              filesz: r.u32(o + 16, what),
              memsz: r.u32(o + 20, what),
              flags: r.u32(o + 24, what),
            },
      );
    }
  }

  const sections: Section[] = [];
  if (shnum && shoff) {
    if (shentsize < (is64 ? 64 : 40)) throw new ElfError(`corrupt header: section header size ${shentsize} is too small`);
    const raw: (Omit<Section, 'name'> & { nameOff: number })[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      const what = `section header ${i}`;
      raw.push(
        is64
          ? {
              nameOff: r.u32(o, what),
              type: r.u32(o + 4, what),
              flags: r.u64(o + 8, what),
              addr: r.u64(o + 16, what),
              offset: r.u64(o + 24, what),
              size: r.u64(o + 32, what),
              link: r.u32(o + 40, what),
            }
          : {
              nameOff: r.u32(o, what),
              type: r.u32(o + 4, what),
              flags: r.u32(o + 8, what),
              addr: r.u32(o + 12, what),
              offset: r.u32(o + 16, what),
              size: r.u32(o + 20, what),
              link: r.u32(o + 24, what),
            },
      );
    }
    const strtab = raw[shstrndx];
    if (shstrndx !== 0 && !strtab) throw new ElfError(`corrupt header: section name table index ${shstrndx} is out of range`);
    for (const s of raw) {
      const name = strtab ? r.str(strtab.offset + s.nameOff, strtab.offset + strtab.size, 'section name') : '';
      const { nameOff: _, ...rest } = s;
      sections.push({ name, ...rest });
    }
  }

  const elf: Elf = { bits: is64 ? 64 : 32, littleEndian: data === 1, osabi: ident[7], type, machine, entry, programs, sections, shstrndx };
  const interp = programs.find((p) => p.type === PT_INTERP);
  if (interp) elf.interp = r.str(interp.offset, interp.offset + interp.filesz, 'PT_INTERP');
  const dyn = programs.find((p) => p.type === PT_DYNAMIC);
  if (dyn) elf.dynamic = readDynamic(r, elf, dyn);
  return elf;
}

/** File offset of a virtual address, through the PT_LOAD segments. */
function fileOffset(elf: Elf, vaddr: number): number {
  for (const p of elf.programs) {
    if (p.type === PT_LOAD && vaddr >= p.vaddr && vaddr < p.vaddr + p.filesz) return p.offset + (vaddr - p.vaddr);
  }
  throw new ElfError(`corrupt dynamic section: address 0x${vaddr.toString(16)} is in no loadable segment`);
}

function readDynamic(r: Reader, elf: Elf, seg: ProgramHeader): Dynamic {
  const entsize = r.is64 ? 16 : 8;
  const entries: [number, number][] = [];
  for (let o = seg.offset; o + entsize <= seg.offset + seg.filesz; o += entsize) {
    const tag = r.is64 ? r.u64(o, 'dynamic tag') : r.u32(o, 'dynamic tag');
    const val = r.word(o + (r.is64 ? 8 : 4), 'dynamic value');
    if (tag === DT_NULL) break;
    entries.push([tag, val]);
  }
  const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1];
  const out: Dynamic = { needed: [], flags1: 0 };
  if (strtabAddr === undefined) return out;
  const strtab = fileOffset(elf, strtabAddr);
  const s = (v: number, what: string): string => r.str(strtab + v, r.length, what);
  for (const [tag, val] of entries) {
    if (tag === DT_NEEDED) out.needed.push(s(val, 'DT_NEEDED'));
    else if (tag === DT_SONAME) out.soname = s(val, 'DT_SONAME');
    else if (tag === DT_RPATH) out.rpath = s(val, 'DT_RPATH');
    else if (tag === DT_RUNPATH) out.runpath = s(val, 'DT_RUNPATH');
    else if (tag === DT_FLAGS_1) out.flags1 = val;
  }
  return out;
}

export function isPie(elf: Elf): boolean {
  return elf.type === ET_DYN && (elf.interp !== undefined || ((elf.dynamic?.flags1 ?? 0) & DF_1_PIE) !== 0);
}

export function isStatic(elf: Elf): boolean {
  return elf.interp === undefined && elf.dynamic === undefined;
}

/** Sections as `size -A` lists them: what BFD shows as sections. */
export function sizeSections(elf: Elf): Section[] {
  const SHT_SYMTAB = 2;
  const SHT_RELA = 4;
  const SHT_REL = 9;
  const SHF_ALLOC = 2;
  const symtabStrings = new Set(elf.sections.filter((s) => s.type === SHT_SYMTAB).map((s) => s.link));
  return elf.sections.filter((s, i) => {
    if (i === 0 || i === elf.shstrndx || s.type === SHT_SYMTAB || symtabStrings.has(i)) return false;
    // relocations for a non-loaded section belong to that section in BFD's view
    if ((s.type === SHT_RELA || s.type === SHT_REL) && !(s.flags & SHF_ALLOC)) return false;
    return true;
  });
}

export function sectionBytes(s: Section): number {
  return s.type === SHT_NOBITS ? 0 : s.size;
}
