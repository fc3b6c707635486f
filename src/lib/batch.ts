/**
 * The batched /proc reader (src/native/procbatch.c and sockiter.c, built
 * into dist/native/procbatch.so by npm run build) through koffi: a whole
 * file read, or a whole socket-owner scan, in one FFI call. undefined where it
 * was not built (no C compiler), could not load, or DK_NO_NATIVE is set
 * (the tests compare both ways); callers then make the system calls one FFI
 * call each (procat.ts, fdscan.ts).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

type Fn<A extends unknown[]> = (...a: A) => number;
export interface Batch {
  readFiles: Fn<[number, Buffer, Uint8Array, number, Buffer, number, BigInt64Array]>;
  socketOwners: Fn<[number, Int32Array, number, BigInt64Array, number]>;
  listPids: Fn<[number, Int32Array, number]>;
  bgStart: Fn<[number, Buffer, Uint8Array, number]>;
  bgHelp: () => number;
  bgCancel: () => number;
  bgTake: Fn<[Buffer, number, BigInt64Array]>;
  sockIterOpen: () => number;
  sockIter: Fn<[BigInt64Array, number]>;
}

let loaded: Batch | null | undefined;

export function batch(): Batch | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  const here = import.meta.url as string | undefined;
  if (!here || process.env.DK_NO_NATIVE) return undefined;
  const so = fileURLToPath(new URL('../../native/procbatch.so', here));
  if (!existsSync(so)) return undefined;
  try {
    const koffi = createRequire(here)('koffi') as { load(p: string): { func(sig: string): unknown } };
    const lib = koffi.load(so);
    loaded = {
      readFiles: lib.func(
        'long dk_read_files(int dirfd, const void *paths, const void *single, int n, _Out_ void *out, long cap, _Out_ int64_t *lens)',
      ) as Batch['readFiles'],
      socketOwners: lib.func('long dk_socket_owners(int procfd, const int32_t *pids, int n, _Out_ int64_t *out, long cap)') as Batch['socketOwners'],
      listPids: lib.func('long dk_list_pids(int dirfd, _Out_ int32_t *out, long cap)') as Batch['listPids'],
      bgStart: lib.func('long dk_bg_start(int dirfd, const void *paths, const void *single, int n)') as Batch['bgStart'],
      bgHelp: lib.func('long dk_bg_help(void)') as Batch['bgHelp'],
      bgCancel: lib.func('long dk_bg_cancel(void)') as Batch['bgCancel'],
      bgTake: lib.func('long dk_bg_take(_Out_ void *out, long cap, _Out_ int64_t *lens)') as Batch['bgTake'],
      sockIterOpen: lib.func('long dk_sock_iter_open(void)') as Batch['sockIterOpen'],
      sockIter: lib.func('long dk_sock_iter(_Out_ int64_t *out, long cap)') as Batch['sockIter'],
    };
  } catch {
    loaded = null;
  }
  return loaded ?? undefined;
}
