/*
 * findHeadEnd() -> the index of the CR of the empty line ending a request head, a HEAD_* code
 *                  (negative), or DECLINED (-100) when it does not answer
 *
 *   HeadEndFinder.find of src/http1/head-end.ts, step for step (test/unit/head-end-native.test.ts
 *   holds the two to the same answers and state over random heads split into random reads): in
 *   the registered buffer io[0] (registered.c), from io[1] to io[2], with the finder's state
 *   io[3] (bytes scanned so far) and io[4] (the current line's start), both relative to io[1],
 *   and its limits io[5] (head bytes) and io[6] (request-line bytes). Writes the state back
 *   into io[3] and io[4]: (0, 0) once a head ends, unchanged on a refusal.
 *
 *   DECLINED when an argument is out of range (no such buffer, a range outside it, a state
 *   past the range, a negative limit): the caller runs the JavaScript finder.
 *
 *   Why native: the JavaScript loop looks at every byte of every head (~1,950 instructions a
 *   proxied GET, bench:instructions); here sixteen bytes a step go by until a CR or LF.
 */
#include "addon.h"
#include "http_tables.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define DECLINED (-100)
/* head-end.ts's codes. */
#define HEAD_INCOMPLETE (-1)
#define HEAD_BAD_LINE_ENDING (-2)
#define HEAD_TOO_LARGE (-3)
#define HEAD_LINE_TOO_LONG (-4)
#define HEAD_BAD_FIELD_LINE_ENDING (-5)
#define HEAD_METHOD_TOO_LONG (-6)

/* 414 is for a long request-target; a line whose method never ends is just malformed. As
 * head-end.ts's lineTooLong: an SP within the line's bound, [start, start + max_line]. Called once
 * the line has outgrown max_line, so those bytes have been read (and lie within `length`). */
static int32_t line_too_long(const uint8_t *buf, size_t length, int32_t start, int32_t max_line) {
  for (size_t p = (size_t)start; p <= (size_t)start + (size_t)max_line && p < length; p++) {
    if (buf[p] == 0x20) return HEAD_LINE_TOO_LONG;
  }
  return HEAD_METHOD_TOO_LONG;
}

/* The first index in [p, limit) holding CR or LF, or limit. */
static int32_t next_line_byte(const uint8_t *buf, int32_t p, int32_t limit) {
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8(CR), lf = _mm_set1_epi8(LF);
  while (p + 16 <= limit) {
    __m128i v = _mm_loadu_si128((const __m128i *)(buf + p));
    int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
    if (mask != 0) return p + __builtin_ctz((unsigned)mask);
    p += 16;
  }
#endif
  while (p < limit && buf[p] != CR && buf[p] != LF) p++;
  return p;
}

static int32_t find(const uint8_t *buf, size_t length, int32_t start, int32_t end, int32_t *scanned_io, int32_t *line_start_io,
                    int32_t max_head, int32_t max_line) {
  int32_t p = start + *scanned_io;
  int32_t line_start = start + *line_start_io;
  int32_t limit = end < start + max_head + 4 ? end : start + max_head + 4;
  int32_t result = HEAD_INCOMPLETE;
  for (; p < limit; p++) {
    p = next_line_byte(buf, p, limit);
    if (p >= limit) break;
    uint8_t c = buf[p];
    if (c == LF) return line_start == start ? HEAD_BAD_LINE_ENDING : HEAD_BAD_FIELD_LINE_ENDING;
    if (p + 1 >= end) break; /* wait for the byte after CR */
    if (buf[p + 1] != LF) return line_start == start ? HEAD_BAD_LINE_ENDING : HEAD_BAD_FIELD_LINE_ENDING;
    if (line_start == start && p - start > max_line) return line_too_long(buf, length, start, max_line);
    if (p == line_start && line_start != start) { result = p; break; }
    p++;
    line_start = p + 1;
  }
  if (result >= 0) {
    *scanned_io = 0;
    *line_start_io = 0;
    return result - start > max_head ? HEAD_TOO_LARGE : result;
  }
  *scanned_io = p - start;
  *line_start_io = line_start - start;
  if (line_start == start && p - start > max_line) return line_too_long(buf, length, start, max_line);
  if (p - start >= max_head + 4 || end - start > max_head + 4) return HEAD_TOO_LARGE;
  return HEAD_INCOMPLETE;
}

napi_value find_head_end(napi_env env, napi_callback_info info) {
  (void)info;
  int32_t answer = DECLINED;
  size_t length = 0;
  const registry *r = registered();
  int32_t *io = r->io;
  const uint8_t *buf = io_buffer(r, 7, &length);
  if (buf != NULL) {
    int32_t start = io[1], end = io[2], scanned = io[3], line_start = io[4], max_head = io[5], max_line = io[6];
    if (start >= 0 && start <= end && (size_t)end <= length && scanned >= 0 && scanned <= end - start
        && line_start >= 0 && line_start <= scanned + 1 && max_head >= 0 && max_head <= INT32_MAX / 2 && max_line >= 0) {
      answer = find(buf, length, start, end, &io[3], &io[4], max_head, max_line);
    }
  }
  napi_value result;
  napi_create_int32(env, answer, &result);
  return result;
}

/*
 * findBlankLine() -> the index of the first CR LF CR LF in the registered buffer io[0] between
 *                    io[1] and io[2] (all four bytes before io[2]), -1 when there is none, or
 *                    DECLINED (-100) when an argument is out of range
 *
 *   `buf.indexOf('\r\n\r\n', from)` for the response parser (src/http1/response-parser.ts),
 *   which checks the bytes before it only once the head is complete: through Node, a string
 *   needle costs a JavaScript wrapper, an encoding switch and a search set up per call (~620
 *   instructions a proxied response, bench:instructions), here sixteen bytes a step go by
 *   until a CR.
 */
static inline int blank_line_at(const uint8_t *buf, int32_t p) {
  return buf[p] == CR && buf[p + 1] == LF && buf[p + 2] == CR && buf[p + 3] == LF;
}

/* Looks only at the CRs (every line has one): sixteen bytes a step, each CR's four bytes checked
 * where the step found it, so a head of n lines costs n checks, not a new search per CR and LF. */
static int32_t blank_line(const uint8_t *buf, int32_t from, int32_t to) {
  int32_t p = from;
  const int32_t last = to - 4; /* the last index a blank line may start at */
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8(CR);
  for (; p + 16 <= to; p += 16) {
    unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(buf + p)), cr));
    while (mask != 0) {
      int32_t at = p + __builtin_ctz(mask);
      if (at > last) return -1;
      if (blank_line_at(buf, at)) return at;
      mask &= mask - 1;
    }
  }
#endif
  for (; p <= last; p++) if (buf[p] == CR && blank_line_at(buf, p)) return p;
  return -1;
}

napi_value find_blank_line(napi_env env, napi_callback_info info) {
  (void)info;
  int32_t answer = DECLINED;
  size_t length = 0;
  const registry *r = registered();
  int32_t *io = r->io;
  const uint8_t *buf = io_buffer(r, IO_MIN, &length);
  if (buf != NULL) {
    int32_t from = io[1], to = io[2];
    if (from >= 0 && from <= to && (size_t)to <= length) answer = blank_line(buf, from, to);
  }
  napi_value result;
  napi_create_int32(env, answer, &result);
  return result;
}
