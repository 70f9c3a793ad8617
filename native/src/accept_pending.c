/*
 * acceptPending(listenFd, fds) -> count
 *   Accepts the connections waiting on a listening socket, up to fds.length of them, each with
 *   accept4(SOCK_NONBLOCK | SOCK_CLOEXEC), and writes their fds into `fds` (an Int32Array).
 *   Stops at the first EAGAIN (none left), or at any other error but EINTR and ECONNABORTED (a
 *   connection reset while it waited): EMFILE and the rest are left to libuv, whose own accept
 *   meets them on the next iteration and deals with them as it always does.
 *
 *   Why: libuv 1.45 and later (Node 20 has 1.46) accepts one connection per event-loop iteration
 *   and relies on level-triggered polling for the next (libuv PR 3696). A busy worker's iteration
 *   handles every ready socket first, so a burst of new connections (a load balancer's pool, clients
 *   reconnecting after a restart) waited one iteration each: with 192 connections opened at once
 *   and 48k requests/s, a first request waited up to 395-550 ms. src/http1/server/pending-accepts.ts
 *   takes the rest of the queue each time Node accepts one.
 */
#define _GNU_SOURCE
#include "addon.h"
#include <errno.h>
#include <sys/socket.h>

napi_value accept_pending(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "acceptPending(listenFd, fds): two arguments");
    return NULL;
  }
  int32_t listen_fd = -1;
  if (napi_get_value_int32(env, argv[0], &listen_fd) != napi_ok || listen_fd < 0) {
    napi_throw_range_error(env, NULL, "acceptPending: listenFd must be a file descriptor");
    return NULL;
  }
  size_t length = 0;
  int32_t *fds = int32_array_arg(env, argv[1], &length);
  if (fds == NULL) {
    napi_throw_type_error(env, NULL, "acceptPending: fds must be an Int32Array");
    return NULL;
  }
  int32_t count = 0;
  while ((size_t)count < length) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) { fds[count++] = fd; continue; }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    break;
  }
  napi_value result;
  napi_create_int32(env, count, &result);
  return result;
}
