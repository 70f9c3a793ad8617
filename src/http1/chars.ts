/**
 * Byte classes of RFC 9110/9112, as 256-entry tables: one indexed load per byte on the hot path,
 * no regex, no string. Shared by the request and response parsers of both HTTP/1.1 legs.
 */

/*
 * Reading a string's characters on the hot path: each module that does declares its own
 * `const charCodeAt = String.prototype.charCodeAt` and calls `charCodeAt.call(s, i)`.
 * - Not `s.charCodeAt(i)`: strings reach these loops in several representations (sequential,
 *   sliced, cons, internalized), and the method load `s.charCodeAt` was compiled as a generic
 *   LoadIC call once per iteration (seen with --print-opt-code in the response parser, the router
 *   and the log writer).
 * - Not a function exported from here: TurboFan does not fold an imported binding, so
 *   `imported.call(s, i)` stays a generic call of the builtin (~4 ns a character more; in perf,
 *   `Builtins_StringPrototypeCharCodeAt` under the header collector, the request serializer, the
 *   response head reader and the log writer). A module's own const is folded, and the call is
 *   inlined as a plain character load: 3x faster over short header-sized strings.
 * - The same holds for the tables and byte constants below: a module with byte loops takes them
 *   as its own consts (`import * as chars` and `const { CR, TOKEN } = chars;`), so the loops see
 *   constants instead of loading and checking an imported binding at every byte. Counted with
 *   callgrind (bench/instructions.ts) over a proxied GET: 82,000-83,000 -> 79,200 instructions a
 *   request; scanFields alone 6,590 -> 5,190.
 */
const charCodeAt = String.prototype.charCodeAt;

function table(pred: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = pred(c) ? 1 : 0;
  return t;
}

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** tchar (RFC 9110 §5.6.2): header names, methods, chunk-extension names, transfer codings. */
export const TOKEN = table((c) => isAlnum(c) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)));

/** A non-empty string of tchar (checked per UTF-16 unit: anything above 0xFF is not one). */
export function isTokenString(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = charCodeAt.call(s, i);
    if (c > 0xff || TOKEN[c] !== 1) return false;
  }
  return true;
}

/**
 * field-content bytes (RFC 9110 §5.5): VCHAR, SP, HTAB and obs-text. CR, LF, NUL and the other
 * controls are never allowed in a value. obs-text is accepted in values (RFC 9110 keeps it
 * valid for recipients) and forwarded byte for byte; it is never decoded.
 */
export const FIELD_VALUE = table((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f));

/**
 * Bytes the request writer lets into the request line towards a backend: a field value's, less
 * SP and HTAB (they would end it). Looser than request-target.ts's TARGET, which checks what a
 * client sends (ASCII, no `#`): the path forwarded may also come from policies (rewrite-uri), and
 * this guards only what could split the line, as the writer always has.
 */
export const REQUEST_TARGET = table((c) => c > 0x20 && c !== 0x7f);

/** HEXDIG, mapped to its value + 1 (0 means "not a hex digit"). */
export const HEX_VALUE = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    if (c >= 0x30 && c <= 0x39) t[c] = c - 0x30 + 1;
    else if (c >= 0x41 && c <= 0x46) t[c] = c - 0x41 + 11;
    else if (c >= 0x61 && c <= 0x66) t[c] = c - 0x61 + 11;
  }
  return t;
})();

/** qdtext and quoted-pair targets (RFC 9110 §5.6.4), for chunk-extension values. */
export const QDTEXT = table((c) => c === 0x09 || c === 0x20 || c === 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || c >= 0x80);

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
export const SEMICOLON = 0x3b;
export const EQUALS = 0x3d;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
