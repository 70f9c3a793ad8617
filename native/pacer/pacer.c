/*
 * outpost-pacer: the open-loop HTTP/1.1 load generator of the bench's fixed-rate runs.
 *
 * Request i is due at start + i / rate, whatever happened to request i - 1 (wrk2's model), and its
 * latency runs from when it was due, not from when a connection was free to send it: a stall in
 * the target counts in every request it delayed (no coordinated omission). Debian has no wrk2,
 * and wrk paced by a Lua delay() is closed-loop with whole-millisecond timers: its connections
 * fire in clumps (75-100 requests within 0.6 ms at 25k requests/s), so a fixed-rate run measured
 * how fast a proxy drains a clump, not what it adds at a rate. Here the loop sleeps in
 * epoll_pwait2 with a nanosecond timeout until the next request is due (1 ns of timer slack;
 * kernels before 5.11: a timerfd).
 *
 * Connections are kept alive and used in turn (a FIFO of idle ones); no pipelining. Responses are
 * framed by Content-Length, chunked encoding, or the connection's close; a status over 399
 * counts in errors.status (as wrk counts it). A connection the target closes, or one that breaks
 * the framing, is replaced by a new one.
 *
 * Output: one line, OUTPOST_PACER_JSON {...}, with wrk's report fields (requests, durationUs,
 * bytes, errors, latencyUs in exact µs) and the pacer's own: how late it sent a request that had
 * an idle connection to go on (sendLagUs: its own share of the latency, as its core let it run),
 * the most measured requests it had due and no idle connection for (maxBacklog: the target held
 * them all), and the connections it opened again. Nothing of the warm-up is reported.
 *
 * With --timeline-ms W, a second line, OUTPOST_PACER_TIMELINE {...}, gives the worst latency of
 * the requests due in each W ms from the start, warm-up included (-1: none answered): when a
 * target's start-up stops showing, and where in a run its stalls were. Its startNs is when window
 * 0 began on CLOCK_MONOTONIC, the clock of `perf record -k mono` and of /proc's timestamps: a stall
 * can be matched with what the target's threads did then.
 *
 * Usage: outpost-pacer --rate N --duration S [--warmup S] [--connections C] [--timeout-ms T]
 *                      [--timeline-ms W] [--header 'Name: value']... http://host:port/path
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 4096
#define MAX_HEAD 16384
#define MAX_REQUEST 16384
#define MAX_RATE 10000000.0
#define MAX_SECONDS 3600.0
#define TIMER_TAG UINT32_MAX
#define READ_CHUNK 65536

enum parse_state { P_HEAD, P_BODY_LENGTH, P_BODY_CLOSE, P_CHUNK_SIZE, P_CHUNK_DATA, P_CHUNK_END, P_TRAILERS };

typedef struct {
  int fd;         /* -1: closed (its connect failed) */
  int busy;
  int lost;       /* closed, its reconnect refused, out of the idle ring: the sweep connects it again */
  int measured;   /* the request in flight was due inside the measured window */
  uint64_t due_ns;
  uint64_t sent_ns;
  enum parse_state state;
  size_t head_len;
  uint64_t remaining;   /* body or chunk bytes still to come */
  uint64_t chunk_size;  /* the chunk-size line being read */
  int chunk_digits;
  int in_extension;     /* past a ';' on the chunk-size line */
  size_t line_len;      /* the trailer line being read, CR excluded */
  int keep_alive;
  int status;
  char head[MAX_HEAD];
} conn_t;

static struct {
  double rate, duration_s, warmup_s;
  int connections;
  uint64_t timeout_ns;
  uint64_t timeline_ns; /* 0: no timeline */
  struct addrinfo *addr;
  char request[MAX_REQUEST];
  size_t request_len;
} opt = { .connections = 64, .timeout_ns = 10000000000ull };

static struct {
  uint64_t requests, bytes, reconnects;
  uint64_t e_connect, e_read, e_write, e_status, e_timeout;
  uint32_t *latency_us; /* one per measured response */
  uint64_t latency_n;
  uint32_t *lag_us;     /* how late each measured request was sent */
  uint64_t lag_n;
  uint64_t max_backlog;
  uint64_t last_done_ns;
  int32_t *window_max_us; /* --timeline-ms: the worst latency of each window's requests, -1 for none */
  uint64_t windows;
} st;

