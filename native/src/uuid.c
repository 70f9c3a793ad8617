/*
 * newUuid() -> string, or undefined
 *   A random (version 4) UUID in its 36-character form, from the kernel's CSPRNG (getrandom,
 *   4 KiB at a time: 256 UUIDs per call, in a buffer of the calling thread's own). undefined
 *   when the kernel gives no randomness (the caller then makes one in JavaScript from
 *   crypto.randomFillSync).
 *
 *   Why: a request without an X-Request-Id gets a new correlation id. Made in JavaScript (a
 *   formatting loop into a Buffer, then a latin1 string made by a C++ call) that cost ~1,700
 *   instructions; here ~700, most of them V8 making the string (callgrind, in a loop).
 */
#include "addon.h"
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

#define UUIDS_PER_REFILL 256

static __thread uint8_t pool[16 * UUIDS_PER_REFILL];
static __thread int next_uuid = UUIDS_PER_REFILL;
static const char HEX[] = "0123456789abcdef";

/* Fills the pool; 0 when the kernel would not give all of it. */
static int refill(void) {
  size_t got = 0;
  while (got < sizeof pool) {
    ssize_t n = getrandom(pool + got, sizeof pool - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    got += (size_t)n;
  }
  return 1;
}

napi_value new_uuid(napi_env env, napi_callback_info info) {
  (void)info;
  if (next_uuid == UUIDS_PER_REFILL) {
    if (!refill()) return NULL;
    next_uuid = 0;
  }
  const uint8_t *b = pool + 16 * next_uuid++;
  char text[36];
  int p = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[p++] = '-';
    unsigned c = b[i];
    if (i == 6) c = (c & 0x0f) | 0x40;      /* version 4 */
    else if (i == 8) c = (c & 0x3f) | 0x80; /* variant 10 */
    text[p++] = HEX[c >> 4];
    text[p++] = HEX[c & 15];
  }
  napi_value result;
  if (napi_create_string_latin1(env, text, sizeof text, &result) != napi_ok) return NULL;
  return result;
}
