/*
 * copyFields() -> the position after the last byte written, or -1
 *   Writes header field lines, "name: value" CR LF each, into one registered buffer from the
 *   ranges of another: the plain proxy path's response head, whose backend fields go to the
 *   client with their names and values as the backend sent them (src/gateway/upstream/
 *   proxy-exchange.ts, KeptFields; the scanner has checked every byte). Its numbers come through
 *   io: [0] the source buffer's index, [1] the destination's, [2] where to write, [3] how many
 *   fields; from io[IO_HEAD], four offsets a field: name start, name end, value start, value end.
 *   -1, with nothing written, when an index or a range is out of bounds or the lines would not
 *   fit in the destination.
 *
 *   Why: a JavaScript loop over a typed array's bytes costs ~40 instructions a byte in the
 *   worker's optimized code (bounds and detach checks on both arrays), and turning each field
 *   into a string and back cost ~2,700 instructions a response. Here each range is a memcpy.
 */
#include "addon.h"
#include <string.h>

#define IO_HEAD 5

/* 0 <= start <= end <= length. */
static int range_ok(int32_t start, int32_t end, size_t length) {
  return start >= 0 && start <= end && (size_t)end <= length;
}

napi_value copy_fields(napi_env env, napi_callback_info info) {
  (void)info;
  int32_t result = -1;
  const registry *r = registered();
  const int32_t *io = r->io;
  if (io != NULL && r->io_length >= IO_HEAD) {
    size_t src_length = 0, dst_length = 0;
    const uint8_t *src = registered_buffer(r, io[0], &src_length);
    uint8_t *dst = registered_buffer(r, io[1], &dst_length);
    const int32_t at = io[2], count = io[3];
    const int32_t *f = io + IO_HEAD;
    if (src != NULL && dst != NULL && src != dst && at >= 0 && (size_t)at <= dst_length
        && count >= 0 && (size_t)count <= (r->io_length - IO_HEAD) / 4) {
      /* Every range checked and the total counted before a byte is written. */
      size_t need = 0;
      int ok = 1;
      for (int32_t i = 0; i < count && ok; i++) {
        const int32_t *o = f + 4 * i;
        ok = range_ok(o[0], o[1], src_length) && range_ok(o[2], o[3], src_length);
        need += (size_t)(o[1] - o[0]) + (size_t)(o[3] - o[2]) + 4;
      }
      if (ok && need <= dst_length - (size_t)at) {
        uint8_t *p = dst + at;
        for (int32_t i = 0; i < count; i++) {
          const int32_t *o = f + 4 * i;
          memcpy(p, src + o[0], (size_t)(o[1] - o[0]));
          p += o[1] - o[0];
          *p++ = ':';
          *p++ = ' ';
          memcpy(p, src + o[2], (size_t)(o[3] - o[2]));
          p += o[3] - o[2];
          *p++ = '\r';
          *p++ = '\n';
        }
        result = (int32_t)(p - dst);
      }
    }
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}
