/**
 * A free loopback TCP port, for the few tests where a daemon must come back
 * on the same port after a restart (port 0 would give it another one).
 */
import * as net from 'node:net';

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
