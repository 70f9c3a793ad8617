/*
 * registerBuffers(io, ...buffers) -> undefined
 *   Gives this thread's addon the Int32Array `io` through which findHeadEnd, scanHeadFields and
 *   writeRequestFields take their numbers and give results back, and up to MAX_BUFFERS Buffers
 *   they may read or write by index: the worker's two read buffers and its staging buffer
 *   (src/shared/native-buffers.ts). All are held by references: they stay alive and, off V8's
 *   heap, never move. A later call replaces the earlier one.
 *
 *   Why: reading a typed array's memory through N-API costs ~500 instructions a call and each
 *   number argument ~30; a function called once or twice a request takes its buffer as an index
 *   and its numbers as stores into `io` instead.
 */
#include "addon.h"
#include <stddef.h>

/* This thread's registry (one environment per thread: the main one or a worker's). */
static __thread registry thread_registry;

registry *registered(void) { return &thread_registry; }

static void drop_refs(napi_env env, registry *r) {
  for (int i = 0; i < MAX_BUFFERS + 1; i++) {
    if (r->refs[i] != NULL) napi_delete_reference(env, r->refs[i]);
    r->refs[i] = NULL;
  }
  r->io = NULL;
  r->io_length = 0;
  r->buffer_count = 0;
}

napi_value register_buffers(napi_env env, napi_callback_info info) {
  size_t argc = MAX_BUFFERS + 1;
  napi_value argv[MAX_BUFFERS + 1];
  size_t count = 0;
  int32_t *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1
      || (data = int32_array_arg(env, argv[0], &count)) == NULL || count < IO_MIN) {
    napi_throw_type_error(env, NULL, "registerBuffers(io, ...buffers): an Int32Array of at least 5 numbers, then at most 4 Buffers");
    return NULL;
  }
  registry *r = registered();
  drop_refs(env, r);
  if (napi_create_reference(env, argv[0], 1, &r->refs[0]) != napi_ok) goto failed;
  r->io = data;
  r->io_length = count;
  for (size_t i = 1; i < argc; i++) {
    void *bytes = NULL;
    size_t length = 0;
    if (napi_get_buffer_info(env, argv[i], &bytes, &length) != napi_ok) {
      drop_refs(env, r);
      napi_throw_type_error(env, NULL, "registerBuffers(io, ...buffers): a buffer argument is not a Buffer");
      return NULL;
    }
    if (napi_create_reference(env, argv[i], 1, &r->refs[i]) != napi_ok) goto failed;
    r->buffers[i - 1] = bytes;
    r->buffer_lengths[i - 1] = length;
    r->buffer_count = (int)i;
  }
  return NULL;
failed:
  drop_refs(env, r);
  napi_throw_error(env, NULL, "registerBuffers: no reference");
  return NULL;
}
