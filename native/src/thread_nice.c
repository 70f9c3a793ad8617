/*
 * niceThread(nice) -> boolean
 *   Sets the nice value of the calling thread only (setpriority on its kernel thread id: on Linux
 *   nice is per thread). The config compiler thread calls it for itself, so that compiling a large
 *   config takes the CPU the request workers leave, instead of an equal share of it. Node's
 *   os.setPriority takes a pid, which would renice the whole process. False when refused (raising
 *   priority needs CAP_SYS_NICE; lowering it never does).
 */
#define _GNU_SOURCE
#include "addon.h"
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

napi_value nice_thread(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t nice = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &nice) != napi_ok || nice < -20 || nice > 19) {
    napi_throw_range_error(env, NULL, "niceThread(nice): nice must be a whole number from -20 to 19");
    return NULL;
  }
  napi_value result;
  napi_get_boolean(env, setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice) == 0, &result);
  return result;
}
