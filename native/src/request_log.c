/*
 * requestLogFields(fields) -> undefined
 *   Gives this thread's instance of the addon the Float64Array that writeRequestLog reads its
 *   numbers from (held by a reference: it stays alive and, off V8's heap, never moves). Looking
 *   a typed array's memory up on every call cost ~450 instructions, a fifth of the call.
 *
 * requestLogTarget(out) -> undefined
 *   The Buffer the next lines go into (held by a reference), for the same reason: the caller
 *   registers its batch buffer when it starts one, not on every line. The caller must register
 *   again before writing into any other buffer, and never write after the buffer was transferred
 *   to another thread (request-log.ts: a batch's buffer is replaced before it leaves).
 *
 * writeRequestLog(operation, requestId, path, clientIp
 *                 [, query, method, productId, subscriptionId, cache, errorCode]) -> next position, or -1
 *
 *   Writes one request-log line (src/gateway/telemetry/request-log.ts: the same fields, in the
 *   same order, byte for byte) into the registered buffer at fields[7]. The fields array holds:
 *   [0] the request's start as epoch milliseconds, [1] status, [2] backend status (0: null),
 *   [3] total ms, [4] backend ms (NaN: null), [5] request bytes, [6] response bytes, [7] the
 *   position, [8] the method's code (METHODS of method_codes.h; 0: the `method` argument names it).
 *   `operation` holds the line's `,"apiId":…,"operationId":…` bytes, encoded once by the caller.
 *   With four arguments (most lines: a string copied out of V8 costs ~100 instructions, even
 *   empty) the query is empty, the method is a code and product, subscription, cache and error
 *   code are null; with ten, every one is given. Every string argument is a string: requestId,
 *   productId, subscriptionId, cache and errorCode write null for "" (the caller passes "" for
 *   null: asking a value's type costs ~65 instructions), and the url has no `?` when query is "".
 *
 *   Returns -1, having written only scratch bytes past the position, whenever the line is not the
 *   plain case: a string with anything but printable ASCII other than `"` and `\` (it would need
 *   escapes or UTF-8), a number that is not a non-negative safe integer where one is written, a
 *   duration of 12 days or more, a time before 1970 or after 9999, or too little room. The caller then writes the line in JavaScript,
 *   which handles every case; this function only has to be exact where it answers.
 *
 *   Why native: the same line written by JavaScript took ~9,500 instructions (a typed-array store
 *   checks its bounds, and the line is two dozen small writes); this call takes ~4,000, about
 *   half of them N-API and V8 copying the strings out (callgrind, in a loop and in the gateway:
 *   request logs 15,200 -> 5,600 instructions a proxied request, `npm run bench:instructions`).
 */
#include "addon.h"
#include "method_codes.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define ARGS 10
/* Without the last six (query, method, product, subscription, cache, error code): as on most lines. */
#define COMMON_ARGS 4
#define FIELDS 9
#define F_POSITION 7
#define F_METHOD 8

/* A line's method by code (fields[8]): METHODS of method_codes.h. */
#define MAX_SAFE 9007199254740991.0

/* The line's start up to the time's seconds and dot, for the last second seen (per thread). */
static __thread int64_t prefix_second = INT64_MIN;
static __thread char prefix[64];
static __thread size_t prefix_len;

typedef struct {
  uint8_t *p;
  uint8_t *end;
  int ok;
} writer;

static void lit(writer *w, const char *s, size_t n) {
  if (!w->ok || (size_t)(w->end - w->p) < n) { w->ok = 0; return; }
  memcpy(w->p, s, n);
  w->p += n;
}
#define LIT(w, s) lit((w), (s), sizeof(s) - 1)

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* Any byte of x zero / below n (n <= 128) / above n (n <= 127): exact as yes-no answers. */
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)
#define HAS_BELOW(x, n) (((x) - ONES * (n)) & ~(x) & HIGHS)
#define HAS_ABOVE(x, n) ((((x) + ONES * (127 - (n))) | (x)) & HIGHS)

