/*
 * Batched reads of /proc for the library, called through koffi. A system
 * call costs ~1 us on the VMs this was measured on, and each call through
 * the FFI adds ~0.4-1 us more: reading one /proc file from JavaScript is
 * three FFI calls (openat, read, close), a socket owner scan of 1,070
 * processes ~8,500. Here a whole read, or a whole scan, is one FFI call,
 * and the scan runs on two threads (the kernel's work per descriptor is
 * what it costs). System calls and byte copying; the JavaScript side
 * parses. Only the background reader (dk_bg_*) keeps state and memory of
 * its own between calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* bytes read into buf so far (used) of cap */
struct lane {
  char *buf;
  long cap;
  long used;
};

/* makes room for need more bytes after l->used (a lane this file allocated) */
static int grow(struct lane *l, long need) {
  if (l->cap - l->used >= need) return 0;
  long cap = l->cap ? l->cap : 65536;
  while (cap - l->used < need) cap *= 2;
  char *b = realloc(l->buf, cap);
  if (!b) return -1;
  l->buf = b;
  l->cap = cap;
  return 0;
}

/*
 * Reads an open file to its end, or to its first short read when single
 * (one record the kernel makes at the first read), into l after l->used,
 * which it does not move. A lane that grows is made bigger as needed; a
 * fixed one (the caller's buffer) that fills up gives -ENOBUFS. Returns the
 * bytes read, or -errno.
 */
static long read_into(int fd, struct lane *l, int single, int grows) {
  long len = 0;
  for (;;) {
    if (grows && grow(l, len + 4096) < 0) return -ENOMEM;
    long room = l->cap - l->used - len;
    if (room <= 0) return -ENOBUFS;
    ssize_t got = read(fd, l->buf + l->used + len, room);
    if (got < 0) return -errno;
    if (got == 0) return len;
    len += got;
    if (single && got < room) return len;
  }
}

struct reads {
  int dirfd;
  const char *paths; /* n NUL-terminated paths relative to dirfd */
  const char *single; /* per path: 1 when the file is one record made at the first read */
  int n;
  struct lane out; /* the caller's buffer */
  long long *lens;
  int overflow;
};

static void *read_part(void *arg) {
  struct reads *r = arg;
  const char *paths = r->paths;
  for (int i = 0; i < r->n; i++) {
    const char *path = paths;
    paths += strlen(paths) + 1;
    int fd = openat(r->dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      r->lens[i] = -errno;
      continue;
    }
    long len = read_into(fd, &r->out, r->single[i], 0);
    close(fd);
    r->lens[i] = len;
    if (len == -ENOBUFS) {
      r->overflow = 1;
      return 0;
    }
    if (len > 0) r->out.used += len;
  }
  return 0;
}

/*
 * Reads the files named in paths (n NUL-terminated paths relative to
 * dirfd, one after another) into out. lens[i] is the length of file i, or
 * -errno. single[i]: file i is one record made at the first read (a short
 * read is the end). With two parts (n > 16), the first half of the paths
 * is read into the first half of out and the second half into the second
 * half, on two threads; each file follows the one before it in its half.
 * Returns 0, or -1 when a half was too small (lens[i] = -ENOBUFS for the
 * file that did not fit): the caller asks again with a bigger out.
 */
long dk_read_files(int dirfd, const char *paths, const char *single, int n, char *out, long cap, long long *lens) {
  if (n <= 16) {
    struct reads r = {dirfd, paths, single, n, {out, cap, 0}, lens, 0};
    read_part(&r);
    return r.overflow ? -1 : 0;
  }
  int half = n / 2;
  const char *second = paths;
  for (int i = 0; i < half; i++) second += strlen(second) + 1;
  struct reads a = {dirfd, paths, single, half, {out, cap / 2, 0}, lens, 0};
  struct reads b = {dirfd, second, single + half, n - half, {out + cap / 2, cap - cap / 2, 0}, lens + half, 0};
  pthread_t t;
  int started = pthread_create(&t, 0, read_part, &b) == 0;
  read_part(&a);
  if (started) pthread_join(t, 0);
  else read_part(&b);
  return a.overflow || b.overflow ? -1 : 0;
}

/* the name of the struct linux_dirent64 at *o in a getdents64 buffer (u64 ino, s64 off, u16 reclen, u8 type, name); *o moves to the next */
static const char *next_name(const char *dents, long *o) {
  unsigned short reclen;
  memcpy(&reclen, dents + *o + 16, 2);
  const char *name = dents + *o + 19;
  *o += reclen;
  return name;
}

struct scan {
  int procfd;
  const int *pids;
  int n;
  long long *out; /* (inode, pid, fd) triples */
  long cap;       /* triples */
  long count;
};

