/**
 * /etc/ld.so.cache (glibc's "glibc-ld.so.cache1.1" format, alone or after
 * the old "ld.so-1.7.0" table): library name -> path, with flags saying which
 * ABI each entry is for, so a 64-bit program never picks a 32-bit library.
 */

export interface CacheEntry {
  flags: number;
  key: string;
  value: string;
}

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';

function cstr(b: Buffer, off: number): string | undefined {
  if (off < 0 || off >= b.length) return undefined;
  const end = b.indexOf(0, off);
  return end < 0 ? undefined : b.toString('latin1', off, end);
}

export function parseLdCache(b: Buffer): CacheEntry[] {
  let base = 0;
  if (b.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    // old header: magic, nlibs; entries of 12 bytes; the new table follows, 8-aligned
    if (b.length < 16) return [];
    const n = b.readUInt32LE(12);
    base = 16 + n * 12;
    base = (base + 7) & ~7;
  }
  if (b.toString('latin1', base, base + NEW_MAGIC.length) !== NEW_MAGIC || b.length < base + 48) return [];
  const little = b[base + 28] !== 1; // flags: 2 = little endian, 1 = big, 0 = host (x86: little)
  const u32 = (o: number): number => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const n = u32(base + 20);
  const out: CacheEntry[] = [];
  for (let i = 0; i < n; i++) {
    const o = base + 48 + i * 24;
    if (o + 24 > b.length) break;
    const flags = little ? b.readInt32LE(o) : b.readInt32BE(o);
    // string offsets are relative to the new header
    const key = cstr(b, base + u32(o + 4));
    const value = cstr(b, base + u32(o + 8));
    if (key !== undefined && value !== undefined) out.push({ flags, key, value });
  }
  return out;
}

/** The cache flags glibc expects for an ELF machine and class. */
export function cacheFlagsFor(machine: number, bits: 32 | 64): number {
  const ELF_LIBC6 = 0x0003;
  if (machine === 62 && bits === 64) return ELF_LIBC6 | 0x0300; // x86-64
  if (machine === 62 && bits === 32) return ELF_LIBC6 | 0x0800; // x32
  if (machine === 183) return ELF_LIBC6 | 0x0a00; // AArch64
  if (machine === 243 && bits === 64) return ELF_LIBC6 | 0x1000; // RISC-V lp64d
  if (machine === 21) return ELF_LIBC6 | 0x0500; // ppc64
  if (machine === 22 && bits === 64) return ELF_LIBC6 | 0x0400; // s390x
  return ELF_LIBC6; // 32-bit x86, ARM and the rest
}
