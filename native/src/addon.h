/* The functions of the outpost_native addon, one file each; addon.c registers them. */
#ifndef OUTPOST_NATIVE_ADDON_H
#define OUTPOST_NATIVE_ADDON_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* registered.c: the io array and buffers a thread registered (registerBuffers). */
#define MAX_BUFFERS 4
/* The fewest numbers io may hold: the functions below use io[0..4] for arguments and results (findHeadEnd io[0..6], and checks for them). */
#define IO_MIN 5
typedef struct {
  int32_t *io;
  size_t io_length;
  uint8_t *buffers[MAX_BUFFERS];
  size_t buffer_lengths[MAX_BUFFERS];
  int buffer_count;
  napi_ref refs[MAX_BUFFERS + 1];
} registry;
/* This thread's registry: take it once per call (each __thread access is a call in a shared object). */
registry *registered(void);
/* The buffer registered at `id` (its length in *length), or NULL. */
static inline uint8_t *registered_buffer(const registry *r, int32_t id, size_t *length) {
  if (id < 0 || id >= r->buffer_count) return NULL;
  *length = r->buffer_lengths[id];
  return r->buffers[id];
}
/* The buffer io[0] names (its length in *length), or NULL without io or with fewer than `need` numbers in it. */
static inline uint8_t *io_buffer(const registry *r, size_t need, size_t *length) {
  return r->io == NULL || r->io_length < need ? NULL : registered_buffer(r, r->io[0], length);
}

/* A JavaScript boolean for a C truth value. */
static inline napi_value js_boolean(napi_env env, int value) {
  napi_value result;
  napi_get_boolean(env, value != 0, &result);
  return result;
}

/* The numbers of an Int32Array argument (its length in *length), or NULL when `v` is not one. */
static inline int32_t *int32_array_arg(napi_env env, napi_value v, size_t *length) {
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_get_typedarray_info(env, v, &type, length, &data, NULL, NULL) != napi_ok || type != napi_int32_array) return NULL;
  return data;
}

napi_value listen_reuse_port(napi_env env, napi_callback_info info);
napi_value sd_notify_send(napi_env env, napi_callback_info info);
napi_value pin_thread(napi_env env, napi_callback_info info);
napi_value current_thread_id(napi_env env, napi_callback_info info);
napi_value nice_thread(napi_env env, napi_callback_info info);
napi_value send_batch(napi_env env, napi_callback_info info);
napi_value write_request_log(napi_env env, napi_callback_info info);
napi_value request_log_fields(napi_env env, napi_callback_info info);
napi_value request_log_target(napi_env env, napi_callback_info info);
napi_value new_uuid(napi_env env, napi_callback_info info);
napi_value register_buffers(napi_env env, napi_callback_info info);
napi_value write_request_fields(napi_env env, napi_callback_info info);
napi_value find_head_end(napi_env env, napi_callback_info info);
napi_value find_blank_line(napi_env env, napi_callback_info info);
napi_value json_config_parts(napi_env env, napi_callback_info info);
napi_value scan_head_fields(napi_env env, napi_callback_info info);
napi_value accept_pending(napi_env env, napi_callback_info info);
napi_value copy_fields(napi_env env, napi_callback_info info);
napi_value start_iteration_flush(napi_env env, napi_callback_info info);
napi_value stop_loop_idle_metrics(napi_env env, napi_callback_info info);
napi_value gate_check_immediate(napi_env env, napi_callback_info info);
napi_value check_immediate_stats(napi_env env, napi_callback_info info);
/* iteration_flush.c: one non-blocking send() per entry {fd, start, end, result} over `bytes` (sendBatch's); how many did not leave whole (a dropped entry, fd < 0, counts as gone). */
int send_ranges(const uint8_t *bytes, size_t bytes_length, int32_t *entries, int32_t count);

#endif
