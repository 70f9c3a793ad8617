/*
 * scanHeadFields() -> a FIELDS_* code, or -1 when it does not answer
 *
 *   The field lines of an HTTP/1.1 head (RFC 9112 §5), exactly as scanFields in
 *   src/http1/head-fields.ts scans them (test/unit/head-fields-native.test.ts holds the two to
 *   the same codes and offsets): buffer io[0] (an index into the buffers registered with
 *   registerBuffers, registered.c), from io[1] up to
 *   io[2], which must be the CR of the empty line ending the head, at most io[3] fields. Writes
 *   io[4] = the field count (or -1 where scanFields leaves the list's count alone) and from io[5]
 *   four offsets per field: name start, name end, value start, value end without trailing OWS.
 *
 *   -1 (nothing answered: the caller scans in JavaScript) when an argument is out of range: no
 *   such buffer, a range outside it, io[2] not a CR, more fields than io has room for. Every
 *   byte loop stops on that CR, so no read goes past it.
 *
 *   Why native, and why arguments through `io`: the JavaScript scanner took ~2,600 instructions a
 *   head (callgrind, bench:instructions: 5,200 a proxied request for its two heads). Arguments
 *   go through `io` for the reason registered.c gives.
 */
#include "addon.h"
#include "http_tables.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* io[0..4]: buffer index, from, to, capacity, count written back; offsets from io[IO_HEAD]. */
#define IO_HEAD 5

/* The FIELDS_* codes of head-fields.ts. */
#define FIELDS_OK 0
#define FIELDS_BAD_LINE_ENDING 1
#define FIELDS_OBS_FOLD 2
#define FIELDS_BAD_NAME 3
#define FIELDS_BAD_VALUE 4
#define FIELDS_TOO_MANY 5

#define CR 0x0d
#define LF 0x0a
#define SP 0x20
#define HTAB 0x09

/*
 * The first index from p whose byte is not field-content: where a value ends (on its CR at the
 * latest, since the head's last CR is at `to`). Sixteen bytes a step where the buffer holds them
 * (values are most of a head's bytes): a byte is refused when it is at most 0x1F and not HTAB,
 * or DEL; obs-text (0x80-0xFF) passes, as in FIELD_VALUE.
 */
static int32_t value_end_from(const uint8_t *buf, int32_t p, size_t length) {
#if defined(__SSE2__)
  const __m128i max_control = _mm_set1_epi8(0x1f);
  const __m128i htab = _mm_set1_epi8(HTAB);
  const __m128i del = _mm_set1_epi8(0x7f);
  while ((size_t)p + 16 <= length) {
    __m128i v = _mm_loadu_si128((const __m128i *)(buf + p));
    __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, max_control), v);
    __m128i refused = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, htab), control), _mm_cmpeq_epi8(v, del));
    int mask = _mm_movemask_epi8(refused);
    if (mask != 0) return p + __builtin_ctz((unsigned)mask);
    p += 16;
  }
#else
  (void)length;
#endif
  while (FIELD_VALUE[buf[p]]) p++;
  return p;
}

/* scanFields of head-fields.ts, step for step; `count_out` as io[4]. `length` is the buffer's. */
static int32_t scan(const uint8_t *buf, size_t length, int32_t from, int32_t to, int32_t capacity, int32_t *offsets, int32_t *count_out) {
  int32_t count = 0;
  int32_t p = from;
  *count_out = -1;
  while (p < to) {
    uint8_t first = buf[p];
    if (first == SP || first == HTAB) return FIELDS_OBS_FOLD;
    int32_t name_start = p;
    while (TOKEN[buf[p]]) p++;
    if (p == name_start || p >= to || buf[p] != ':') {
      *count_out = count;
      if (p < to && (buf[p] == CR || buf[p] == LF)) return buf[p] == LF || buf[p + 1] != LF ? FIELDS_BAD_LINE_ENDING : FIELDS_BAD_NAME;
      return FIELDS_BAD_NAME;
    }
    int32_t name_end = p++;
    while (buf[p] == SP || buf[p] == HTAB) p++;
    int32_t value_start = p;
    p = value_end_from(buf, p, length);
    uint8_t c = buf[p];
    if (c != CR) return c == LF ? FIELDS_BAD_LINE_ENDING : FIELDS_BAD_VALUE;
    if (p >= to || buf[p + 1] != LF) return FIELDS_BAD_LINE_ENDING;
    int32_t value_end = p;
    while (value_end > value_start && (buf[value_end - 1] == SP || buf[value_end - 1] == HTAB)) value_end--;
    p += 2;
    if (count == capacity) return FIELDS_TOO_MANY;
    int32_t *o = offsets + 4 * count;
    o[0] = name_start;
    o[1] = name_end;
    o[2] = value_start;
    o[3] = value_end;
    count++;
  }
  *count_out = count;
  return FIELDS_OK;
}

napi_value scan_head_fields(napi_env env, napi_callback_info info) {
  (void)info;
  int32_t code = -1;
  size_t length = 0;
  const registry *r = registered();
  int32_t *io = r->io;
  if (io != NULL) {
    int32_t from = io[1], to = io[2], capacity = io[3];
    const uint8_t *buf = registered_buffer(r, io[0], &length);
    if (buf != NULL && from >= 0 && from <= to && (size_t)to < length && buf[to] == CR
        && capacity >= 0 && (size_t)capacity <= (r->io_length - IO_HEAD) / 4) {
      code = scan(buf, length, from, to, capacity, io + IO_HEAD, &io[4]);
    }
  }
  napi_value result;
  napi_create_int32(env, code, &result);
  return result;
}
