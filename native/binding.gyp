{
  "targets": [
    {
      "target_name": "outpost_native",
      "sources": ["src/addon.c", "src/listen_reuseport.c", "src/sd_notify.c", "src/pin_thread.c", "src/thread_nice.c", "src/send_batch.c", "src/request_log.c", "src/uuid.c", "src/head_fields.c", "src/registered.c", "src/request_fields.c", "src/head_end.c", "src/json_parts.c", "src/accept_pending.c", "src/copy_fields.c", "src/iteration_flush.c", "src/loop_idle_metrics.c", "src/check_immediate_gate.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-ffp-contract=off"]
    }
  ]
}
