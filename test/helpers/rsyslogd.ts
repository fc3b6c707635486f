/**
 * Debian's rsyslogd as a real peer: run in the foreground with a private
 * config, work directory, pidfile and sockets under a temp dir. Its system
 * socket is always off (SysSock.Use="off"), so it never touches /dev/log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV } from './dk.js';
import { until } from './children.js';

export interface RunningRsyslogd {
  child: ChildProcess;
  /** the imtcp port, when the config asked for one (port 0 + listenPortFileName) */
  tcpPort?: number;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts rsyslogd; `%DIR%` in the config text stands for dir. */
export async function startRsyslogd(path: string, dir: string, conf: string): Promise<RunningRsyslogd> {
  const file = join(dir, 'rsyslog.conf');
  writeFileSync(file, `global(workDirectory="${dir}")\nmodule(load="imuxsock" SysSock.Use="off")\n${conf.replaceAll('%DIR%', dir)}\n`);
  const child = spawn(path, ['-n', '-f', file, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (err += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const portFile = join(dir, 'rsyslog-tcp.port');
  const wantPort = conf.includes('rsyslog-tcp.port');
  // the pidfile comes before the inputs: wait for each socket and port file the config names
  const sockets = [...conf.matchAll(/Socket="([^"]+)"/g)].map((m) => m[1].replaceAll('%DIR%', dir));
  const ready = () =>
    existsSync(join(dir, 'rsyslogd.pid')) &&
    sockets.every((p) => existsSync(p)) &&
    (!wantPort || (existsSync(portFile) && readFileSync(portFile, 'utf8').trim() !== ''));
  await until(() => child.exitCode !== null || ready(), 'rsyslogd to start');
  if (child.exitCode !== null) throw new Error(`rsyslogd exited ${child.exitCode}: ${err}`);
  if (/error/i.test(err)) throw new Error(`rsyslogd reported: ${err}`);
  return {
    child,
    tcpPort: wantPort ? Number(readFileSync(portFile, 'utf8').trim()) : undefined,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    },
  };
}