static void *scan_part(void *arg) {
  struct scan *s = arg;
  char dents[32768], link[64], path[32];
  for (int i = 0; i < s->n; i++) {
    int pid = s->pids[i];
    int len = 0, p = pid;
    char digits[16];
    do digits[len++] = '0' + p % 10; while ((p /= 10) > 0);
    for (int k = 0; k < len; k++) path[k] = digits[len - 1 - k];
    memcpy(path + len, "/fd", 4);
    int dir = openat(s->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) continue;
    for (;;) {
      long got = syscall(SYS_getdents64, dir, dents, sizeof dents);
      if (got <= 0) break;
      for (long o = 0; o < got;) {
        const char *name = next_name(dents, &o);
        if (name[0] == '.') continue;
        ssize_t l = readlinkat(dir, name, link, sizeof link);
        if (l < 10 || memcmp(link, "socket:[", 8) != 0) continue;
        long long inode = 0;
        for (ssize_t k = 8; k < l && link[k] != ']'; k++) inode = inode * 10 + (link[k] - '0');
        long long fd = 0;
        for (const char *c = name; *c; c++) fd = fd * 10 + (*c - '0');
        if (s->count < s->cap) {
          long long *t = s->out + 3 * s->count;
          t[0] = inode;
          t[1] = pid;
          t[2] = fd;
        }
        s->count++;
      }
      /* room for another entry left: the directory is exhausted */
      if (got + 300 < (long)sizeof dents) break;
    }
    close(dir);
  }
  return 0;
}

/*
 * The sockets held by the processes pids: (inode, pid, fd) triples in pid
 * order into out (cap triples). Returns how many there are, or, when they
 * did not fit, a number larger than cap: the room to ask again with. A
 * process that is gone or not ours to see is skipped.
 */
long dk_socket_owners(int procfd, const int *pids, int n, long long *out, long cap) {
  enum { PARTS = 2 };
  struct scan parts[PARTS];
  pthread_t threads[PARTS];
  int half = n / 2;
  parts[0] = (struct scan){procfd, pids, half, out, cap / 2, 0};
  parts[1] = (struct scan){procfd, pids + half, n - half, out + 3 * (cap / 2), cap - cap / 2, 0};
  int started = n > 64 && pthread_create(&threads[1], 0, scan_part, &parts[1]) == 0;
  scan_part(&parts[0]);
  if (started) pthread_join(threads[1], 0);
  else scan_part(&parts[1]);
  /* the second part's triples follow the first's directly */
  if (parts[0].count <= parts[0].cap && parts[1].count <= parts[1].cap)
    memmove(out + 3 * parts[0].count, out + 3 * (cap / 2), sizeof(long long) * 3 * parts[1].count);
  else
    return (parts[0].count + parts[1].count) * 2 + 2; /* ask again with room for either half to hold all */
  return parts[0].count + parts[1].count;
}

/*
 * The numeric entries of the directory dirfd (the PIDs of /proc), in the
 * kernel's order (ascending), into out. Returns how many, or -1 when out
 * was too small. dirfd is read from its start.
 */
long dk_list_pids(int dirfd, int *out, long cap) {
  char dents[32768];
  long n = 0;
  if (lseek(dirfd, 0, SEEK_SET) < 0) return -1;
  for (;;) {
    long got = syscall(SYS_getdents64, dirfd, dents, sizeof dents);
    if (got <= 0) break;
    for (long o = 0; o < got;) {
      const char *name = next_name(dents, &o);
      if (name[0] < '0' || name[0] > '9') continue;
      long pid = 0;
      for (const char *c = name; *c >= '0' && *c <= '9'; c++) pid = pid * 10 + (*c - '0');
      if (n >= cap) return -1;
      out[n++] = (int)pid;
    }
  }
  return n;
}

/*
 * A read that starts on a thread of its own and that the caller joins
 * later (processIter: the next 256 processes' files are read while
 * JavaScript makes handles of the ones before). Both threads claim the
 * files one at a time from a shared counter, so neither waits on a fixed
 * half while the other has work. Each thread reads into a growing buffer
 * of its own, owned here: nothing of the caller's is touched once
 * dk_bg_start has returned, and dk_bg_take copies the result out. One such
 * read exists per process: while it is taken (from dk_bg_start to
 * dk_bg_take or dk_bg_cancel), another dk_bg_start (a processIter inside
 * a processIter, or one on another worker thread) is refused and its
 * caller reads the plain way.
 */
struct slot {
  int lane;
  long at;
  long len; /* bytes, or -errno */
};

