/**
 * One-shot readiness of descriptors libuv does not watch: poll(2) runs on
 * a libuv pool thread through koffi (a single call for every watched
 * descriptor, plus an eventfd that wakes it when the set changes), and the
 * callback of a descriptor that became readable runs once on the main
 * thread; the descriptor is then no longer watched until watched again.
 */
import { loadLibc } from './libc.js';

const POLLIN = 1;
const POLLNVAL = 0x20;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;

export class Readiness {
  private readonly watched = new Map<number, () => void>();
  /** a poll is in flight, or its callbacks are being run (then loop() follows them) */
  private polling = false;
  private dispatching = false;
  private efd = -1;

  watch(fd: number, ready: () => void): void {
    this.watched.set(fd, ready);
    this.kick();
  }

  unwatch(fd: number): void {
    if (this.watched.delete(fd)) this.kick();
  }

  /** Stops watching everything; the pool thread is released at once. */
  close(): void {
    this.watched.clear();
    this.kick();
  }

  private kick(): void {
    if (this.dispatching) return;
    if (this.polling) {
      const one = Buffer.alloc(8);
      one.writeBigUInt64LE(1n);
      loadLibc().write(this.efd, one, 8);
    } else this.loop();
  }

  private loop(): void {
    const c = loadLibc();
    if (!this.watched.size) {
      if (this.efd >= 0) c.close(this.efd);
      this.efd = -1;
      return;
    }
    if (this.efd < 0) this.efd = c.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    const fds = [this.efd, ...this.watched.keys()];
    const pfd = Buffer.alloc(8 * fds.length);
    fds.forEach((fd, i) => {
      pfd.writeInt32LE(fd, i * 8);
      pfd.writeInt16LE(POLLIN, i * 8 + 4);
    });
    this.polling = true;
    // the eventfd wakes it at once; the timeout only bounds what a missed wake could cost
    c.poll.async(pfd, fds.length, 1000, (_err, r) => {
      // callbacks that watch or unwatch only change the set: the next poll takes it
      this.dispatching = true;
      try {
        if (r > 0) {
          if (pfd.readInt16LE(6)) c.read(this.efd, Buffer.alloc(8), 8);
          for (let i = 1; i < fds.length; i++) {
            const rev = pfd.readInt16LE(i * 8 + 6);
            const cb = this.watched.get(fds[i]);
            if (!rev || !cb) continue;
            this.watched.delete(fds[i]);
            // a closed descriptor is forgotten, not reported
            if (!(rev & POLLNVAL)) cb();
          }
        }
      } finally {
        this.dispatching = false;
        this.polling = false;
        this.loop();
      }
    });
  }
}
