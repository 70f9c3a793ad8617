/*
 * outpost_native: the few things Node cannot do itself on Node 20. Each function lives in its
 * own file; this one only registers them. The gateway runs without the addon (src/gateway/native.ts).
 */
#include "addon.h"

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  export_fn(env, exports, "listenReusePort", listen_reuse_port);
  export_fn(env, exports, "sdNotify", sd_notify_send);
  export_fn(env, exports, "pinThread", pin_thread);
  export_fn(env, exports, "currentThreadId", current_thread_id);
  export_fn(env, exports, "niceThread", nice_thread);
  export_fn(env, exports, "sendBatch", send_batch);
  export_fn(env, exports, "writeRequestLog", write_request_log);
  export_fn(env, exports, "requestLogFields", request_log_fields);
  export_fn(env, exports, "requestLogTarget", request_log_target);
  export_fn(env, exports, "newUuid", new_uuid);
  export_fn(env, exports, "registerBuffers", register_buffers);
  export_fn(env, exports, "writeRequestFields", write_request_fields);
  export_fn(env, exports, "scanHeadFields", scan_head_fields);
  export_fn(env, exports, "findHeadEnd", find_head_end);
  export_fn(env, exports, "findBlankLine", find_blank_line);
  export_fn(env, exports, "jsonConfigParts", json_config_parts);
  export_fn(env, exports, "acceptPending", accept_pending);
  export_fn(env, exports, "copyFields", copy_fields);
  export_fn(env, exports, "startIterationFlush", start_iteration_flush);
  export_fn(env, exports, "stopLoopIdleMetrics", stop_loop_idle_metrics);
  export_fn(env, exports, "gateCheckImmediate", gate_check_immediate);
  export_fn(env, exports, "checkImmediateStats", check_immediate_stats);
  return exports;
}
