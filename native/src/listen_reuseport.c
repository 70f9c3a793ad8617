/*
 * listenReusePort(host, port, backlog) -> fd
 *
 * A listening TCP socket with SO_REUSEADDR and SO_REUSEPORT, non-blocking and close-on-exec, for
 * net.Server.listen({ fd }). Node 20 has no `reusePort` option, and every worker thread of the
 * gateway listens on the same port so the kernel spreads connections across them.
 * `host` is a numeric IPv4 or IPv6 address; "::" listens dual-stack (IPV6_V6ONLY off).
 * Throws (a JS Error with the errno text) when any step fails; the fd is closed then.
 */
#define _GNU_SOURCE
#include "addon.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static napi_value fail(napi_env env, const char *step, int err) {
  char message[160];
  snprintf(message, sizeof message, "listenReusePort: %s failed: %s", step, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

napi_value listen_reuse_port(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, NULL, "listenReusePort(host, port, backlog)");
    return NULL;
  }
  char host[64];
  size_t host_len = 0;
  int32_t port = 0, backlog = 0;
  if (napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len) != napi_ok ||
      napi_get_value_int32(env, argv[1], &port) != napi_ok ||
      napi_get_value_int32(env, argv[2], &backlog) != napi_ok || port < 0 || port > 65535 || backlog < 1) {
    napi_throw_type_error(env, NULL, "listenReusePort: host must be a string, port 0-65535, backlog >= 1");
    return NULL;
  }

  struct sockaddr_storage addr;
  socklen_t addr_len;
  int family;
  memset(&addr, 0, sizeof addr);
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    family = AF_INET6;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    addr_len = sizeof *a6;
  } else if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    family = AF_INET;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    addr_len = sizeof *a4;
  } else {
    napi_throw_type_error(env, NULL, "listenReusePort: host must be a numeric IPv4 or IPv6 address");
    return NULL;
  }

  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(env, "socket", errno);
  int one = 1, zero = 0;
  const char *step = NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) step = "SO_REUSEADDR";
  else if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) step = "SO_REUSEPORT";
  else if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0) step = "IPV6_V6ONLY";
  else if (bind(fd, (struct sockaddr *)&addr, addr_len) != 0) step = "bind";
  else if (listen(fd, backlog) != 0) step = "listen";
  if (step != NULL) {
    int err = errno;
    close(fd);
    return fail(env, step, err);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}
