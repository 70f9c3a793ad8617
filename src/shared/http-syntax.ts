/**
 * What may be written into an HTTP/1.1 head, per RFC 9110 / 9112. The one place these rules
 * live: policies check header names, values and reason phrases with these at compile time, and
 * the few values only known per request are checked with them where they are written. A CR or LF
 * that reached a head would end it early and let the rest be read as a second response
 * (response splitting); a NUL or other control byte is refused by strict parsers downstream.
 *
 * - token (a header name, a method, an auth scheme): 1*tchar (§5.6.2).
 * - field-value (§5.5): field-vchar (VCHAR / obs-text) with SP and HTAB between them, so no
 *   control byte but HTAB, no DEL, and no leading or trailing SP/HTAB (a recipient strips those,
 *   so they would not arrive as written). Characters above U+00FF have no single byte on the wire.
 * - reason-phrase (RFC 9112 §4): *( HTAB / SP / VCHAR / obs-text ): any of those anywhere.
 *
 * The *Problem functions say what is wrong without quoting the value: a value may hold a secret
 * named value, and error messages must never carry one.
 */
import { isTokenString } from '../http1/chars.js';

/** A byte outside HTAB / SP / VCHAR / obs-text (a control byte, DEL) or a character above U+00FF. */
const NOT_FIELD_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/** One definition of tchar for the whole project: src/http1/chars.ts (the parsers' byte table). */
export const isToken = isTokenString;

/** A header value that may be written as is (the per-request check: one regex test, no allocation). */
export function isFieldValue(s: string): boolean {
  if (s === '') return true;
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  return first !== 0x20 && first !== 0x09 && last !== 0x20 && last !== 0x09 && !NOT_FIELD_CHAR.test(s);
}

export function isReasonPhrase(s: string): boolean {
  return !NOT_FIELD_CHAR.test(s);
}

/** Why `s` is not a header name, or null when it is one. */
export function headerNameProblem(s: string): string | null {
  if (s === '') return 'is empty (a header name needs at least one character)';
  const bad = firstBad(s, isTokenString);
  return bad === null ? null : `is not a valid header name: ${bad} (header names are RFC 9110 tokens)`;
}

/** Why `s` is not a header value, or null when it is one. */
export function headerValueProblem(s: string): string | null {
  const bad = firstBad(s, (c) => !NOT_FIELD_CHAR.test(c));
  if (bad !== null) return `is not a valid header value: ${bad}`;
  if (!isFieldValue(s)) return 'is not a valid header value: it starts or ends with a space or tab (RFC 9110 field values do not)';
  return null;
}

/** Why `s` is not a status reason phrase, or null when it is one. */
export function reasonPhraseProblem(s: string): string | null {
  const bad = firstBad(s, (c) => !NOT_FIELD_CHAR.test(c));
  return bad === null ? null : `is not a valid reason phrase: ${bad}`;
}

/** Describes the first character `ok` refuses (by code and position, never the value itself). */
function firstBad(s: string, ok: (c: string) => boolean): string | null {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (ok(c)) continue;
    const code = s.charCodeAt(i);
    const name = code === 0x0d ? 'CR' : code === 0x0a ? 'LF' : code === 0 ? 'NUL' : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    return `character ${i + 1} is ${name}`;
  }
  return null;
}
