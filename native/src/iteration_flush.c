/*
 * startIterationFlush(state, entries, bytes, finish) -> boolean
 *   Sends this thread's staged writes (src/shared/iteration-writes.ts) from libuv's check phase,
 *   right after the poll phase's callbacks, and from its prepare phase, right before the loop
 *   waits in epoll: state[1] entries of `entries` (as sendBatch's) over `bytes`, each with one
 *   non-blocking send(). When every range left whole, state[1] and state[2] (the staged bytes)
 *   go back to 0 and no JavaScript runs; otherwise `finish` is called (as a callback from the
 *   loop, with its microtasks and ticks) to hand what was not taken to each socket's stream.
 *   state[0] is bumped at both points: the iteration's number (iterationNow's clock).
 *   False when the handles could not be started (the caller keeps its setImmediate).
 *
 *   Why: through setImmediate the end of an iteration cost ~4,000 instructions (an Immediate, the
 *   idle handle that keeps the poll from blocking, the entry into JavaScript and its callback
 *   scope): a request alone in its iteration, as at a paced rate, paid it twice (its arrival,
 *   its backend's answer). Here the common case is a few stores and the send() calls.
 *
 *   Both handles are unreferenced (they keep no loop alive) and closed when the thread's
 *   environment goes away.
 */
#include "addon.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <uv.h>

enum { ST_ITERATION = 0, ST_COUNT = 1, ST_BYTES = 2, ST_MIN = 3 };

typedef struct {
  napi_env env;
  uv_prepare_t prepare;
  uv_check_t check;
  int32_t *state;
  int32_t *entries;
  size_t entries_length;
  uint8_t *bytes;
  size_t bytes_length;
  napi_ref refs[4]; /* state, entries, bytes, finish */
  napi_async_cleanup_hook_handle cleanup;
  int open_handles;
} flusher;

static __thread flusher *thread_flusher;

/* Each entry's range to its fd (fd < 0: dropped); e[3] = bytes taken or -errno. Returns how many did not leave whole. */
int send_ranges(const uint8_t *bytes, size_t bytes_length, int32_t *e, int32_t count) {
  int incomplete = 0;
  for (int32_t i = 0; i < count; i++, e += 4) {
    int32_t fd = e[0], start = e[1], end = e[2];
    if (fd < 0) { e[3] = -EBADF; continue; }
    if (start < 0 || end < start || (size_t)end > bytes_length) { e[3] = -EINVAL; incomplete++; continue; }
    ssize_t n;
    do n = send(fd, bytes + start, (size_t)(end - start), MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    e[3] = n < 0 ? -errno : (int32_t)n;
    if (n != end - start) incomplete++;
  }
  return incomplete;
}

/*
 * `finish` as a callback from the loop: its microtasks and ticks run after it (no async context:
 * it needs none). False when it could not run (the environment going away).
 */
static int call_finish(flusher *f) {
  napi_env env = f->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  int ran = 0;
  napi_value fn, recv;
  if (napi_get_reference_value(env, f->refs[3], &fn) == napi_ok && fn != NULL && napi_get_global(env, &recv) == napi_ok) {
    napi_status status = napi_make_callback(env, NULL, recv, fn, 0, NULL, NULL);
    ran = status == napi_ok || status == napi_pending_exception;
    if (status == napi_pending_exception) {
      napi_value error;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
  return ran;
}

static void flush(flusher *f) {
  f->state[ST_ITERATION]++;
  int32_t count = f->state[ST_COUNT];
  if (count <= 0) return;
  if ((size_t)count * 4 > f->entries_length) count = (int32_t)(f->entries_length / 4);
  if (send_ranges(f->bytes, f->bytes_length, f->entries, count) == 0) {
    f->state[ST_COUNT] = 0;
    f->state[ST_BYTES] = 0;
    return;
  }
  /*
   * `finish` zeroes the count before anything else; what its ticks stage after that is a new
   * batch, sent at the next prepare or check. When it could not run, the same ranges must not be
   * sent again.
   */
  if (!call_finish(f)) {
    f->state[ST_COUNT] = 0;
    f->state[ST_BYTES] = 0;
  }
}

static void on_prepare(uv_prepare_t *handle) { flush(handle->data); }
static void on_check(uv_check_t *handle) { flush(handle->data); }

static void release(flusher *f) {
  for (int i = 0; i < 4; i++) if (f->refs[i] != NULL) napi_delete_reference(f->env, f->refs[i]);
}

static void on_closed(uv_handle_t *handle) {
  flusher *f = handle->data;
  if (--f->open_handles > 0) return;
  napi_async_cleanup_hook_handle cleanup = f->cleanup;
  free(f);
  if (cleanup != NULL) napi_remove_async_cleanup_hook(cleanup);
}

/* The environment is going away: stop, close both handles, free once both are closed. */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  flusher *f = arg;
  (void)handle;
  if (thread_flusher == f) thread_flusher = NULL;
  release(f);
  uv_prepare_stop(&f->prepare);
  uv_check_stop(&f->check);
  uv_close((uv_handle_t *)&f->prepare, on_closed);
  uv_close((uv_handle_t *)&f->check, on_closed);
}

napi_value start_iteration_flush(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) {
    napi_throw_type_error(env, NULL, "startIterationFlush(state, entries, bytes, finish): four arguments");
    return NULL;
  }
  if (thread_flusher != NULL) {
    napi_throw_error(env, NULL, "startIterationFlush: already started on this thread");
    return NULL;
  }
  size_t state_length = 0, entries_length = 0, bytes_length = 0;
  int32_t *state = int32_array_arg(env, argv[0], &state_length);
  int32_t *entries = int32_array_arg(env, argv[1], &entries_length);
  void *bytes = NULL;
  napi_valuetype finish_type;
  if (state == NULL || state_length < ST_MIN || entries == NULL || entries_length < 4
      || napi_get_buffer_info(env, argv[2], &bytes, &bytes_length) != napi_ok
      || napi_typeof(env, argv[3], &finish_type) != napi_ok || finish_type != napi_function) {
    napi_throw_type_error(env, NULL, "startIterationFlush: an Int32Array of at least 3 numbers, an Int32Array of entries, a Buffer and a function");
    return NULL;
  }
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) return js_boolean(env, 0);
  flusher *f = calloc(1, sizeof *f);
  if (f == NULL) return js_boolean(env, 0);
  f->env = env;
  f->state = state;
  f->entries = entries;
  f->entries_length = entries_length;
  f->bytes = bytes;
  f->bytes_length = bytes_length;
  int ok = 1;
  for (int i = 0; ok && i < 4; i++) ok = napi_create_reference(env, argv[i], 1, &f->refs[i]) == napi_ok;
  if (!ok) {
    release(f);
    free(f);
    return js_boolean(env, 0);
  }
  uv_prepare_init(loop, &f->prepare);
  uv_check_init(loop, &f->check);
  f->prepare.data = f;
  f->check.data = f;
  f->open_handles = 2;
  uv_unref((uv_handle_t *)&f->prepare);
  uv_unref((uv_handle_t *)&f->check);
  uv_prepare_start(&f->prepare, on_prepare);
  uv_check_start(&f->check, on_check);
  if (napi_add_async_cleanup_hook(env, on_env_cleanup, f, &f->cleanup) != napi_ok) {
    /* Without a cleanup hook the handles would outlive the environment: take them down now. */
    f->cleanup = NULL;
    on_env_cleanup(NULL, f);
    return js_boolean(env, 0);
  }
  thread_flusher = f;
  return js_boolean(env, 1);
}
