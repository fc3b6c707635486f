/**
 * The unprivileged daemon's side of --user: files, ttys and pipes are
 * opened by asking the privileged part (monitor.ts) over the descriptor it
 * was given, and waiting for its answer (a few microseconds: it only opens).
 * A refusal comes back as the error the open would have thrown, so the
 * outputs treat a full disk or a missing directory the same either way.
 */
import { FdChannel } from '../../sys/fdpass.js';
import type { Opener } from '../server/outputs.js';

export function monitorOpener(fd: number): Opener {
  const channel = new FdChannel(fd);
  return (path, flags, mode) => {
    channel.send(Buffer.from(`OPEN ${flags} ${mode} ${path}`));
    const r = channel.recv();
    if (!r) throw Object.assign(new Error(`cannot open ${path}: the privileged part has gone`), { code: 'EIO' });
    const text = r.data.toString();
    if (text === 'OK' && r.fd !== undefined) return r.fd;
    const m = /^ERR (\S+) (.*)$/s.exec(text);
    throw Object.assign(new Error(m ? m[2] : text), { code: m ? m[1] : 'EIO' });
  };
}
