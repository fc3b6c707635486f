/*
 * Load generator for `npm run bench -- syslogd`: sends COUNT numbered
 * ~100-byte RFC 3164 messages as fast as the transport takes them.
 *   blaster unix PATH COUNT        datagrams, blocking send (as syslog(3))
 *   blaster udp PORT COUNT         datagrams to 127.0.0.1
 *   blaster tcp PORT COUNT CONNS   octet-counted frames over CONNS connections
 * C, so the sender is never the bottleneck of either daemon.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int message(char *buf, int conn, long seq) {
  return snprintf(buf, 256, "<13>Nov 25 12:00:00 blast[%d]: c%d seq %08ld %s", 1000 + conn, conn, seq,
                  "padding-padding-padding-padding-padding-padding-pad");
}

static int dgram(int fd, const struct sockaddr *to, socklen_t len, long count) {
  char buf[256];
  for (long i = 0; i < count; i++) {
    int n = message(buf, 0, i);
    while (sendto(fd, buf, n, 0, to, len) < 0) {
      if (to->sa_family == AF_INET) break; /* UDP: a refused datagram is a lost one */
      perror("sendto");
      return 1;
    }
  }
  return 0;
}

static int tcp(int port, long count, int conn) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) return perror("connect"), 1;
  static char out[1 << 16];
  int used = 0;
  char msg[256];
  for (long i = 0; i < count; i++) {
    int n = message(msg, conn, i);
    if (used + n + 8 > (int)sizeof out) {
      for (int off = 0; off < used;) {
        ssize_t w = write(fd, out + off, used - off);
        if (w < 0) return perror("write"), 1;
        off += w;
      }
      used = 0;
    }
    used += sprintf(out + used, "%d ", n);
    memcpy(out + used, msg, n);
    used += n;
  }
  for (int off = 0; off < used;) {
    ssize_t w = write(fd, out + off, used - off);
    if (w < 0) return perror("write"), 1;
    off += w;
  }
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) return fprintf(stderr, "usage: blaster unix PATH|udp PORT|tcp PORT COUNT [CONNS]\n"), 2;
  long count = atol(argv[3]);
  if (!strcmp(argv[1], "unix")) {
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, argv[2], sizeof a.sun_path - 1);
    return dgram(fd, (struct sockaddr *)&a, sizeof a, count);
  }
  if (!strcmp(argv[1], "udp")) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    return dgram(fd, (struct sockaddr *)&a, sizeof a, count);
  }
  int conns = argc > 4 ? atoi(argv[4]) : 1;
  for (int c = 0; c < conns; c++)
    if (fork() == 0) _exit(tcp(atoi(argv[2]), count / conns, c));
  int status, bad = 0;
  while (wait(&status) > 0) bad |= !WIFEXITED(status) || WEXITSTATUS(status);
  return bad;
}
