/** errno numbers to their names ('ENOENT'), as node:os lists them for this platform */
import { constants } from 'node:os';

const NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** the name of errno e, undefined for a number this platform does not list */
export function errnoName(e: number): string | undefined {
  return NAMES.get(e);
}

/** the name of errno e, or 'errno N' for one this platform does not list (for messages) */
export function errnoText(e: number): string {
  return errnoName(e) ?? `errno ${e}`;
}