static int plain_byte(uint8_t c) { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'; }

static int plain_word(const uint8_t *s) {
  uint64_t x;
  memcpy(&x, s, 8);
  return !(HAS_BELOW(x, 0x20) | HAS_ABOVE(x, 0x7e) | HAS_ZERO(x ^ (ONES * '"')) | HAS_ZERO(x ^ (ONES * '\\')));
}

/* Printable ASCII a JSON string holds as itself: not `"`, not `\`. Eight bytes a step, the last step overlapping. */
static int plain(const uint8_t *s, size_t n) {
  if (n < 8) {
    for (size_t i = 0; i < n; i++) if (!plain_byte(s[i])) return 0;
    return 1;
  }
  for (size_t i = 0; i + 8 < n; i += 8) if (!plain_word(s + i)) return 0;
  return plain_word(s + n - 8);
}

/*
 * The string's UTF-8 bytes, unquoted, copied by V8 straight to p (room bytes free): their count,
 * or -1 unless plain. A character above U+007F becomes bytes above 0x7F, which plain() refuses,
 * so such a line goes to JavaScript. (Latin1 would copy ~45 instructions a string cheaper, but
 * V8 keeps only the low byte of a character above U+00FF: a wrong character, silently.)
 */
static ptrdiff_t copy_plain(napi_env env, uint8_t *p, size_t room, napi_value v) {
  size_t got = 0;
  if (room < 2) return -1;
  /* V8 writes at most room - 1 bytes and a NUL: a string that fills them may have been cut. */
  if (napi_get_value_string_utf8(env, v, (char *)p, room, &got) != napi_ok || got >= room - 1 || !plain(p, got)) return -1;
  return (ptrdiff_t)got;
}

static void bare(napi_env env, writer *w, napi_value v) {
  if (!w->ok) return;
  ptrdiff_t n = copy_plain(env, w->p, (size_t)(w->end - w->p), v);
  if (n < 0) { w->ok = 0; return; }
  w->p += n;
}

/* A JSON string literal of v ("" allowed). */
static void string(napi_env env, writer *w, napi_value v) {
  LIT(w, "\"");
  bare(env, w, v);
  LIT(w, "\"");
}

/* A JSON string, or null for "". */
static void string_or_null(napi_env env, writer *w, napi_value v) {
  if (!w->ok) return;
  ptrdiff_t n = w->end - w->p < 8 ? -1 : copy_plain(env, w->p + 1, (size_t)(w->end - w->p) - 2, v);
  if (n < 0) { w->ok = 0; return; }
  if (n == 0) { LIT(w, "null"); return; }
  w->p[0] = '"';
  w->p[n + 1] = '"';
  w->p += n + 2;
}

/* Digits of v, written backwards from end; the first digit's position. */
static char *digits_of(uint64_t v, char *end) {
  do { *--end = (char)('0' + v % 10); v /= 10; } while (v > 0);
  return end;
}

static void uint_dec(writer *w, double n) {
  if (!w->ok) return;
  /* A non-negative safe integer, as JavaScript's uint() writes one; anything else goes to it. */
  if (!(n >= 0) || n > MAX_SAFE || (double)(uint64_t)n != n) { w->ok = 0; return; }
  char digits[20];
  char *first = digits_of((uint64_t)n, digits + sizeof digits);
  lit(w, first, (size_t)(digits + sizeof digits - first));
}

/*
 * Math.round as V8 computes it for 0 < x < 2^52 (the nearest integer, halves up): ceil, then one
 * less when that is more than half away. ceil by truncation, since libm's is a call here.
 */
static double js_round(double x) {
  double r = (double)(int64_t)x;
  if (r < x) r += 1.0;
  return r - 0.5 > x ? r - 1.0 : r;
}

/* Up to ~12 days in thousandths: integer division then gives what JavaScript's float division and floor give. */
#define MAX_THOUSANDTHS 1099511627776.0

/* Milliseconds to 3 decimals, trailing zeros dropped (json-line-buffer.ts: millis). */
static void millis(writer *w, double ms) {
  double scaled = ms * 1000;
  if (!(scaled < MAX_THOUSANDTHS)) { w->ok = 0; return; }
  double thousandths = ms > 0 ? js_round(scaled) : 0;
  uint64_t t = (uint64_t)thousandths;
  int64_t frac = (int64_t)(t % 1000);
  char digits[20];
  char *first = digits_of(t / 1000, digits + sizeof digits);
  lit(w, first, (size_t)(digits + sizeof digits - first));
  if (!w->ok || frac == 0) return;
  char d[4];
  int k = 0;
  d[k++] = '.';
  d[k++] = (char)('0' + frac / 100);
  frac %= 100;
  if (frac > 0) {
    d[k++] = (char)('0' + frac / 10);
    frac %= 10;
    if (frac > 0) d[k++] = (char)('0' + frac);
  }
  lit(w, d, (size_t)k);
}

/* `{"type":"request","time":"YYYY-MM-DDTHH:MM:SS.mmmZ"`: the prefix is formatted once a second. */
static void iso_time(writer *w, double epoch_ms) {
  if (!(epoch_ms >= 0) || epoch_ms > 253402300799999.0) { w->ok = 0; return; } /* years 1970-9999 */
  int64_t ms = (int64_t)epoch_ms; /* not negative: truncation is floor */
  int64_t second = ms / 1000;
  if (second != prefix_second) {
    time_t t = (time_t)second;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) { w->ok = 0; return; }
    size_t n = strftime(prefix, sizeof prefix, "{\"type\":\"request\",\"time\":\"%Y-%m-%dT%H:%M:%S.", &tm);
    if (n == 0) { w->ok = 0; return; }
    prefix_len = n;
    prefix_second = second;
  }
  lit(w, prefix, prefix_len);
  int frac = (int)(ms - second * 1000);
  char d[3] = { (char)('0' + frac / 100), (char)('0' + frac / 10 % 10), (char)('0' + frac % 10) };
  lit(w, d, 3);
}

