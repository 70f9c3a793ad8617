/*
 * pinThread(cpu) -> boolean
 *   Restricts the calling thread (a gateway worker thread calls it for itself) to one CPU with
 *   pthread_setaffinity_np. Node has no affinity API, and a whole-process `taskset` cannot put
 *   each worker thread on its own core. False when the kernel refuses (a CPU outside the
 *   process's allowed set, e.g. a container's cpuset); throws on a CPU number out of range.
 * currentThreadId() -> number
 *   The kernel's id of the calling thread (gettid): the <tid> in /proc/<pid>/task/<tid>, so logs
 *   and tests can find the thread that was pinned.
 */
#define _GNU_SOURCE
#include "addon.h"
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

napi_value pin_thread(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t cpu = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &cpu) != napi_ok || cpu < 0 || cpu >= CPU_SETSIZE) {
    napi_throw_range_error(env, NULL, "pinThread(cpu): cpu must be a whole number from 0 to 1023");
    return NULL;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  napi_value result;
  napi_get_boolean(env, pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0, &result);
  return result;
}

napi_value current_thread_id(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_int32(env, (int32_t)syscall(SYS_gettid), &result);
  return result;
}
