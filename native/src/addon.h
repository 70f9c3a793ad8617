/* The functions of the outpost_native addon, one file each; addon.c registers them. */
#ifndef OUTPOST_NATIVE_ADDON_H
#define OUTPOST_NATIVE_ADDON_H
#include <node_api.h>

napi_value listen_reuse_port(napi_env env, napi_callback_info info);
napi_value sd_notify_send(napi_env env, napi_callback_info info);
napi_value pin_thread(napi_env env, napi_callback_info info);
napi_value current_thread_id(napi_env env, napi_callback_info info);
napi_value nice_thread(napi_env env, napi_callback_info info);
napi_value send_batch(napi_env env, napi_callback_info info);
napi_value write_request_log(napi_env env, napi_callback_info info);
napi_value request_log_fields(napi_env env, napi_callback_info info);
napi_value new_uuid(napi_env env, napi_callback_info info);
napi_value head_fields_io(napi_env env, napi_callback_info info);
napi_value scan_head_fields(napi_env env, napi_callback_info info);

#endif
