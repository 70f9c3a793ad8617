/*
 * writeRequestFields(method, path, ...names and values) -> the next position, or -1
 *
 *   The request line and the field lines of a request towards a backend, byte for byte as
 *   writeRequestHead in src/gateway/upstream/request-writer.ts writes them (its test holds the
 *   two to the same bytes): into the registered buffer io[0] (registerBuffers, registered.c) at
 *   io[1]; io[2] is how many names and values follow method and path (pairs, at most
 *   MAX_STRINGS). Hop-by-hop names this leg owns (Connection, Keep-Alive, Transfer-Encoding,
 *   Upgrade) are left out, as is a Content-Length repeating the first; io[3] gets the declared
 *   Content-Length, or -1. The caller writes the body's framing line and the head's end.
 *
 *   -1, having written only scratch bytes past io[1], whenever the JavaScript writer could
 *   answer differently or refuse: a character above U+00FF or outside its table (the method a
 *   token, the path no space or control, names tokens, values field-content), an empty method
 *   or name, a Content-Length that is not 1-9 digits or differs from the first, an argument
 *   that is not a string, too little room, more than MAX_STRINGS. The caller then writes the
 *   head in JavaScript, which throws the right error for a bad one.
 *
 *   Names and methods the gateway itself writes on every request come as codes, so their
 *   strings are not copied out of V8 (~175 instructions each, six a plain GET): io[4] is the
 *   method's code (METHODS of method_codes.h, 0: read the string) and io[5 + k] the code of pair k's name
 *   (NAME_TEXT, 0: read it). The caller sets a code only for a string equal to its text, so the
 *   bytes written are the same either way; the string argument is still passed, and ignored.
 *
 *   Why native: written in JavaScript, each character is checked and copied by a typed-array
 *   loop over charCodeAt, ~8,900 instructions for a plain proxied GET's head (callgrind,
 *   bench:instructions: writeRequestHead, copyChecked, checked, text). Here each string is
 *   copied out of V8 once (as UTF-16, so a character above U+00FF is seen, not cut to its low
 *   byte) and checked as it is narrowed to bytes, values and the path eight units a step.
 */
#include "addon.h"
#include "http_tables.h"
#include "method_codes.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MAX_STRINGS 32
/* UTF-16 units one string may have here; a longer one goes to the JavaScript writer. */
#define MAX_UNITS 16384

/* This thread's copy of the string at hand, reached through a pointer taken once per call: in
 * a shared object each use of a __thread variable is a call to __tls_get_addr, and GCC makes
 * that call again after every other call instead of keeping the address (68 calls in this
 * function, ~1,700 instructions a request), unless the address comes from a function it cannot
 * see into. */
static __thread char16_t thread_units[MAX_UNITS];
static __attribute__((noinline)) char16_t *units_of_thread(void) { return thread_units; }

/* The string `v` copied into `units`: its length, or -1 when it is not a string or too long. */
static int read_units(napi_env env, char16_t *units, napi_value v) {
  size_t n = 0;
  if (napi_get_value_string_utf16(env, v, units, MAX_UNITS, &n) != napi_ok || n >= MAX_UNITS - 1) return -1;
  return (int)n;
}

/* units[0, n) into out when each is a byte its table allows (`kind`): the next position, or NULL. */
enum { TABLE_TOKEN, TABLE_VALUE, TABLE_TARGET };
/*
 * Eight units a step for values and the path (most of a head's characters): narrowed to bytes,
 * refused when a unit is above U+00FF, a control other than HTAB (value) or any control or SP
 * (path), or DEL. Names and the method go through the TOKEN table one unit at a time.
 */
