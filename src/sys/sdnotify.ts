/**
 * sd_notify(3) for our own daemons: "READY=1" and friends as one datagram
 * to $NOTIFY_SOCKET (dk init's or systemd's), so a supervisor starts what
 * depends on us only once our sockets exist. A path or an abstract socket
 * name ("@name", as systemd and container managers also hand out); without
 * NOTIFY_SOCKET nothing happens.
 */
import { UnixDatagramClient } from './unixdgram.js';

export function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = env.NOTIFY_SOCKET;
  if (!path || path === '@') return false;
  const c = new UnixDatagramClient(path);
  const ok = c.send(Buffer.from(state), true);
  c.close();
  return ok;
}
