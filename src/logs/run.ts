/**
 * `dk logs`: journalctl-style reading of the log store. The query goes to
 * the store (indexes do the filtering); -g is applied on the way out; -f
 * then polls for rows newer than the last one shown.
 */
import { spawn } from 'node:child_process';
import { isatty } from 'node:tty';
import { collect, follow, openReader, type LogReader } from '../logstore/reader.js';
import type { LogRecord } from '../logstore/record.js';
import { LogsUsageError, parseLogsArgs, type LogsOptions } from './args.js';
import { formatRecord } from './format.js';

export const DEFAULT_DB = '/var/lib/dk-syslogd/logs.db';

export const LOGS_HELP = `Usage: dk logs [--db FILE] [-f] [-n [N]] [-r] [-S TIME] [-U TIME] [-p LEVEL|FROM..TO]
               [--facility LIST] [-t TAG]... [-H HOST]... [--pid PID] [-g REGEX] [-o MODE] [--no-pager]

  --db FILE|URL    the SQLite store dk syslogd writes (default ${DEFAULT_DB}), or postgres://...
  -f, --follow     keep printing new messages
  -n, --lines [N]  only the last N (10 without a number)
  -r, --reverse    newest first
  -S, --since, -U, --until TIME   2026-11-25 13:00, 13:00, -1h, "2 days ago", yesterday, today, @EPOCH
  -p LEVEL         that level and more urgent; FROM..TO for a range (emerg..debug or 0..7)
  --facility LIST  mail,local0,...   -t TAG  by tag (repeatable)   -H HOST  by host   --pid PID
  -g REGEX         messages matching (any case unless REGEX has capitals)
  -o MODE          short (default), short-iso, json, rfc5424, cat
`;

export interface LogsIO {
  write(s: string): void;
  error(s: string): void;
}

export async function runLogs(argv: string[], io: LogsIO, now = Date.now()): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.write(LOGS_HELP);
    return 0;
  }
  let o: LogsOptions;
  try {
    o = parseLogsArgs(argv, now, DEFAULT_DB);
  } catch (e) {
    if (!(e instanceof LogsUsageError)) throw e;
    io.error(`dk logs: ${e.message}\n`);
    return 1;
  }
  let store: LogReader;
  try {
    store = await openReader(o.db);
  } catch (e) {
    io.error(`dk logs: --db: ${(e as Error).message}\n`);
    return 1;
  }
  const keep = o.grep ? (r: LogRecord) => o.grep!.test(r.msg) : undefined;
  let rows: LogRecord[];
  if (o.lines !== undefined && !o.reverse) rows = (await collect(store.select({ ...o.filter, newestFirst: true, limit: o.lines }, keep))).reverse();
  else rows = await collect(store.select({ ...o.filter, newestFirst: o.reverse, limit: o.lines }, keep));
  const text = rows.map((r) => `${formatRecord(r, o.output)}\n`).join('');
  if (!o.follow) {
    await store.close();
    if (o.pager && isatty(1) && text) return page(text);
    io.write(text);
    return 0;
  }
  io.write(text);
  const last = rows.reduce((m, r) => Math.max(m, r.id ?? 0), 0) || (await store.maxId());
  return new Promise<number>((resolve) => {
    const stopFollowing = follow(store, o.filter, last, (fresh) => io.write(fresh.map((r) => `${formatRecord(r, o.output)}\n`).join('')), keep);
    const stop = () => {
      stopFollowing();
      void Promise.resolve(store.close()).then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** $PAGER, or less -FRX as journalctl does: quits at once when it all fits. */
function page(text: string): Promise<number> {
  const pager = process.env.PAGER || 'less';
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', pager], { stdio: ['pipe', 'inherit', 'inherit'], env: { LESS: 'FRX', ...process.env } });
    child.stdin.on('error', () => {});
    child.stdin.end(text);
    child.on('error', () => {
      process.stdout.write(text);
      resolve(0);
    });
    child.on('exit', () => resolve(0));
  });
}