#if defined(__SSE2__)
static int vector_steps(const char16_t *units, uint8_t *out, int n, int kind, unsigned *refused) {
  const __m128i zero = _mm_setzero_si128();
  /* Controls are the bytes up to max_control; HTAB is allowed back in for values. */
  const __m128i max_control = _mm_set1_epi8(kind == TABLE_TARGET ? 0x20 : 0x1f);
  const __m128i htab = _mm_set1_epi8(kind == TABLE_TARGET ? 0x7f : 0x09);
  const __m128i del = _mm_set1_epi8(0x7f);
  __m128i bad = zero;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i v = _mm_loadu_si128((const __m128i *)(units + i));
    __m128i high = _mm_srli_epi16(v, 8);
    __m128i bytes = _mm_packus_epi16(v, v);
    __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, max_control), bytes);
    __m128i refused_here = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(bytes, htab), control), _mm_cmpeq_epi8(bytes, del));
    bad = _mm_or_si128(bad, _mm_or_si128(refused_here, _mm_packus_epi16(high, high)));
    _mm_storel_epi64((__m128i *)(out + i), bytes);
  }
  *refused |= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(bad, zero)) != 0xffffu;
  return i;
}
#endif

static uint8_t *copy_checked(const char16_t *units, uint8_t *out, const uint8_t *end, int n, int kind) {
  if (n < 0 || end - out < n) return NULL;
  /* Without branches: any bit set in `refused` refuses the string (c >> 8: above U+00FF). */
  unsigned refused = 0;
  int i = 0;
  if (kind == TABLE_TOKEN) {
    for (; i < n; i++) {
      unsigned c = units[i];
      refused |= (c >> 8) | (TOKEN[c & 0xff] ^ 1u);
      out[i] = (uint8_t)c;
    }
    return refused ? NULL : out + n;
  }
#if defined(__SSE2__)
  i = vector_steps(units, out, n, kind, &refused);
#endif
  for (; i < n; i++) {
    unsigned c = units[i];
    refused |= (c >> 8) | (kind == TABLE_TARGET ? (c <= 0x20) | (c == 0x7f) /* chars.ts's REQUEST_TARGET */ : (FIELD_VALUE[c & 0xff] ^ 1u));
    out[i] = (uint8_t)c;
  }
  return refused ? NULL : out + n;
}

static uint8_t *literal(uint8_t *out, const uint8_t *end, const char *text, int n) {
  if (out == NULL || end - out < n) return NULL;
  for (int i = 0; i < n; i++) out[i] = (uint8_t)text[i];
  return out + n;
}
#define LITERAL(out, end, text) literal(out, end, text, (int)sizeof(text) - 1)

/* Where the codes are in io, and the coded names (request-writer.ts, nameCode: the same order); the methods are method_codes.h's. */
#define IO_METHOD_CODE 4
#define IO_NAME_CODES IO_MIN /* the first number after io's header (NATIVE_IO_HEAD in native-buffers.ts) */
static const coded_text NAME_TEXT[] = {
  { NULL, 0 }, CODED_TEXT("host"), CODED_TEXT("x-request-id"), CODED_TEXT("x-forwarded-for"), CODED_TEXT("x-forwarded-proto"), CODED_TEXT("x-forwarded-host"),
};

/* The text `code` names in `table` (1..count-1) copied into out: the next position, NULL when
 * out of room or the code is unknown. The texts are tokens: nothing to check. */
static uint8_t *coded(uint8_t *out, const uint8_t *end, const coded_text *table, int32_t count, int32_t code) {
  if (out == NULL || code < 1 || code >= count || end - out < table[code].length) return NULL;
  memcpy(out, table[code].text, (size_t)table[code].length);
  return out + table[code].length;
}

/* units[0, n) is `lower` in any ASCII case (only A-Z fold, as isNamed in request-writer.ts). */
static int named(const char16_t *units, int n, const char *lower, int length) {
  if (n != length) return 0;
  for (int i = 0; i < n; i++) {
    char16_t c = units[i];
    if ((c >= 'A' && c <= 'Z' ? c + 0x20 : c) != (unsigned char)lower[i]) return 0;
  }
  return 1;
}
#define NAMED(n, lower) named(units, n, lower, (int)sizeof(lower) - 1)