static conn_t *conns;
static int *idle; /* FIFO ring of idle connection indexes */
static int idle_head, idle_count;
static int epfd, tfd;
static uint64_t start_ns, measure_ns, warmup_n, total_n, next_i, inflight;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Computed from i, not accumulated, so the schedule never drifts. */
static uint64_t due_of(uint64_t i) { return start_ns + (uint64_t)((double)i * 1e9 / opt.rate); }

static void die(const char *what) {
  fprintf(stderr, "outpost-pacer: %s\n", what);
  exit(2);
}

static void die_errno(const char *what) {
  fprintf(stderr, "outpost-pacer: %s: %s\n", what, strerror(errno));
  exit(2);
}

/* When a connection last became idle with none idle before: a request due earlier waited for it. */
static uint64_t idle_since_ns;

static void idle_push(int c) {
  if (idle_count == 0) idle_since_ns = now_ns();
  idle[(idle_head + idle_count) % opt.connections] = c;
  idle_count++;
}

static int idle_pop(void) {
  int c = idle[idle_head];
  idle_head = (idle_head + 1) % opt.connections;
  idle_count--;
  return c;
}

static void reset_parser(conn_t *k) {
  k->state = P_HEAD;
  k->head_len = 0;
  k->remaining = 0;
  k->keep_alive = 1;
  k->status = 0;
}

/* Opens connection c (a blocking connect: the targets are on loopback), then makes it non-blocking. */
static int open_conn(int c) {
  conn_t *k = &conns[c];
  k->fd = -1;
  k->busy = 0;
  int fd = socket(opt.addr->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die_errno("socket");
  if (connect(fd, opt.addr->ai_addr, opt.addr->ai_addrlen) != 0) {
    close(fd);
    st.e_connect++;
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) die_errno("fcntl");
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)c };
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) die_errno("epoll_ctl");
  k->fd = fd;
  reset_parser(k);
  return 0;
}

/*
 * Closes c and opens it again; a request in flight on it is given up (the caller counted why).
 * An idle connection keeps its place in the idle ring (closed, if the new connect failed: the
 * next idle_pop tries again); a busy one rejoins the ring once it is open.
 */
static void replace_conn(int c) {
  conn_t *k = &conns[c];
  int was_busy = k->busy;
  if (was_busy) inflight--;
  close(k->fd);
  st.reconnects++;
  if (open_conn(c) == 0) { if (was_busy) idle_push(c); }
  else if (was_busy) k->lost = 1;
}

static void complete(int c, uint64_t now) {
  conn_t *k = &conns[c];
  if (st.windows) {
    uint64_t w = (k->due_ns - start_ns) / opt.timeline_ns;
    int32_t us = (int32_t)((now - k->due_ns + 500) / 1000);
    if (w < st.windows && us > st.window_max_us[w]) st.window_max_us[w] = us;
  }
  if (k->measured) {
    st.requests++;
    if (k->status > 399) st.e_status++;
    st.latency_us[st.latency_n++] = (uint32_t)((now - k->due_ns + 500) / 1000);
    if (now > st.last_done_ns) st.last_done_ns = now;
  }
  if (k->keep_alive) {
    inflight--;
    k->busy = 0;
    reset_parser(k);
    idle_push(c);
  } else {
    replace_conn(c);
  }
}

