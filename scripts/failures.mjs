// A node --test reporter that prints nothing until the run ends, then each
// failed test again with its error: CI shows the start and the end of a
// long log, and a failure in the middle of 450 tests is otherwise cut away.
const LIMIT = 4000;

const text = (e) => {
  const inner = e?.cause ?? e;
  const s = String(inner?.stack && !inner?.message ? inner.stack : (inner?.message ?? inner));
  return s.length > LIMIT ? `${s.slice(0, LIMIT)}\n[… ${s.length - LIMIT} more characters]` : s;
};

export default async function* failures(source) {
  const failed = [];
  for await (const { type, data } of source) {
    // a suite fails because a test in it did: the test is the one to show
    if (type === 'test:fail' && data.details?.type !== 'suite') failed.push(data);
  }
  if (!failed.length) return;
  yield `\n# ${failed.length} failed; each again, with its error:\n`;
  for (const d of failed) {
    yield `\n# FAILED ${d.file ?? '?'}${d.line ? `:${d.line}` : ''}: ${d.name}\n`;
    yield `${text(d.details?.error)
      .split('\n')
      .map((l) => `#   ${l}`)
      .join('\n')}\n`;
  }
}
