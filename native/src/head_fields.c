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
 *   When the framing block (FRAMING_SLOTS numbers after the offsets) holds a response's HTTP
 *   minor version (0 or 1) in its first, a successful scan goes on over the same fields as
 *   ResponseHead.readFramingFields (Content-Length, Transfer-Encoding, Connection, Keep-Alive)
 *   and as responseFieldCodes (what the proxy exchange does with each field), writing the first's
 *   results into the block and a code per field after it (read_response_fields below);
 *   otherwise the block's second is 0 (not answered).
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
/* After the offsets (room for as many fields as codes): a response's framing in FRAMING_SLOTS
 * numbers, read after its fields when the first asks, then one code per field. */
#define FRAMING_SLOTS 6

/* The FIELDS_* codes of head-fields.ts. */
#define FIELDS_OK 0
#define FIELDS_BAD_LINE_ENDING 1
#define FIELDS_OBS_FOLD 2
#define FIELDS_BAD_NAME 3
#define FIELDS_BAD_VALUE 4
#define FIELDS_TOO_MANY 5

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

/* The helpers of read_response_fields below (response-head.ts, hop-by-hop.ts), on the offsets just scanned. */

/* nameIs of head-fields.ts: every byte folded with 0x20, as there (names are tokens). */
static int name_is(const uint8_t *buf, int32_t start, int32_t end, const char *lower, int32_t length) {
  if (end - start != length) return 0;
  for (int32_t i = 0; i < length; i++) {
    if ((buf[start + i] | 0x20) != (uint8_t)lower[i]) return 0;
  }
  return 1;
}
#define NAME_IS(buf, start, end, lower) name_is(buf, start, end, lower, (int32_t)sizeof(lower) - 1)

/* An HTAB in the OWS after a framing value (llhttp would not trim it: see tabAfter). */
static int tab_after(const uint8_t *buf, int32_t value_end) {
  for (int32_t p = value_end; buf[p] != CR; p++) {
    if (buf[p] == HTAB) return 1;
  }
  return 0;
}