static int header_is(const char *line, size_t len, const char *name) {
  size_t n = strlen(name);
  return len > n && strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static const char *header_value(const char *line, size_t len, size_t name_len, size_t *value_len) {
  const char *v = line + name_len + 1;
  const char *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
  *value_len = (size_t)(end - v);
  return v;
}

/*
 * The head is complete (head_len bytes, ending in the blank line): status and framing. Returns 0
 * on success, -1 when it cannot be framed (the caller counts a read error and reconnects).
 */
static int parse_head(conn_t *k) {
  if (k->head_len < 12 || memcmp(k->head, "HTTP/1.", 7) != 0 || k->head[8] != ' ') return -1;
  int status = 0;
  for (int i = 9; i < 12; i++) {
    if (k->head[i] < '0' || k->head[i] > '9') return -1;
    status = status * 10 + (k->head[i] - '0');
  }
  k->status = status;
  k->keep_alive = k->head[7] == '1';
  int chunked = 0;
  int64_t length = -1;
  const char *p = memchr(k->head, '\n', k->head_len);
  const char *end = k->head + k->head_len;
  while (p && p + 1 < end) {
    const char *line = p + 1;
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    if (!nl) break;
    size_t len = (size_t)(nl - line);
    if (len > 0 && line[len - 1] == '\r') len--;
    size_t vlen;
    if (header_is(line, len, "content-length")) {
      const char *v = header_value(line, len, 14, &vlen);
      if (vlen == 0 || vlen > 18) return -1;
      int64_t n = 0;
      for (size_t i = 0; i < vlen; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        n = n * 10 + (v[i] - '0');
      }
      if (length >= 0 && length != n) return -1;
      length = n;
    } else if (header_is(line, len, "transfer-encoding")) {
      const char *v = header_value(line, len, 17, &vlen);
      chunked = vlen >= 7 && strncasecmp(v + vlen - 7, "chunked", 7) == 0;
      if (!chunked) return -1;
    } else if (header_is(line, len, "connection")) {
      const char *v = header_value(line, len, 10, &vlen);
      if (vlen == 5 && strncasecmp(v, "close", 5) == 0) k->keep_alive = 0;
      if (vlen == 10 && strncasecmp(v, "keep-alive", 10) == 0) k->keep_alive = 1;
    }
    p = nl;
  }
  if (status >= 100 && status < 200) return 1; /* interim: the real head follows */
  if (status == 204 || status == 304) { k->remaining = 0; k->state = P_BODY_LENGTH; return 0; }
  if (chunked) { k->state = P_CHUNK_SIZE; k->chunk_size = 0; k->chunk_digits = 0; k->in_extension = 0; return 0; }
  if (length >= 0) { k->remaining = (uint64_t)length; k->state = P_BODY_LENGTH; return 0; }
  k->state = P_BODY_CLOSE;
  k->keep_alive = 0;
  return 0;
}

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/*
 * Feeds bytes of c's response. Returns the bytes used (the rest, after a complete response, would
 * be a response nobody asked for), or -1 when the framing is broken.
 */
static ssize_t feed(int c, const char *buf, size_t n, int *done) {
  conn_t *k = &conns[c];
  size_t i = 0;
  *done = 0;
  while (i < n) {
    switch (k->state) {
    case P_HEAD: {
      /* Copy byte by byte up to the blank line: heads are a few hundred bytes. */
      char ch = buf[i++];
      if (k->head_len == MAX_HEAD) return -1;
      k->head[k->head_len++] = ch;
      size_t h = k->head_len;
      if (ch == '\n' && ((h >= 2 && k->head[h - 2] == '\n') || (h >= 3 && k->head[h - 2] == '\r' && k->head[h - 3] == '\n'))) {
        int r = parse_head(k);
        if (r < 0) return -1;
        if (r == 1) { reset_parser(k); break; }
        if (k->state == P_BODY_LENGTH && k->remaining == 0) { *done = 1; return (ssize_t)i; }
      }
      break;
    }
    case P_BODY_LENGTH: {
      size_t take = n - i < k->remaining ? n - i : (size_t)k->remaining;
      i += take;
      k->remaining -= take;
      if (k->remaining == 0) { *done = 1; return (ssize_t)i; }
      break;
    }
    case P_BODY_CLOSE:
      i = n;
      break;
    case P_CHUNK_SIZE: {
      char ch = buf[i++];
      if (ch == '\n') {
        if (k->chunk_digits == 0) return -1;
        if (k->chunk_size == 0) { k->state = P_TRAILERS; k->line_len = 0; }
        else { k->remaining = k->chunk_size; k->state = P_CHUNK_DATA; }
        k->chunk_size = 0; k->chunk_digits = 0; k->in_extension = 0;
      } else if (ch == ';') {
        k->in_extension = 1;
      } else if (!k->in_extension && ch != '\r') {
        int v = hex_value(ch);
        if (v < 0 || k->chunk_digits == 15) return -1;
        k->chunk_size = k->chunk_size * 16 + (uint64_t)v;
        k->chunk_digits++;
      }
      break;
    }
    case P_CHUNK_DATA: {
      size_t take = n - i < k->remaining ? n - i : (size_t)k->remaining;
      i += take;
      k->remaining -= take;
      if (k->remaining == 0) { k->state = P_CHUNK_END; k->line_len = 0; }
      break;
    }
    case P_CHUNK_END: {
      char ch = buf[i++];
      if (ch == '\n') { if (k->line_len != 0) return -1; k->state = P_CHUNK_SIZE; }
      else if (ch != '\r') k->line_len++;
      break;
    }
    case P_TRAILERS: {
      char ch = buf[i++];
      if (ch == '\n') {
        if (k->line_len == 0) { *done = 1; return (ssize_t)i; }
        k->line_len = 0;
      } else if (ch != '\r') {
        k->line_len++;
      }
      break;
    }
    }
  }
  return (ssize_t)i;
}

/* Level-triggered: a read that stops at EAGAIN leaves nothing pending; an EOF still to read wakes the next epoll_wait. */
static void on_readable(int c) {
  static char buf[READ_CHUNK];
  conn_t *k = &conns[c];
  for (;;) {
    ssize_t r = read(k->fd, buf, sizeof buf);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (r < 0 && errno == EINTR) continue;
    uint64_t now = now_ns();
    if (r <= 0) {
      /* EOF: the end of a close-delimited body, or the target closing an idle or busy connection. */
      if (k->busy && k->state == P_BODY_CLOSE) { k->keep_alive = 0; complete(c, now); return; }
      if (k->busy || r < 0) st.e_read++;
      replace_conn(c);
      return;
    }
    if (k->busy && k->measured) st.bytes += (uint64_t)r;
    int done = 0;
    ssize_t used = k->busy ? feed(c, buf, (size_t)r, &done) : -1;
    if (used < 0 || (done && used != r)) {
      st.e_read++;
      replace_conn(c);
      return;
    }
    if (done) { complete(c, now); return; }
  }
}

static void send_request(int c, uint64_t i, uint64_t now) {
  conn_t *k = &conns[c];
  k->busy = 1;
  k->due_ns = due_of(i);
  k->sent_ns = now;
  k->measured = i >= warmup_n;
  reset_parser(k);
  inflight++;
  /* The pacer's own lateness: from when the request was due, or (when every connection was busy
     then) from when one became idle; the wait for a connection is the target's, not the pacer's. */
  uint64_t sendable = k->due_ns > idle_since_ns ? k->due_ns : idle_since_ns;
  if (k->measured) st.lag_us[st.lag_n++] = (uint32_t)((now > sendable ? now - sendable + 500 : 0) / 1000);
  ssize_t w = send(k->fd, opt.request, opt.request_len, MSG_NOSIGNAL);
  /* A short write on an idle keep-alive connection's empty socket buffer does not happen with
     requests this small; if it does, it counts as a write error like a failed one. */
  if (w != (ssize_t)opt.request_len) {
    st.e_write++;
    replace_conn(c);
  }
}

static void arm_timer(uint64_t at_ns) {
  struct itimerspec its = { .it_value = { .tv_sec = (time_t)(at_ns / 1000000000ull), .tv_nsec = (long)(at_ns % 1000000000ull) } };
  if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) die_errno("timerfd_settime");
}