/* This env's (thread's) fields array and target buffer. */
typedef struct {
  napi_ref ref;
  const double *fields;
  napi_ref out_ref;
  uint8_t *out;
  size_t out_len;
} log_state;

static void free_state(napi_env env, void *data, void *hint) {
  (void)hint;
  log_state *state = data;
  if (state->ref != NULL) napi_delete_reference(env, state->ref);
  if (state->out_ref != NULL) napi_delete_reference(env, state->out_ref);
  free(state);
}

/* This env's state, made on first use; NULL (an error thrown) when it cannot be. */
static log_state *state_of(napi_env env, const char *who) {
  log_state *state = NULL;
  napi_get_instance_data(env, (void **)&state);
  if (state != NULL) return state;
  state = calloc(1, sizeof *state);
  if (state == NULL || napi_set_instance_data(env, state, free_state, NULL) != napi_ok) {
    free(state);
    napi_throw_error(env, NULL, who);
    return NULL;
  }
  return state;
}

/* Replaces *ref with a strong reference to v (what the state points into stays alive); 0, an error thrown, when it cannot. */
static int hold(napi_env env, napi_ref *ref, napi_value v, const char *who) {
  if (*ref != NULL) napi_delete_reference(env, *ref);
  *ref = NULL;
  if (napi_create_reference(env, v, 1, ref) == napi_ok) return 1;
  napi_throw_error(env, NULL, who);
  return 0;
}

napi_value request_log_fields(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_typedarray_type type;
  size_t count = 0;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1
      || napi_get_typedarray_info(env, argv[0], &type, &count, &data, NULL, NULL) != napi_ok
      || type != napi_float64_array || count < FIELDS) {
    napi_throw_type_error(env, NULL, "requestLogFields(fields): a Float64Array of at least 9 numbers");
    return NULL;
  }
  log_state *state = state_of(env, "requestLogFields: out of memory");
  if (state == NULL) return NULL;
  state->fields = NULL;
  if (!hold(env, &state->ref, argv[0], "requestLogFields: no reference")) return NULL;
  state->fields = data;
  return NULL;
}

napi_value request_log_target(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint8_t *out = NULL;
  size_t out_len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1
      || napi_get_buffer_info(env, argv[0], (void **)&out, &out_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "requestLogTarget(out): a Buffer");
    return NULL;
  }
  log_state *state = state_of(env, "requestLogTarget: out of memory");
  if (state == NULL) return NULL;
  state->out = NULL;
  state->out_len = 0;
  if (!hold(env, &state->out_ref, argv[0], "requestLogTarget: no reference")) return NULL;
  state->out = out;
  state->out_len = out_len;
  return NULL;
}

