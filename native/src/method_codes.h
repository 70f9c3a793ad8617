/*
 * Texts the addon takes as small codes instead of strings (a string copied out of V8 costs
 * ~175 instructions): the methods most requests carry, in src/gateway/native-methods.ts
 * COMMON_METHODS' order from 1 (request_log.c writes a line's method from it, request_fields.c a
 * request line's). 0 is no code: the caller passes the string.
 */
#ifndef OUTPOST_NATIVE_METHOD_CODES_H
#define OUTPOST_NATIVE_METHOD_CODES_H
#include <stdint.h>

typedef struct { const char *text; int length; } coded_text;
#define CODED_TEXT(t) { t, (int)sizeof(t) - 1 }
/* How many entries `table` has, the empty one at 0 included. */
#define CODE_COUNT(table) ((int32_t)(sizeof(table) / sizeof(table[0])))

static const coded_text METHODS[] = {
  { NULL, 0 }, CODED_TEXT("GET"), CODED_TEXT("POST"), CODED_TEXT("PUT"), CODED_TEXT("DELETE"), CODED_TEXT("PATCH"), CODED_TEXT("HEAD"), CODED_TEXT("OPTIONS"),
};
#define METHOD_COUNT CODE_COUNT(METHODS)
#endif