/* 0 once the kernel has said it has no epoll_pwait2 (before Linux 5.11): the timer fd from then on. */
static int have_pwait2 = 1;

/*
 * Waits for events, until at_ns (CLOCK_MONOTONIC) at the latest. epoll_pwait2 takes the timeout in
 * nanoseconds: one system call a wake. Through the timer fd it was three (timerfd_settime, epoll_wait,
 * and a read of the expiry), twice a request at a steady rate (a wake to send, one to read). At
 * 41,000 requests/s against the backend nginx alone: 58% of the load core before, 52-53% after.
 * With the backend beside it the load core still has no idle time at half of nginx's max rate
 * (the context switches between the two, not the wakes, are most of it: bench/README.md).
 */
static int wait_until(struct epoll_event *events, int max, uint64_t at_ns) {
  if (have_pwait2) {
    uint64_t now = now_ns();
    uint64_t rel = at_ns > now ? at_ns - now : 0;
    struct timespec ts = { .tv_sec = (time_t)(rel / 1000000000ull), .tv_nsec = (long)(rel % 1000000000ull) };
    int n = epoll_pwait2(epfd, events, max, &ts, NULL);
    if (n >= 0 || errno != ENOSYS) return n;
    have_pwait2 = 0;
  }
  arm_timer(at_ns);
  return epoll_wait(epfd, events, max, -1);
}