static struct {
  int dirfd;
  char *paths;
  long paths_cap;
  long *path_at;
  char *single;
  struct slot *slots;
  int cap; /* files the arrays above hold */
  int n;
  int next; /* the next file to claim (atomic) */
  struct lane lanes[2];
  pthread_t thread;
  int running;
  int taken; /* atomic: from dk_bg_start until dk_bg_take or dk_bg_cancel */
} bg;

static void claim_and_read(int who) {
  struct lane *l = &bg.lanes[who];
  for (;;) {
    int i = __atomic_fetch_add(&bg.next, 1, __ATOMIC_RELAXED);
    if (i >= bg.n) return;
    struct slot *s = &bg.slots[i];
    s->lane = who;
    s->at = l->used;
    int fd = openat(bg.dirfd, bg.paths + bg.path_at[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      s->len = -errno;
      continue;
    }
    long len = read_into(fd, l, bg.single[i], 1);
    close(fd);
    s->len = len;
    if (len > 0) l->used += len;
  }
}

static void *bg_main(void *arg) {
  (void)arg;
  claim_and_read(1);
  return 0;
}

/*
 * Waits for the read started last (the calling thread reads what is left
 * of it meanwhile). Returns the bytes its files hold together, or -1 when
 * none was started.
 */
long dk_bg_help(void) {
  if (!bg.running) return -1;
  claim_and_read(0);
  if (bg.running == 2) pthread_join(bg.thread, 0);
  bg.running = 0;
  long total = 0;
  for (int i = 0; i < bg.n; i++)
    if (bg.slots[i].len > 0) total += bg.slots[i].len;
  return total;
}

/*
 * Starts reading the files named in paths (n NUL-terminated paths relative
 * to dirfd; single[i] as for dk_read_files) on a thread of its own.
 * Returns 0, or -1 when another read holds the reader or memory ran out
 * (nothing started). Without a thread the files are read by dk_bg_help.
 */
long dk_bg_start(int dirfd, const char *paths, const char *single, int n) {
  if (__atomic_exchange_n(&bg.taken, 1, __ATOMIC_ACQUIRE)) return -1;
  long len = 0;
  for (int i = 0; i < n; i++) len += strlen(paths + len) + 1;
  if (n > bg.cap) {
    long *at = realloc(bg.path_at, sizeof(long) * n);
    if (at) bg.path_at = at;
    char *sg = realloc(bg.single, n);
    if (sg) bg.single = sg;
    struct slot *sl = realloc(bg.slots, sizeof(struct slot) * n);
    if (sl) bg.slots = sl;
    if (!at || !sg || !sl) {
      __atomic_store_n(&bg.taken, 0, __ATOMIC_RELEASE);
      return -1;
    }
    bg.cap = n;
  }
  if (len > bg.paths_cap) {
    char *p = realloc(bg.paths, len);
    if (!p) {
      __atomic_store_n(&bg.taken, 0, __ATOMIC_RELEASE);
      return -1;
    }
    bg.paths = p;
    bg.paths_cap = len;
  }
  memcpy(bg.paths, paths, len);
  memcpy(bg.single, single, n);
  for (long i = 0, o = 0; i < n; i++) {
    bg.path_at[i] = o;
    o += strlen(bg.paths + o) + 1;
  }
  bg.dirfd = dirfd;
  bg.n = n;
  bg.next = 0;
  bg.lanes[0].used = bg.lanes[1].used = 0;
  bg.running = pthread_create(&bg.thread, 0, bg_main, 0) == 0 ? 2 : 1;
  return 0;
}

/* Stops the read started last (its caller left early): the thread ends after the file it is reading. */
long dk_bg_cancel(void) {
  if (!bg.running) {
    __atomic_store_n(&bg.taken, 0, __ATOMIC_RELEASE);
    return 0;
  }
  __atomic_store_n(&bg.next, bg.n, __ATOMIC_RELAXED);
  if (bg.running == 2) pthread_join(bg.thread, 0);
  bg.running = 0;
  __atomic_store_n(&bg.taken, 0, __ATOMIC_RELEASE);
  return 0;
}

/*
 * Copies the finished read's files into out one after another, in the
 * order they were asked for; lens[i] is file i's length or -errno. Returns
 * the bytes used (the reader is free again), or -1 when out is smaller
 * than dk_bg_help said.
 */
long dk_bg_take(char *out, long cap, long long *lens) {
  long used = 0;
  for (int i = 0; i < bg.n; i++) {
    struct slot *s = &bg.slots[i];
    lens[i] = s->len;
    if (s->len <= 0) continue;
    if (used + s->len > cap) return -1;
    memcpy(out + used, bg.lanes[s->lane].buf + s->at, s->len);
    used += s->len;
  }
  __atomic_store_n(&bg.taken, 0, __ATOMIC_RELEASE);
  return used;
}