static napi_value position(napi_env env, int64_t p) {
  napi_value r;
  napi_create_int64(env, p, &r);
  return r;
}

napi_value write_request_log(napi_env env, napi_callback_info info) {
  size_t argc = ARGS;
  napi_value argv[ARGS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || (argc != COMMON_ARGS && argc != ARGS)) {
    napi_throw_type_error(env, NULL, "writeRequestLog: four or ten arguments");
    return NULL;
  }
  log_state *state = NULL;
  uint8_t *op = NULL;
  size_t op_len = 0;
  if (napi_get_buffer_info(env, argv[0], (void **)&op, &op_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "writeRequestLog(operation, ...strings): operation must be a Buffer");
    return NULL;
  }
  if (napi_get_instance_data(env, (void **)&state) != napi_ok || state == NULL || state->fields == NULL || state->out == NULL) {
    napi_throw_error(env, NULL, "writeRequestLog: call requestLogFields and requestLogTarget first");
    return NULL;
  }
  const double *f = state->fields;
  double at = f[F_POSITION];
  double code = f[F_METHOD];
  int rare = argc == ARGS;
  if (!(at >= 0) || at > (double)state->out_len || (double)(size_t)at != at
      || !(code >= 0) || code >= (double)METHOD_COUNT || (double)(int)code != code || (code == 0 && !rare)) {
    napi_throw_range_error(env, NULL, "writeRequestLog: fields[7] must be a position in the target, fields[8] a method code (0 only with ten arguments)");
    return NULL;
  }
  uint8_t *out = state->out;
  int method = (int)code;
  writer w = { out + (size_t)at, out + state->out_len, 1 };

  iso_time(&w, f[0]);
  LIT(&w, "Z\",\"correlationId\":");
  string_or_null(env, &w, argv[1]);
  LIT(&w, ",\"method\":\"");
  if (method != 0) lit(&w, METHODS[method].text, (size_t)METHODS[method].length); else bare(env, &w, argv[5]);
  /* The url: the path, and `?query` when the query is not empty ("?" goes in, and out again). */
  LIT(&w, "\",\"url\":\"");
  bare(env, &w, argv[2]);
  if (rare) {
    uint8_t *mark = w.p;
    LIT(&w, "?");
    bare(env, &w, argv[4]);
    if (w.ok && w.p == mark + 1) w.p = mark;
  }
  LIT(&w, "\",\"status\":");
  uint_dec(&w, f[1]);
  LIT(&w, ",\"backendStatus\":");
  if (f[2] == 0) LIT(&w, "null"); else uint_dec(&w, f[2]);
  LIT(&w, ",\"totalMs\":");
  millis(&w, f[3]);
  LIT(&w, ",\"backendMs\":");
  if (isnan(f[4])) LIT(&w, "null"); else millis(&w, f[4]);
  LIT(&w, ",\"requestBytes\":");
  uint_dec(&w, f[5]);
  LIT(&w, ",\"responseBytes\":");
  uint_dec(&w, f[6]);
  lit(&w, (const char *)op, op_len);
  if (rare) {
    LIT(&w, ",\"productId\":");
    string_or_null(env, &w, argv[6]);
    LIT(&w, ",\"subscriptionId\":");
    string_or_null(env, &w, argv[7]);
    LIT(&w, ",\"clientIp\":");
  } else {
    LIT(&w, ",\"productId\":null,\"subscriptionId\":null,\"clientIp\":");
  }
  string(env, &w, argv[3]);
  if (rare) {
    LIT(&w, ",\"cache\":");
    string_or_null(env, &w, argv[8]);
    LIT(&w, ",\"errorCode\":");
    string_or_null(env, &w, argv[9]);
    LIT(&w, "}\n");
  } else {
    LIT(&w, ",\"cache\":null,\"errorCode\":null}\n");
  }
  return position(env, w.ok ? (int64_t)(w.p - out) : -1);
}
