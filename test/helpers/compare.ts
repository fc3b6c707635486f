/**
 * Line comparison for two listings taken a few milliseconds apart. Lines
 * must be byte-identical, except tokens that count time (TIME, ELAPSED, %CPU,
 * C) may move by a little between the two instants; those are compared as
 * numbers with a tolerance and reported if they move further.
 */
import assert from 'node:assert/strict';

function seconds(tok: string): number | undefined {
  // top's TIME+ (M:SS.hh)
  const plus = /^(\d+):(\d\d)\.(\d\d)$/.exec(tok);
  if (plus) return Number(plus[1]) * 60 + Number(plus[2]) + Number(plus[3]) / 100;
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d\d)$/.exec(tok);
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

function close(a: string, b: string): boolean {
  const sa = seconds(a);
  const sb = seconds(b);
  if (sa !== undefined && sb !== undefined) return Math.abs(sa - sb) <= 2;
  // %CPU and C of a process a second old move fast: allow a quarter, or 2 points
  const near = (x: number, y: number): boolean => Math.abs(x - y) <= Math.max(2, 0.25 * Math.max(x, y));
  if (/^\d+\.\d$/.test(a) && /^\d+\.\d$/.test(b)) return near(Number(a), Number(b));
  if (/^\d{1,2}$/.test(a) && /^\d{1,2}$/.test(b)) return near(Number(a), Number(b));
  return false;
}

/** digits (with a point, a colon or a unit letter) where the other has them too: the same kind of value */
const sameKind = (a: string, b: string): boolean => /^[\d.:]+[a-zA-Z]?$/.test(a) === /^[\d.:]+[a-zA-Z]?$/.test(b);

/**
 * mine, read between the peer's before and after: a column the peer saw move
 * between its two reads (RSS of a node process collecting garbage) is held
 * only to being the same kind of value; every other column to the peer's.
 */
function movedBetween(before: string, mine: string, after: string): boolean {
  const [b, m, a] = [before, mine, after].map((l) => l.trim().split(/\s+/));
  if (m.length !== b.length || m.length !== a.length) return false;
  return m.every((t, i) => t === b[i] || t === a[i] || close(t, b[i]) || (b[i] !== a[i] && sameKind(t, b[i])));
}

export function linesMatch(a: string, b: string): boolean {
  if (a === b) return true;
  const ta = a.trim().split(/\s+/);
  const tb = b.trim().split(/\s+/);
  if (ta.length !== tb.length) return false;
  return ta.every((t, i) => t === tb[i] || close(t, tb[i]));
}

/**
 * peerAfter: the peer's listing taken again after ours. A line of ours then
 * matches the peer's before or after it (a counter such as a node process's
 * RSS may move between the two instants under load).
 */
export function assertSameListing(peer: string, ours: string, label: string, peerAfter?: string): void {
  const pa = peer.split('\n');
  const pb = peerAfter?.split('\n');
  const oa = ours.split('\n');
  assert.equal(oa.length, pa.length, `${label}: line count\npeer:\n${peer}\nours:\n${ours}`);
  pa.forEach((line, i) => {
    const later = pb !== undefined && pb.length === pa.length ? pb[i] : undefined;
    const ok = linesMatch(line, oa[i]) || (later !== undefined && (linesMatch(later, oa[i]) || movedBetween(line, oa[i], later)));
    assert.ok(
      ok,
      `${label}: line ${i + 1} differs\npeer: ${JSON.stringify(line)}\nours: ${JSON.stringify(oa[i])}${pb ? `\npeer after: ${JSON.stringify(pb[i])}` : ''}`,
    );
  });
}
