/**
 * A dk syslogd as a real child process for tests: its own config, socket and
 * loopback ports (port 0, read back from its "listening on" lines), stderr
 * kept for assertions, statistics on demand, killed by PID when done.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DK, ENV } from './dk.js';
import { until } from './children.js';

export interface RunningSyslogd {
  child: ChildProcess;
  sock: string;
  udpPort?: number;
  tcpPort?: number;
  stderr(): string;
  /** SIGUSR1, then the statistics block it printed */
  stats(): Promise<string>;
  /** statistics, repeated until pred holds (bounded) */
  statsUntil(pred: (stats: string) => boolean, what: string, limitMs?: number): Promise<string>;
  /** VmHWM (peak resident set) in KiB */
  peakRssKiB(): number;
  stop(): Promise<number | null>;
}

export async function startSyslogd(
  dir: string,
  confLines: string[],
  opts: { udp?: boolean; tcp?: boolean; args?: string[] /** a session of its own, as a real daemon */; setsid?: boolean } = {},
): Promise<RunningSyslogd> {
  const conf = join(dir, 'syslog.conf');
  const sock = join(dir, 'log');
  writeFileSync(conf, `${confLines.join('\n')}\n`);
  const args = [DK, 'syslogd', '-n', '-f', conf, '-p', sock, ...(opts.args ?? [])];
  if (opts.udp) args.push('--udp', '127.0.0.1:0');
  if (opts.tcp) args.push('--tcp', '127.0.0.1:0');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: ENV, detached: opts.setsid });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // one "listening on" line per socket: the local one and each --udp/--tcp/--tls
  const want = 1 + args.filter((a) => a === '--udp' || a === '--tcp' || a === '--tls').length;
  await until(() => (err.match(/listening on /g)?.length ?? 0) >= want || child.exitCode !== null, 'dk syslogd to listen');
  if (child.exitCode !== null) throw new Error(`dk syslogd exited: ${err}`);
  let statsSeen = 0;
  const self: RunningSyslogd = {
    child,
    sock,
    udpPort: opts.udp ? Number(/listening on udp [\d.]+:(\d+)/.exec(err)![1]) : undefined,
    tcpPort: opts.tcp ? Number(/listening on tcp [\d.]+:(\d+)/.exec(err)![1]) : undefined,
    stderr: () => err,
    async stats() {
      const n = ++statsSeen;
      child.kill('SIGUSR1');
      const count = () => err.split('dk syslogd statistics:').length - 1;
      await until(() => count() >= n && /flow control:[^\n]*\n/.test(err.slice(err.lastIndexOf('dk syslogd statistics:'))), 'statistics');
      const at = err.lastIndexOf('dk syslogd statistics:');
      return err.slice(at);
    },
    async statsUntil(pred, what, limitMs = 30000) {
      const end = Date.now() + limitMs;
      for (;;) {
        const s = await self.stats();
        if (pred(s)) return s;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last statistics:\n${s}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    peakRssKiB() {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'latin1'));
      return Number(m![1]);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
  return self;
}
