/*
 * jsonConfigParts(bytes) -> Int32Array | null
 *   Where a JSON config file's `apis` array and each of its elements are, in the file's bytes, so
 *   that the compiler thread can parse and validate the APIs a batch at a time (json-parts.ts)
 *   instead of building the whole document's object graph first: at 50,000 APIs that graph is
 *   ~120 MB that all survives the parse, and the collector copied it twice.
 *
 *   Result: [open, close, start0, end0, start1, end1, ...]: `open` is the offset of the array's
 *   `[`, `close` the offset just past its `]`, then each element's first byte and the offset just
 *   past its last. The caller parses the document with `[]` in place of the array, and the
 *   elements (JSON.parse checks every byte inside each piece; this scan checks the structure
 *   around and between them: braces, brackets, colons and commas).
 *
 *   null (the caller then parses the whole text as before, whose answer and problems are the
 *   reference) for anything this scan does not vouch for: a document that is not one object, no
 *   top-level `apis` array, a duplicate key in any object (JSON.parse keeps the last one; the
 *   YAML parser, whose result JSON.parse stands in for, refuses the document), a `__proto__` key,
 *   a key with an escape or a byte above 0x7F (raw bytes would compare unequal where the decoded
 *   keys are equal), more than MAX_KEYS keys in one object, nesting deeper than MAX_DEPTH or more
 *   than MAX_APIS elements (the scan's work, stack and result stay bounded whatever the file), or
 *   a file over 2 GiB.
 */
#include "addon.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 48
#define MAX_KEYS 64
/* More elements than this (20 times the bench's largest config) are declined: the offsets take
   8 bytes an element, and an element can be two bytes of text ("1,"). */
#define MAX_APIS 1000000

typedef struct {
  const uint8_t *b;
  size_t n;
  size_t i;
} cursor;

/* Offsets found so far: the result, grown by doubling. */
typedef struct {
  int32_t *at;
  size_t len, cap;
} offsets;

static int push(offsets *o, size_t value) {
  if (o->len == o->cap) {
    size_t cap = o->cap == 0 ? 1024 : o->cap * 2;
    int32_t *grown = realloc(o->at, cap * sizeof(int32_t));
    if (grown == NULL) return -1;
    o->at = grown;
    o->cap = cap;
  }
  o->at[o->len++] = (int32_t)value;
  return 0;
}

static inline int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static inline void skip_ws(cursor *c) {
  while (c->i < c->n && is_ws(c->b[c->i])) c->i++;
}

static inline int at(const cursor *c, uint8_t want) { return c->i < c->n && c->b[c->i] == want; }

/* From a string's opening quote to just past its closing one; -1 if it never closes. */
static int scan_string(cursor *c, int *escaped) {
  size_t i = c->i + 1;
  while (i < c->n) {
    uint8_t ch = c->b[i];
    if (ch == '"') { c->i = i + 1; return 0; }
    if (ch == '\\') { *escaped = 1; i += 2; continue; }
    i++;
  }
  return -1;
}

typedef struct { uint32_t start, len; } key_slice;

/* A key from its opening quote, checked against the object's earlier keys; -1 to decline. */
static int scan_key(cursor *c, key_slice *keys, int *count) {
  if (!at(c, '"') || *count == MAX_KEYS) return -1;
  size_t start = c->i + 1;
  int escaped = 0;
  if (scan_string(c, &escaped) < 0 || escaped) return -1;
  size_t len = c->i - 1 - start;
  const uint8_t *key = c->b + start;
  for (size_t k = 0; k < len; k++) if (key[k] >= 0x80) return -1;
  if (len == 9 && memcmp(key, "__proto__", 9) == 0) return -1;
  for (int k = 0; k < *count; k++) {
    if (keys[k].len == len && memcmp(c->b + keys[k].start, key, len) == 0) return -1;
  }
  keys[(*count)++] = (key_slice){(uint32_t)start, (uint32_t)len};
  skip_ws(c);
  if (!at(c, ':')) return -1;
  c->i++;
  skip_ws(c);
  return 0;
}

static int scan_value(cursor *c, int depth);

/* After a member or element: `,` (another follows) → 1, the closing byte → 0, anything else → -1. */
static int after_item(cursor *c, uint8_t close) {
  skip_ws(c);
  if (at(c, ',')) { c->i++; skip_ws(c); return 1; }
  if (at(c, close)) { c->i++; return 0; }
  return -1;
}

