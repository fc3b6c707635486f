/* A service for the boot benchmark: becomes ready (sd_notify READY=1 on
 * $NOTIFY_SOCKET) after the given milliseconds, then waits to be stopped;
 * on SIGTERM it spends the second number of milliseconds (its stop work)
 * before it exits. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long stop_ms;

static void nap(long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static void on_term(int sig) {
  (void)sig;
  nap(stop_ms);
  _exit(0);
}

int main(int argc, char **argv) {
  long ms = argc > 1 ? atol(argv[1]) : 0;
  stop_ms = argc > 2 ? atol(argv[2]) : 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  nap(ms);
  const char *path = getenv("NOTIFY_SOCKET");
  if (path) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&a, sizeof a);
    close(fd);
  }
  for (;;) pause();
}