/* Every 100 ms: requests past the timeout are given up, and lost connections are opened again. */
static void sweep(uint64_t now) {
  for (int c = 0; c < opt.connections; c++) {
    conn_t *k = &conns[c];
    if (k->lost && open_conn(c) == 0) { k->lost = 0; idle_push(c); }
    if (k->fd >= 0 && k->busy && now - k->sent_ns > opt.timeout_ns) {
      st.e_timeout++;
      replace_conn(c);
    }
  }
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p% of the values at or under it. */
static uint32_t percentile(const uint32_t *sorted, uint64_t n, double p) {
  if (n == 0) return 0;
  uint64_t rank = (uint64_t)ceil((p / 100.0) * (double)n);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

static void print_report(void) {
  uint32_t *lat = st.latency_us;
  uint64_t n = st.latency_n;
  qsort(lat, n, sizeof *lat, cmp_u32);
  qsort(st.lag_us, st.lag_n, sizeof *st.lag_us, cmp_u32);
  double sum = 0, sq = 0;
  for (uint64_t i = 0; i < n; i++) sum += lat[i];
  double mean = n ? sum / (double)n : 0;
  for (uint64_t i = 0; i < n; i++) sq += ((double)lat[i] - mean) * ((double)lat[i] - mean);
  double stdev = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
  uint64_t window_ns = (uint64_t)(opt.duration_s * 1e9);
  uint64_t took_ns = st.last_done_ns > measure_ns ? st.last_done_ns - measure_ns : 0;
  uint64_t duration_ns = took_ns > window_ns ? took_ns : window_ns;
  printf("OUTPOST_PACER_JSON {\"requests\":%llu,\"scheduled\":%llu,\"durationUs\":%llu,\"bytes\":%llu,"
         "\"errors\":{\"connect\":%llu,\"read\":%llu,\"write\":%llu,\"status\":%llu,\"timeout\":%llu},"
         "\"latencyUs\":{\"min\":%u,\"max\":%u,\"mean\":%.1f,\"stdev\":%.1f,\"p50\":%u,\"p90\":%u,\"p99\":%u,\"p99_9\":%u},"
         "\"sendLagUs\":{\"p50\":%u,\"p99\":%u,\"max\":%u},\"maxBacklog\":%llu,\"reconnects\":%llu,\"connections\":%d}\n",
         (unsigned long long)st.requests, (unsigned long long)(total_n - warmup_n), (unsigned long long)(duration_ns / 1000),
         (unsigned long long)st.bytes, (unsigned long long)st.e_connect, (unsigned long long)st.e_read,
         (unsigned long long)st.e_write, (unsigned long long)st.e_status, (unsigned long long)st.e_timeout,
         n ? lat[0] : 0, n ? lat[n - 1] : 0, mean, stdev, percentile(lat, n, 50), percentile(lat, n, 90),
         percentile(lat, n, 99), percentile(lat, n, 99.9), percentile(st.lag_us, st.lag_n, 50),
         percentile(st.lag_us, st.lag_n, 99), st.lag_n ? st.lag_us[st.lag_n - 1] : 0,
         (unsigned long long)st.max_backlog, (unsigned long long)st.reconnects, opt.connections);
  if (st.windows) {
    printf("OUTPOST_PACER_TIMELINE {\"windowMs\":%g,\"startNs\":%llu,\"maxUs\":[", (double)opt.timeline_ns / 1e6, (unsigned long long)start_ns);
    for (uint64_t w = 0; w < st.windows; w++) printf(w ? ",%d" : "%d", st.window_max_us[w]);
    printf("]}\n");
  }
  fflush(stdout);
}

static double number_arg(const char *name, const char *value, double min, double max) {
  char *end;
  errno = 0;
  double v = strtod(value, &end);
  if (errno || end == value || *end || !(v >= min && v <= max)) {
    fprintf(stderr, "outpost-pacer: %s must be a number from %g to %g, got '%s'\n", name, min, max, value);
    exit(2);
  }
  return v;
}

static void add_request_text(const char *text) {
  size_t len = strlen(text);
  if (opt.request_len + len >= MAX_REQUEST) die("request head too long (over 16 KiB)");
  memcpy(opt.request + opt.request_len, text, len);
  opt.request_len += len;
}

/* http://host:port/path: resolves host and writes the request head's first two lines. */
static void parse_url(const char *url) {
  if (strncmp(url, "http://", 7) != 0) die("the URL must start with http:// (no TLS)");
  const char *host = url + 7;
  const char *slash = strchr(host, '/');
  const char *path = slash ? slash : "/";
  size_t authority_len = slash ? (size_t)(slash - host) : strlen(host);
  char authority[256];
  if (authority_len == 0 || authority_len >= sizeof authority) die("the URL's host is empty or too long");
  memcpy(authority, host, authority_len);
  authority[authority_len] = 0;
  char name[256];
  strcpy(name, authority);
  const char *port = "80";
  char *colon = strrchr(name, ':');
  if (colon) { *colon = 0; port = colon + 1; }
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
  int rc = getaddrinfo(name, port, &hints, &opt.addr);
  if (rc != 0) { fprintf(stderr, "outpost-pacer: cannot resolve %s: %s\n", authority, gai_strerror(rc)); exit(2); }
  for (const char *p = path; *p; p++) if ((unsigned char)*p <= ' ') die("the URL's path has a space or control character");
  add_request_text("GET ");
  add_request_text(path);
  add_request_text(" HTTP/1.1\r\nHost: ");
  add_request_text(authority);
  add_request_text("\r\n");
}

int main(int argc, char **argv) {
  const char *url = NULL;
  const char *headers[256];
  int header_n = 0;
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a];
    const char *val = a + 1 < argc ? argv[a + 1] : NULL;
    if (arg[0] != '-') { url = arg; continue; }
    if (!val) { fprintf(stderr, "outpost-pacer: %s needs a value\n", arg); return 2; }
    a++;
    if (strcmp(arg, "--rate") == 0) opt.rate = number_arg("--rate", val, 1, MAX_RATE);
    else if (strcmp(arg, "--duration") == 0) opt.duration_s = number_arg("--duration", val, 0.001, MAX_SECONDS);
    else if (strcmp(arg, "--warmup") == 0) opt.warmup_s = number_arg("--warmup", val, 0, MAX_SECONDS);
    else if (strcmp(arg, "--connections") == 0) opt.connections = (int)number_arg("--connections", val, 1, MAX_CONNECTIONS);
    else if (strcmp(arg, "--timeline-ms") == 0) opt.timeline_ns = (uint64_t)(number_arg("--timeline-ms", val, 1, 60000) * 1e6);
    else if (strcmp(arg, "--timeout-ms") == 0) opt.timeout_ns = (uint64_t)(number_arg("--timeout-ms", val, 1, 600000) * 1e6);
    else if (strcmp(arg, "--header") == 0) {
      if (header_n == 256) die("at most 256 --header options");
      if (!strchr(val, ':') || strpbrk(val, "\r\n")) { fprintf(stderr, "outpost-pacer: --header must be 'Name: value' on one line, got '%s'\n", val); return 2; }
      headers[header_n++] = val;
    } else { fprintf(stderr, "outpost-pacer: unknown option %s\n", arg); return 2; }
  }
  if (!url || opt.rate == 0 || opt.duration_s == 0) {
    fprintf(stderr, "usage: outpost-pacer --rate N --duration S [--warmup S] [--connections C] [--timeout-ms T] [--timeline-ms W] [--header 'Name: value']... http://host:port/path\n");
    return 2;
  }
  parse_url(url);
  for (int h = 0; h < header_n; h++) { add_request_text(headers[h]); add_request_text("\r\n"); }
  add_request_text("\r\n");

  warmup_n = (uint64_t)(opt.rate * opt.warmup_s);
  total_n = warmup_n + (uint64_t)(opt.rate * opt.duration_s);
  if (total_n - warmup_n == 0) die("rate x duration is under one request");
  /* Two 4-byte figures a measured request (latency, send lag): 2 GB at this bound. */
  if (total_n - warmup_n > 250000000ull) die("rate x duration is over 250,000,000 requests");
  st.latency_us = malloc(sizeof(uint32_t) * (total_n - warmup_n));
  st.lag_us = malloc(sizeof(uint32_t) * (total_n - warmup_n));
  conns = calloc((size_t)opt.connections, sizeof *conns);
  idle = calloc((size_t)opt.connections, sizeof *idle);
  if (!st.latency_us || !st.lag_us || !conns || !idle) die("out of memory");
  if (opt.timeline_ns) {
    st.windows = (uint64_t)((opt.warmup_s + opt.duration_s) * 1e9 / (double)opt.timeline_ns) + 1;
    if (st.windows > 1000000) die("--timeline-ms gives over 1,000,000 windows: make it larger");
    st.window_max_us = malloc(sizeof(int32_t) * st.windows);
    if (!st.window_max_us) die("out of memory");
    for (uint64_t w = 0; w < st.windows; w++) st.window_max_us[w] = -1;
  }

  /* The kernel's default 50 µs of timer slack would be more than the gap between requests. */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  epfd = epoll_create1(EPOLL_CLOEXEC);
  tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (epfd < 0 || tfd < 0) die_errno("epoll/timerfd");
  struct epoll_event tev = { .events = EPOLLIN, .data.u32 = TIMER_TAG };
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &tev) != 0) die_errno("epoll_ctl timerfd");
  int opened = 0;
  for (int c = 0; c < opt.connections; c++) if (open_conn(c) == 0) { idle_push(c); opened++; }
  if (opened == 0) { fprintf(stderr, "outpost-pacer: cannot connect to %s\n", url); return 1; }

  start_ns = now_ns() + 1000000; /* 1 ms to enter the loop */
  measure_ns = due_of(warmup_n);
  uint64_t last_sweep = start_ns;
  uint64_t give_up_ns = 0;
  const uint64_t hard_end_ns = due_of(total_n) + opt.timeout_ns;
  struct epoll_event events[256];
  for (;;) {
    uint64_t now = now_ns();
    while (next_i < total_n && due_of(next_i) <= now && idle_count > 0) {
      int c = idle_pop();
      /* Closed while idle and refused since: out of the ring, and the sweep tries it again. */
      if (conns[c].fd < 0 && open_conn(c) != 0) { conns[c].lost = 1; continue; }
      send_request(c, next_i++, now);
    }
    if (next_i < total_n) {
      /* Requests due by now: those with i * 1e9 / rate <= now - start. */
      uint64_t due_count = now < start_ns ? 0 : (uint64_t)((double)(now - start_ns) * opt.rate / 1e9) + 1;
      if (due_count > total_n) due_count = total_n;
      /* Measured requests only, like the latencies: a cold target's warm-up backlog is not reported. */
      if (next_i >= warmup_n && due_count > next_i && due_count - next_i > st.max_backlog) st.max_backlog = due_count - next_i;
    } else {
      if (inflight == 0) break;
      if (give_up_ns == 0) give_up_ns = now + opt.timeout_ns;
      if (now >= give_up_ns) { st.e_timeout += inflight; break; }
    }
    if (now - last_sweep > 100000000ull) { sweep(now); last_sweep = now; }
    if (now >= hard_end_ns) {
      /* The target stopped answering (or accepting): what was not answered by now never will be. */
      uint64_t unsent_from = next_i > warmup_n ? next_i : warmup_n;
      st.e_timeout += inflight + (total_n - unsent_from);
      break;
    }
    /* Wake when the next request is due (if a connection is idle to send it) or in 100 ms to
       sweep for timeouts, whichever is sooner. */
    uint64_t wake = now + 100000000ull;
    if (next_i < total_n && idle_count > 0 && due_of(next_i) < wake) wake = due_of(next_i);
    int n = wait_until(events, 256, wake);
    if (n < 0 && errno != EINTR) die_errno("epoll_wait");
    for (int e = 0; e < n; e++) {
      uint32_t tag = events[e].data.u32;
      if (tag == TIMER_TAG) { uint64_t x; (void)!read(tfd, &x, sizeof x); continue; }
      if (conns[tag].fd >= 0) on_readable((int)tag);
    }
  }
  print_report();
  return 0;
}