/* 1*DIGIT, at most 15 digits: its value; -1 when malformed. */
static int64_t parse_length(const uint8_t *buf, int32_t start, int32_t end) {
  if (end == start || end - start > 15) return -1;
  int64_t n = 0;
  for (int32_t p = start; p < end; p++) {
    int d = buf[p] - '0';
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/* `timeout=N` in a Keep-Alive value, or -1 (keepAliveTimeout). */
static int32_t keep_alive_timeout(const uint8_t *buf, int32_t start, int32_t end) {
  for (int32_t p = start; p + 8 <= end; p++) {
    if ((p == start || buf[p - 1] == ',' || buf[p - 1] == SP) && NAME_IS(buf, p, p + 8, "timeout=")) {
      int32_t n = 0, q = p + 8;
      const int32_t first = q;
      while (q < end && buf[q] >= '0' && buf[q] <= '9' && q - first < 9) n = n * 10 + (buf[q++] - '0');
      return q == first ? -1 : n;
    }
  }
  return -1;
}

/* bytesAre of hop-by-hop.ts: letters fold to lower case, nothing else does. */
static int bytes_are(const uint8_t *buf, int32_t at, const char *lower, int32_t length) {
  for (int32_t i = 0; i < length; i++) {
    uint8_t want = (uint8_t)lower[i], got = buf[at + i];
    if (got != want && !(want >= 'a' && want <= 'z' && got == want - 0x20)) return 0;
  }
  return 1;
}
#define BYTES_ARE(buf, at, lower) bytes_are(buf, at, lower, (int32_t)sizeof(lower) - 1)

/* isHopByHopName of hop-by-hop.ts. */
static int hop_by_hop_name(const uint8_t *buf, int32_t start, int32_t end) {
  int32_t length = end - start;
  if (length >= 6 && BYTES_ARE(buf, start, "proxy-")) return 1;
  switch (length) {
    case 2: return BYTES_ARE(buf, start, "te");
    case 7: return BYTES_ARE(buf, start, "trailer") || BYTES_ARE(buf, start, "upgrade");
    case 10: return BYTES_ARE(buf, start, "connection") || BYTES_ARE(buf, start, "keep-alive");
    case 17: return BYTES_ARE(buf, start, "transfer-encoding");
    default: return 0;
  }
}

/* connectionTokensOf of hop-by-hop.ts would decode the value: a member other than close or keep-alive. */
static int names_others(const uint8_t *buf, int32_t p, int32_t end) {
  while (p < end) {
    while (p < end && (buf[p] == SP || buf[p] == HTAB || buf[p] == ',')) p++;
    const int32_t t = p;
    while (p < end && buf[p] != ',') p++;
    int32_t e = p;
    while (e > t && (buf[e - 1] == SP || buf[e - 1] == HTAB)) e--;
    const int32_t length = e - t;
    if (length == 0) continue;
    if (!(length == 5 && BYTES_ARE(buf, t, "close")) && !(length == 10 && BYTES_ARE(buf, t, "keep-alive"))) return 1;
  }
  return 0;
}

/* The HEAD_* codes of response-head.ts; the framing block's flags; the field codes of
 * response-field-codes.ts (FIELD_*). */
#define HEAD_OK 0
#define HEAD_BAD_CONTENT_LENGTH 3
#define HEAD_BAD_TRANSFER_ENCODING 4
#define FLAG_CHUNKED 1
#define FLAG_CLOSE 2
#define FLAG_KEEP_ALIVE 4
#define FLAG_NAMES_OTHERS 8
#define FIELD_KEEP 0
#define FIELD_REQUEST_ID 1
#define FIELD_CONTENT_LENGTH 2
#define FIELD_DATE 3
#define FIELD_HOP_BY_HOP 4

/*
 * One pass over a response's `count` scanned fields: readFramingFields of response-head.ts,
 * its results into `out` ([1] 1 when answered, 0 for a Content-Length above 2^31 - 1, which io
 * cannot carry: the caller reads the fields itself; [2] a HEAD_* code; [3] Content-Length or -1;
 * [4] FLAG_* bits; [5] Keep-Alive's timeout or -1; out[0] is the response's HTTP minor version),
 * and responseFieldCodes' code of each field into codes[i], with FLAG_NAMES_OTHERS when a
 * Connection field names other fields (then the exchange reads the fields itself). Stops at the
 * first framing error, after which nothing reads the codes.
 */
static void read_response_fields(const uint8_t *buf, const int32_t *offsets, int32_t count, int32_t *out, int32_t *codes) {
  int64_t content_length = -1;
  int transfer_encoding = 0;
  int32_t flags = 0, keep_alive = -1, code = HEAD_OK;
  out[1] = 1;
  for (int32_t i = 0; i < count && code == HEAD_OK; i++) {
    const int32_t *o = offsets + 4 * i;
    int32_t ns = o[0], ne = o[1], vs = o[2], ve = o[3];
    int32_t length = ne - ns;
    int32_t field = FIELD_KEEP;
    if (length == 14 && NAME_IS(buf, ns, ne, "content-length")) {
      field = FIELD_CONTENT_LENGTH;
      int64_t n = tab_after(buf, ve) ? -1 : parse_length(buf, vs, ve);
      if (n < 0 || (content_length >= 0 && content_length != n)) code = HEAD_BAD_CONTENT_LENGTH;
      else content_length = n;
    } else if (length == 17 && NAME_IS(buf, ns, ne, "transfer-encoding")) {
      field = FIELD_HOP_BY_HOP;
      if (transfer_encoding || tab_after(buf, ve) || !NAME_IS(buf, vs, ve, "chunked")) code = HEAD_BAD_TRANSFER_ENCODING;
      transfer_encoding = 1;
    } else if (length == 10 && NAME_IS(buf, ns, ne, "connection")) {
      field = FIELD_HOP_BY_HOP;
      /* A comma-separated token list; only close and keep-alive matter (readConnection). */
      int32_t p = vs;
      while (p < ve) {
        while (p < ve && (buf[p] == SP || buf[p] == HTAB || buf[p] == ',')) p++;
        const int32_t t = p;
        while (p < ve && buf[p] != ',' && buf[p] != SP && buf[p] != HTAB) p++;
        if (p - t == 5 && NAME_IS(buf, t, p, "close")) flags |= FLAG_CLOSE;
        else if (p - t == 10 && NAME_IS(buf, t, p, "keep-alive")) flags |= FLAG_KEEP_ALIVE;
      }
      if (names_others(buf, vs, ve)) flags |= FLAG_NAMES_OTHERS;
    } else if (length == 10 && NAME_IS(buf, ns, ne, "keep-alive")) {
      field = FIELD_HOP_BY_HOP;
      keep_alive = keep_alive_timeout(buf, vs, ve);
    } else if (length == 12 && NAME_IS(buf, ns, ne, "x-request-id")) {
      field = FIELD_REQUEST_ID;
    } else if (length == 4 && NAME_IS(buf, ns, ne, "date")) {
      field = FIELD_DATE;
    } else if (hop_by_hop_name(buf, ns, ne)) {
      field = FIELD_HOP_BY_HOP;
    }
    codes[i] = field;
  }
  if (code == HEAD_OK && transfer_encoding) {
    if (content_length >= 0 || out[0] == 0) code = HEAD_BAD_TRANSFER_ENCODING;
    else flags |= FLAG_CHUNKED;
  }
  if (content_length > INT32_MAX) out[1] = 0;
  out[2] = code;
  out[3] = (int32_t)(content_length > INT32_MAX ? -1 : content_length);
  out[4] = flags;
  out[5] = keep_alive;
}

napi_value scan_head_fields(napi_env env, napi_callback_info info) {
  (void)info;
  int32_t code = -1;
  size_t length = 0;
  const registry *r = registered();
  int32_t *io = r->io;
  if (io != NULL && r->io_length >= IO_HEAD + FRAMING_SLOTS) {
    int32_t from = io[1], to = io[2], capacity = io[3];
    /* io: IO_HEAD numbers, 4 offsets per field, the framing block, a code per field. */
    const size_t fields = (r->io_length - IO_HEAD - FRAMING_SLOTS) / 5;
    int32_t *framing = io + IO_HEAD + 4 * fields;
    const uint8_t *buf = registered_buffer(r, io[0], &length);
    if (buf != NULL && from >= 0 && from <= to && (size_t)to < length && buf[to] == CR
        && capacity >= 0 && (size_t)capacity <= fields) {
      code = scan(buf, length, from, to, capacity, io + IO_HEAD, &io[4]);
      if (code == FIELDS_OK && (framing[0] == 0 || framing[0] == 1)) {
        read_response_fields(buf, io + IO_HEAD, io[4], framing, framing + FRAMING_SLOTS);
      } else {
        framing[1] = 0;
      }
    }
  }
  napi_value result;
  napi_create_int32(env, code, &result);
  return result;
}
