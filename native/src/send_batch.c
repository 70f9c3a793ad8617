/*
 * sendBatch(bytes, entries, count) -> undefined
 *   Writes `count` byte ranges, each to its own socket, in one call from JavaScript: entry i is
 *   entries[4i .. 4i+3] = { fd, start, end, result } over `bytes` (a Buffer). For each, send() is
 *   called once with MSG_DONTWAIT | MSG_NOSIGNAL (never blocks, never raises SIGPIPE; EINTR is
 *   retried) and `result` is set to the bytes the kernel took, or to -errno when it took none.
 *   The caller hands whatever was not taken (EAGAIN, a partial send, an error) to the socket's
 *   own stream, which queues it or reports the error the usual way.
 *
 *   Why: the gateway's writes of one event-loop iteration leave together at its end
 *   (src/shared/iteration-writes.ts). Through Node's streams each write costs a Writable, a WriteWrap
 *   and a JS-to-C++ call; here the whole batch costs one call.
 */
#include "addon.h"
#include <stdint.h>

napi_value send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, NULL, "sendBatch(bytes, entries, count): three arguments");
    return NULL;
  }
  uint8_t *bytes = NULL;
  size_t bytes_len = 0;
  if (napi_get_buffer_info(env, argv[0], (void **)&bytes, &bytes_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "sendBatch: bytes must be a Buffer");
    return NULL;
  }
  size_t length = 0;
  int32_t *e = int32_array_arg(env, argv[1], &length);
  if (e == NULL) {
    napi_throw_type_error(env, NULL, "sendBatch: entries must be an Int32Array");
    return NULL;
  }
  int32_t count = 0;
  if (napi_get_value_int32(env, argv[2], &count) != napi_ok || count < 0 || (size_t)count * 4 > length) {
    napi_throw_range_error(env, NULL, "sendBatch: count out of range");
    return NULL;
  }
  send_ranges(bytes, bytes_len, e, count);
  return NULL;
}
