/*
 * sdNotify(socketPath, message) -> boolean
 *
 * Sends one datagram to systemd's notify socket ($NOTIFY_SOCKET) the way sd_notify(3) does: an
 * AF_UNIX SOCK_DGRAM socket, opened and closed per message. A path starting with '@' names an
 * abstract socket (the '@' stands for the leading NUL byte). Node has no unix datagram sockets,
 * which is why this is native code.
 * Returns false when the send fails (nobody listening, permission, the receiver's queue full):
 * notification is best effort and never a reason for the gateway to fail. MSG_DONTWAIT: a
 * receiver that does not read must never block the primary's event loop. Throws only on bad
 * arguments.
 */
#define _GNU_SOURCE
#include "addon.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* systemd's own messages are a few hundred bytes; STATUS= lines are short. */
#define MAX_MESSAGE_BYTES 4096

/* Fills `addr` from "/path" or "@abstract"; returns the address length, or 0 if the name is invalid. */
static socklen_t notify_address(const char *name, size_t name_len, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (name_len < 2 || name_len >= sizeof addr->sun_path || (name[0] != '/' && name[0] != '@')) return 0;
  memcpy(addr->sun_path, name, name_len);
  if (name[0] == '@') {
    addr->sun_path[0] = '\0';
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len);
  }
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len + 1);
}

napi_value sd_notify_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  size_t name_len = 0, message_len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], NULL, 0, &message_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "sdNotify(socketPath: string, message: string)");
    return NULL;
  }
  struct sockaddr_un addr;
  socklen_t addr_len = notify_address(name, name_len, &addr);
  if (addr_len == 0) {
    napi_throw_type_error(env, NULL, "sdNotify: socketPath must be an absolute path or @abstract name shorter than 108 bytes");
    return NULL;
  }
  if (message_len == 0 || message_len > MAX_MESSAGE_BYTES) {
    napi_throw_range_error(env, NULL, "sdNotify: message must be 1 to 4096 bytes");
    return NULL;
  }
  char *message = malloc(message_len + 1);
  if (message == NULL) return js_boolean(env, 0);
  napi_get_value_string_utf8(env, argv[1], message, message_len + 1, &message_len);

  int sent = 0;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    sent = sendto(fd, message, message_len, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&addr, addr_len) == (ssize_t)message_len;
    close(fd);
  }
  free(message);
  return js_boolean(env, sent);
}
