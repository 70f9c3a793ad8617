/*
 * gateCheckImmediate() -> boolean
 *   Makes Node's immediate check (node::Environment::CheckImmediate, the check handle Node runs in
 *   libuv's check phase of every loop iteration) run on the calling thread only when it can have
 *   work to do: when the loop is not going to block (uv_backend_timeout() == 0, which holds while
 *   Node's immediate idle handle is started, and Node starts it for as long as any referenced
 *   immediate, JavaScript's or native, is pending), or else at most once per millisecond of the
 *   loop's clock. True when the gate is in place; false (nothing changed) when this Node does not
 *   export the function or the thread's loop has no such handle (or the gate is already there).
 *
 *   Why: Node opens a handle scope, makes an object and a callback scope (with its microtask
 *   checkpoint) in every iteration's check, whether or not anything is pending: ~1,366
 *   instructions an iteration under callgrind. A worker proxying at a paced rate iterates about
 *   twice a request (the client's request, the backend's answer), so that was ~2,700 instructions
 *   of a ~53,000-instruction request, the largest single item of Node's own.
 *
 *   What waits: only an unreferenced immediate (setImmediate(...).unref(), or a native immediate
 *   Node queues without a reference), which stock Node runs in the check phase of the iteration
 *   that queued it, runs at the next iteration in a later millisecond instead: a worker's loop
 *   iterates at least every 10 ms (its event-loop-delay timer). Thread-safe native immediates and
 *   interrupts (another thread's requests) run from Node's async handle, not from this check, and
 *   are not touched. Microtasks and process.nextTick callbacks queued by a callback are run when
 *   that callback's own scope closes, not by this check.
 *
 *   How the handle is found: its callback is CheckImmediate, whose address comes from the node
 *   binary's exported symbols (dlsym); the one check handle on this thread's loop with that
 *   callback gets the gate as its callback, and the gate calls CheckImmediate.
 *
 * checkImmediateStats(counts) -> undefined
 *   counts[0] = how often the gate ran CheckImmediate on this thread, counts[1] = how often it
 *   skipped it (tests and diagnostics).
 */
#define _GNU_SOURCE
#include "addon.h"
#include <dlfcn.h>
#include <uv.h>

#define CHECK_IMMEDIATE_SYMBOL "_ZN4node11Environment14CheckImmediateEP10uv_check_s"

/* CheckImmediate: one function for every thread's environment. */
static uv_check_cb node_check_immediate;
/* This thread's gate, in one thread-local (one TLS lookup a check in a shared object, not three). */
typedef struct {
  uint64_t last_run_ms; /* the loop's millisecond clock when the gate last ran the check */
  double runs, skips;
} gate_state;
static __thread gate_state gate = {UINT64_MAX, 0, 0};

static void gated_check_immediate(uv_check_t *handle) {
  gate_state *g = &gate;
  uv_loop_t *loop = handle->loop;
  uint64_t now = uv_now(loop);
  if (now != g->last_run_ms || uv_backend_timeout(loop) == 0) {
    g->last_run_ms = now;
    g->runs++;
    node_check_immediate(handle);
  } else {
    g->skips++;
  }
}

typedef struct {
  uv_check_t *found;
  int count;
} search;

static void find_check_immediate(uv_handle_t *h, void *arg) {
  search *s = arg;
  if (h->type == UV_CHECK && ((uv_check_t *)h)->check_cb == node_check_immediate) {
    s->found = (uv_check_t *)h;
    s->count++;
  }
}

napi_value gate_check_immediate(napi_env env, napi_callback_info info) {
  (void)info;
  if (node_check_immediate == NULL) {
    void *fn = dlsym(RTLD_DEFAULT, CHECK_IMMEDIATE_SYMBOL);
    node_check_immediate = (uv_check_cb)(uintptr_t)fn;
  }
  uv_loop_t *loop = NULL;
  if (node_check_immediate == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) return js_boolean(env, 0);
  search s = {NULL, 0};
  uv_walk(loop, find_check_immediate, &s);
  /* Exactly one, and running: anything else is a Node this was not written against. */
  if (s.count != 1 || !uv_is_active((uv_handle_t *)s.found)) return js_boolean(env, 0);
  s.found->check_cb = gated_check_immediate;
  return js_boolean(env, 1);
}

napi_value check_immediate_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  size_t length = 0;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || length < 2) {
    napi_throw_type_error(env, NULL, "checkImmediateStats(counts): counts must be a Float64Array of at least 2");
    return NULL;
  }
  double *counts = data;
  counts[0] = gate.runs;
  counts[1] = gate.skips;
  return NULL;
}