/* What a name means to this leg. */
enum { NAME_PLAIN, NAME_CONTENT_LENGTH, NAME_OWNED };
static int name_kind(const char16_t *units, int n) {
  /* Length first, as the JavaScript writer does: only these lengths can be names this leg owns. */
  if (n == 14) return NAMED(n, "content-length") ? NAME_CONTENT_LENGTH : NAME_PLAIN;
  if (n == 10) return NAMED(n, "connection") || NAMED(n, "keep-alive") ? NAME_OWNED : NAME_PLAIN;
  if (n == 17) return NAMED(n, "transfer-encoding") ? NAME_OWNED : NAME_PLAIN;
  if (n == 7) return NAMED(n, "upgrade") ? NAME_OWNED : NAME_PLAIN;
  return NAME_PLAIN;
}

/* units[0, n) as 1-9 decimal digits, or -1 (longer ones, which the JavaScript writer takes, too). */
static int32_t small_decimal(const char16_t *units, int n) {
  if (n < 1 || n > 9) return -1;
  int32_t value = 0;
  for (int i = 0; i < n; i++) {
    char16_t c = units[i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (int32_t)(c - '0');
  }
  return value;
}

static uint8_t *write_fields(napi_env env, napi_value *argv, int strings, const int32_t *io, uint8_t *out, const uint8_t *end, int32_t *declared) {
  char16_t *units = units_of_thread();
  if (io[IO_METHOD_CODE] != 0) {
    out = coded(out, end, METHODS, METHOD_COUNT, io[IO_METHOD_CODE]);
  } else {
    int method = read_units(env, units, argv[0]);
    if (method <= 0) return NULL;
    out = copy_checked(units, out, end, method, TABLE_TOKEN);
  }
  out = LITERAL(out, end, " ");
  if (out == NULL) return NULL;
  out = copy_checked(units, out, end, read_units(env, units, argv[1]), TABLE_TARGET);
  out = LITERAL(out, end, " HTTP/1.1\r\n");
  for (int i = 0; i < strings && out != NULL; i += 2) {
    const int32_t code = io[IO_NAME_CODES + i / 2];
    uint8_t *line = out;
    int kind = NAME_PLAIN; /* every coded name is a plain one */
    if (code != 0) {
      out = coded(out, end, NAME_TEXT, CODE_COUNT(NAME_TEXT), code);
    } else {
      int n = read_units(env, units, argv[2 + i]);
      if (n <= 0) return NULL;
      kind = name_kind(units, n);
      if (kind == NAME_OWNED) continue;
      out = copy_checked(units, out, end, n, TABLE_TOKEN);
    }
    out = LITERAL(out, end, ": ");
    if (out == NULL) return NULL;
    int v = read_units(env, units, argv[3 + i]);
    if (kind == NAME_CONTENT_LENGTH) {
      int32_t length = small_decimal(units, v);
      if (length < 0 || (*declared >= 0 && *declared != length)) return NULL;
      if (*declared >= 0) { out = line; continue; }
      *declared = length;
    }
    out = copy_checked(units, out, end, v, TABLE_VALUE);
    out = LITERAL(out, end, "\r\n");
  }
  return out;
}

napi_value write_request_fields(napi_env env, napi_callback_info info) {
  int32_t next = -1;
  size_t length = 0;
  const registry *r = registered();
  int32_t *io = r->io;
  uint8_t *buf = io_buffer(r, IO_NAME_CODES + MAX_STRINGS / 2, &length);
  if (buf != NULL) {
    int32_t pos = io[1], strings = io[2];
    size_t argc = 2 + MAX_STRINGS;
    napi_value argv[2 + MAX_STRINGS];
    if (pos >= 0 && (size_t)pos <= length && strings >= 0 && strings <= MAX_STRINGS && strings % 2 == 0
        && napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == (size_t)(2 + strings)) {
      int32_t declared = -1;
      uint8_t *out = write_fields(env, argv, strings, io, buf + pos, buf + length, &declared);
      if (out != NULL) {
        next = (int32_t)(out - buf);
        io[3] = declared;
      }
    }
  }
  napi_value result;
  napi_create_int32(env, next, &result);
  return result;
}
