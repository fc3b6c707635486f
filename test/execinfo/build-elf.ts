/**
 * A tiny ELF writer for tests: one PT_LOAD covering the file, PT_INTERP,
 * PT_DYNAMIC with NEEDED/SONAME/RUNPATH, and section headers with names, in
 * either class and byte order.
 */
export interface ElfSpec {
  bits: 32 | 64;
  littleEndian: boolean;
  machine: number;
  type?: number;
  interp?: string;
  needed?: string[];
  soname?: string;
  runpath?: string;
  /** extra sections: name, type, size */
  sections?: [string, number, number][];
}

export function buildElf(spec: ElfSpec): Buffer {
  const is64 = spec.bits === 64;
  const le = spec.littleEndian;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const word = is64 ? 8 : 4;

  // dynamic string table
  let dynstr = '\0';
  const strOff = (s: string): number => {
    const at = dynstr.length;
    dynstr += `${s}\0`;
    return at;
  };
  const dyn: [number, number][] = [];
  for (const n of spec.needed ?? []) dyn.push([1, strOff(n)]);
  if (spec.soname) dyn.push([14, strOff(spec.soname)]);
  if (spec.runpath) dyn.push([29, strOff(spec.runpath)]);
  const hasDyn = dyn.length > 0 || spec.interp !== undefined;

  const phnum = 1 + (spec.interp ? 1 : 0) + (hasDyn ? 1 : 0);
  let off = ehsize + phnum * phentsize;
  const interpOff = off;
  const interpBytes = spec.interp ? Buffer.from(`${spec.interp}\0`, 'latin1') : Buffer.alloc(0);
  off += interpBytes.length;
  const dynstrOff = off;
  const dynstrBytes = Buffer.from(dynstr, 'latin1');
  off += dynstrBytes.length;
  off = (off + 7) & ~7;
  const dynOff = off;
  const dynEntries = hasDyn ? [...dyn, [5, dynstrOff] as [number, number], [0, 0] as [number, number]] : [];
  off += dynEntries.length * 2 * word;
  const extra = spec.sections ?? [];
  let shstr = '\0';
  const shName = (s: string): number => {
    const at = shstr.length;
    shstr += `${s}\0`;
    return at;
  };
  const secs: { name: number; type: number; offset: number; size: number; flags: number }[] = [{ name: 0, type: 0, offset: 0, size: 0, flags: 0 }];
  for (const [name, type, size] of extra) {
    secs.push({ name: shName(name), type, offset: type === 8 ? 0 : off, size, flags: 2 });
    if (type !== 8) off += size;
  }
  const shstrName = shName('.shstrtab');
  const shstrOff = off;
  const shstrBytes = Buffer.from(shstr, 'latin1');
  secs.push({ name: shstrName, type: 3, offset: shstrOff, size: shstrBytes.length, flags: 0 });
  off += shstrBytes.length;
  off = (off + 7) & ~7;
  const shoff = off;
  off += secs.length * shentsize;

  const b = Buffer.alloc(off);
  const w16 = (o: number, v: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const w32 = (o: number, v: number) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const wW = (o: number, v: number) => (is64 ? (le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o)) : w32(o, v));
  b.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0]);
  w16(16, spec.type ?? 3);
  w16(18, spec.machine);
  w32(20, 1);
  wW(24, 0x1000);
  wW(is64 ? 32 : 28, ehsize);
  wW(is64 ? 40 : 32, shoff);
  w16(is64 ? 52 : 40, ehsize);
  w16(is64 ? 54 : 42, phentsize);
  w16(is64 ? 56 : 44, phnum);
  w16(is64 ? 58 : 46, shentsize);
  w16(is64 ? 60 : 48, secs.length);
  w16(is64 ? 62 : 50, secs.length - 1);

  const ph = (i: number, type: number, offset: number, size: number) => {
    const o = ehsize + i * phentsize;
    w32(o, type);
    if (is64) {
      w32(o + 4, 5);
      wW(o + 8, offset);
      wW(o + 16, offset);
      wW(o + 24, offset);
      wW(o + 32, size);
      wW(o + 40, size);
    } else {
      w32(o + 4, offset);
      w32(o + 8, offset);
      w32(o + 12, offset);
      w32(o + 16, size);
      w32(o + 20, size);
      w32(o + 24, 5);
    }
  };
  let i = 0;
  ph(i++, 1, 0, off); // PT_LOAD, identity-mapped
  if (spec.interp) ph(i++, 3, interpOff, interpBytes.length);
  if (hasDyn) ph(i++, 2, dynOff, dynEntries.length * 2 * word);
  interpBytes.copy(b, interpOff);
  dynstrBytes.copy(b, dynstrOff);
  dynEntries.forEach(([tag, val], k) => {
    wW(dynOff + k * 2 * word, tag);
    wW(dynOff + k * 2 * word + word, val);
  });
  shstrBytes.copy(b, shstrOff);
  secs.forEach((s, k) => {
    const o = shoff + k * shentsize;
    w32(o, s.name);
    w32(o + 4, s.type);
    if (is64) {
      wW(o + 8, s.flags);
      wW(o + 16, s.offset);
      wW(o + 24, s.offset);
      wW(o + 32, s.size);
    } else {
      w32(o + 8, s.flags);
      w32(o + 12, s.offset);
      w32(o + 16, s.offset);
      w32(o + 20, s.size);
    }
  });
  return b;
}
