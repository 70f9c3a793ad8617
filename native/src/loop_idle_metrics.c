/*
 * stopLoopIdleMetrics() -> boolean
 *   Turns off libuv's idle-time metrics on the calling thread's event loop, which Node turns on
 *   for every loop (uv_loop_configure(UV_METRICS_IDLE_TIME): what
 *   performance.eventLoopUtilization() reads). True when they were on and are now off.
 *
 *   Why: with them on, every time the loop would sleep libuv first polls epoll with a zero timeout
 *   (to time the sleep exactly) and, when that finds nothing, polls again to sleep. A worker
 *   proxying at a paced rate wakes about twice a request (the client's request, the backend's
 *   answer), so it made about one empty epoll_pwait call a request (0.9-1.3, perf at 13,825
 *   requests/s), ~1.1 µs each on this project's VMs. Nothing in a worker reads the loop's idle
 *   time (Outpost's loop delay comes from monitorEventLoopDelay, a timer); eventLoopUtilization()
 *   of a worker would report its idle time as 0 from here on.
 *
 *   libuv has no call to turn an option off, so this clears the flag where libuv keeps it: the
 *   first field (`unsigned int flags`, bit UV_METRICS_IDLE_TIME) of the loop's internal fields,
 *   laid out that way from 1.39 (where the option came in) to 1.52 (read in each release's
 *   src/uv-common.h; uv_loop_configure sets that bit, src/unix/loop.c). Any other libuv version
 *   is left alone (false): the cost above is a few µs a request, not a fault.
 */
#include "addon.h"
#include <uv.h>

#define UV_VERSION_HEX_OF(major, minor) (((major) << 16) | ((minor) << 8))
/* libuv versions whose uv__loop_internal_fields_s starts with `unsigned int flags` (src/uv-common.h). */
#define FIRST_KNOWN UV_VERSION_HEX_OF(1, 39)
#define LAST_KNOWN UV_VERSION_HEX_OF(1, 52)

napi_value stop_loop_idle_metrics(napi_env env, napi_callback_info info) {
  (void)info;
  /* The running library's version, not the headers': Node links libuv statically, but an embedder may not. */
  unsigned int version = uv_version() & 0xffff00u;
  uv_loop_t *loop = NULL;
  if (version < FIRST_KNOWN || version > LAST_KNOWN || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      loop == NULL || loop->internal_fields == NULL)
    return js_boolean(env, 0);
  unsigned int *flags = (unsigned int *)loop->internal_fields;
  if ((*flags & (unsigned int)UV_METRICS_IDLE_TIME) == 0) return js_boolean(env, 0);
  *flags &= ~(unsigned int)UV_METRICS_IDLE_TIME;
  return js_boolean(env, 1);
}