static int scan_object(cursor *c, int depth) {
  key_slice keys[MAX_KEYS];
  int count = 0;
  c->i++;
  skip_ws(c);
  if (at(c, '}')) { c->i++; return 0; }
  for (;;) {
    if (scan_key(c, keys, &count) < 0 || scan_value(c, depth + 1) < 0) return -1;
    int more = after_item(c, '}');
    if (more <= 0) return more;
  }
}

static int scan_array(cursor *c, int depth) {
  c->i++;
  skip_ws(c);
  if (at(c, ']')) { c->i++; return 0; }
  for (;;) {
    if (scan_value(c, depth + 1) < 0) return -1;
    int more = after_item(c, ']');
    if (more <= 0) return more;
  }
}

/* A scalar runs to the next structural byte or whitespace; JSON.parse of its piece checks its spelling. */
static inline int ends_scalar(uint8_t ch) {
  return is_ws(ch) || ch == ',' || ch == ']' || ch == '}' || ch == ':' || ch == '"' || ch == '[' || ch == '{';
}

static int scan_value(cursor *c, int depth) {
  if (depth > MAX_DEPTH || c->i >= c->n) return -1;
  switch (c->b[c->i]) {
    case '{': return scan_object(c, depth);
    case '[': return scan_array(c, depth);
    case '"': { int escaped = 0; return scan_string(c, &escaped); }
    default: {
      size_t start = c->i;
      while (c->i < c->n && !ends_scalar(c->b[c->i])) c->i++;
      return c->i > start ? 0 : -1;
    }
  }
}

/* The `apis` array from its `[`: its bounds and every element's, into `out`. */
static int scan_apis(cursor *c, offsets *out) {
  if (!at(c, '[') || push(out, c->i) < 0) return -1;
  c->i++;
  skip_ws(c);
  if (!at(c, ']')) {
    for (size_t count = 1;; count++) {
      size_t start = c->i;
      if (count > MAX_APIS || scan_value(c, 1) < 0 || push(out, start) < 0 || push(out, c->i) < 0) return -1;
      int more = after_item(c, ']');
      if (more < 0) return -1;
      if (more == 0) break;
    }
  } else {
    c->i++;
  }
  /* The `]` just consumed. Elements were pushed after `open`: move `close` in front of them. */
  int32_t close = (int32_t)c->i;
  if (push(out, 0) < 0) return -1;
  memmove(out->at + 2, out->at + 1, (out->len - 2) * sizeof(int32_t));
  out->at[1] = close;
  return 0;
}

/* The whole document: one object whose `apis` member is an array, nothing after it. */
static int scan_document(cursor *c, offsets *out) {
  key_slice keys[MAX_KEYS];
  int count = 0;
  int apis_seen = 0;
  skip_ws(c);
  if (!at(c, '{')) return -1;
  c->i++;
  skip_ws(c);
  if (at(c, '}')) return -1; /* no apis */
  for (;;) {
    if (scan_key(c, keys, &count) < 0) return -1;
    key_slice key = keys[count - 1];
    if (key.len == 4 && memcmp(c->b + key.start, "apis", 4) == 0) {
      if (scan_apis(c, out) < 0) return -1;
      apis_seen = 1;
    } else if (scan_value(c, 1) < 0) {
      return -1;
    }
    int more = after_item(c, '}');
    if (more < 0) return -1;
    if (more == 0) break;
  }
  skip_ws(c);
  return apis_seen && c->i == c->n ? 0 : -1;
}

napi_value json_config_parts(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  size_t length = 0;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_is_buffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "jsonConfigParts(bytes): bytes must be a Buffer");
    return NULL;
  }
  napi_value result;
  napi_get_null(env, &result);
  if (length > INT32_MAX) return result;
  cursor c = {(const uint8_t *)data, length, 0};
  offsets out = {NULL, 0, 0};
  if (scan_document(&c, &out) == 0) {
    napi_value array_buffer;
    void *bytes = NULL;
    if (napi_create_arraybuffer(env, out.len * sizeof(int32_t), &bytes, &array_buffer) == napi_ok) {
      memcpy(bytes, out.at, out.len * sizeof(int32_t));
      napi_create_typedarray(env, napi_int32_array, out.len, array_buffer, 0, &result);
    }
  }
  free(out.at);
  return result;
}
