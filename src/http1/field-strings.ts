/**
 * Strings for the parts of a head that repeat from one message to the next: methods, the header
 * names everyone sends, and the values that come back the same (a backend's Content-Type, a
 * client's Accept). A string the table already holds is returned after a byte comparison in
 * JavaScript; any other is cut from the buffer as before.
 *
 * Why: `latin1Slice` is a C++ call (argument checks, a typed-array look-up, a new string) of
 * ~450 instructions, and a request name also went through `toLowerCase`. Counted with callgrind
 * on a proxied GET, the slices were the largest single C++ cost of the request path. A comparison
 * costs a few instructions a byte and allocates nothing; the answer is the same string, by value,
 * as the slice would have made.
 *
 * Values are remembered only for names marked as such, never for credentials (Authorization,
 * Cookie, subscription keys): a remembered value lives until another replaces it.
 */
import type { Buffer } from 'node:buffer';
import { bufferNatives } from '../shared/buffer-natives.js';

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const latin1Slice = bufferNatives.latin1Slice;
const toLowerCase = String.prototype.toLowerCase;

/** Names and values longer than this are not looked up (none listed is; long values rarely repeat). */
const MAX_LOOKUP = 128;

/**
 * A fixed list of strings, found by length and then by bytes. `folded`: the list is lower-case
 * and a match ignores ASCII case (request names, which the gateway lower-cases); otherwise the
 * bytes must be equal (methods; response names, which go out as the backend wrote them).
 *
 * Comparisons are between typed arrays (the entries' bytes are kept in one, a remembered value's
 * bytes beside it): a loop over a string's characters (`charCodeAt`) cost ~4 ns a character
 * here, about what the slice it replaces costs for a 16-byte value.
 */
export class StringTable {
  /** Entry indexes by length: byLength[n] lists the entries n characters long. */
  private readonly byLength: number[][] = [];
  /** Every entry's bytes (lower-case when folded), entry i from offsets[i]. */
  private readonly bytes: Uint8Array;
  private readonly offsets: Int32Array;
  /** Per entry: its values are remembered. */
  private readonly remembered: boolean[];
  /** The last value seen for each remembered entry ('' when none yet), its bytes from index * MAX_LOOKUP. */
  private readonly lastValues: string[];
  private readonly lastValueBytes: Uint8Array;

  /** `remember`: the entries whose values are worth remembering (repeat often, are not secrets). */
  constructor(readonly entries: readonly string[], private readonly folded: boolean, remember: readonly string[] = []) {
    for (let i = 0; i <= MAX_LOOKUP; i++) this.byLength.push([]);
    this.offsets = new Int32Array(entries.length);
    let total = 0;
    entries.forEach((s, i) => {
      if (!/^[\x21-\x7e]+$/.test(s) || s.length > MAX_LOOKUP) throw new Error(`StringTable: "${s}" must be 1-${MAX_LOOKUP} visible ASCII characters`);
      if (folded && s !== s.toLowerCase()) throw new Error(`StringTable: "${s}" must be lower-case`);
      this.byLength[s.length].push(i);
      this.offsets[i] = total;
      total += s.length;
    });
    this.bytes = new Uint8Array(total);
    entries.forEach((s, i) => { for (let c = 0; c < s.length; c++) this.bytes[this.offsets[i] + c] = s.charCodeAt(c); });
    for (const r of remember) if (!entries.includes(r)) throw new Error(`StringTable: "${r}" is remembered but not listed`);
    this.remembered = entries.map((s) => remember.includes(s));
    this.lastValues = entries.map(() => '');
    this.lastValueBytes = new Uint8Array(entries.length * MAX_LOOKUP);
  }

  /** The index of the entry buf[start, end) is, or -1. */
  indexOf(buf: Buffer, start: number, end: number): number {
    const n = end - start;
    if (n <= 0 || n > MAX_LOOKUP) return -1;
    const candidates = this.byLength[n];
    const bytes = this.bytes;
    for (let c = 0; c < candidates.length; c++) {
      const i = candidates[c];
      const at = this.offsets[i];
      let k = 0;
      if (this.folded) {
        // A-Z as a-z, only those: any other byte must be equal.
        for (; k < n; k++) {
          const b = buf[start + k];
          if ((b >= 0x41 && b <= 0x5a ? b | 0x20 : b) !== bytes[at + k]) break;
        }
      } else {
        for (; k < n; k++) if (buf[start + k] !== bytes[at + k]) break;
      }
      if (k === n) return i;
    }
    return -1;
  }

  /** buf[start, end) as a string: the entry's own when it is one, else a slice (lower-cased when folded). */
  text(buf: Buffer, start: number, end: number): string {
    const i = this.indexOf(buf, start, end);
    if (i >= 0) return this.entries[i];
    const s = latin1Slice.call(buf, start, end);
    return this.folded ? toLowerCase.call(s) : s;
  }

  /**
   * The value buf[start, end) of a field named by entry `index` (-1: not an entry): the string
   * remembered for that name when the bytes are the same, else a slice, remembered when the name
   * is one whose values are.
   */
  value(index: number, buf: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n === 0) return '';
    if (index < 0 || !this.remembered[index]) return latin1Slice.call(buf, start, end);
    const saved = this.lastValueBytes;
    const at = index * MAX_LOOKUP;
    const last = this.lastValues[index];
    if (last.length === n) {
      let k = 0;
      while (k < n && buf[start + k] === saved[at + k]) k++;
      if (k === n) return last;
    }
    const s = latin1Slice.call(buf, start, end);
    if (n <= MAX_LOOKUP) {
      for (let k = 0; k < n; k++) saved[at + k] = buf[start + k];
      this.lastValues[index] = s;
    }
    return s;
  }
}

/** Request methods (case-sensitive, RFC 9110 §9.1). */
export const METHODS = new StringTable(['GET', 'PUT', 'POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'], false);

/** Values worth remembering: the same from one request to the next, and never a credential. */
const REQUEST_REMEMBERED = [
  'host', 'accept', 'accept-encoding', 'accept-language', 'user-agent', 'content-type', 'cache-control', 'pragma',
  'connection', 'origin', 'sec-fetch-mode', 'sec-fetch-site', 'sec-fetch-dest', 'upgrade-insecure-requests', 'te',
];

/** Request header names, lower-case: what browsers, HTTP clients and APIM callers send most. */
export const REQUEST_NAMES = new StringTable([
  'host', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'content-type', 'content-length',
  'connection', 'cache-control', 'pragma', 'authorization', 'cookie', 'origin', 'referer', 'x-request-id',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded', 'x-real-ip',
  'if-none-match', 'if-modified-since', 'transfer-encoding', 'expect', 'traceparent', 'tracestate',
  'ocp-apim-subscription-key', 'ocp-apim-trace', 'x-correlation-id', 'sec-fetch-mode', 'sec-fetch-site',
  'sec-fetch-dest', 'upgrade-insecure-requests', 'keep-alive', 'te', 'upgrade', 'range', 'x-api-key',
], true, REQUEST_REMEMBERED);

/** Response names as backends write them (both the usual casings), and the values worth remembering. */
const RESPONSE_NAME_FORMS = [
  'Content-Type', 'Cache-Control', 'ETag', 'Last-Modified', 'Vary', 'Server', 'Expires', 'Pragma', 'Set-Cookie',
  'Location', 'Content-Encoding', 'Content-Language', 'Content-Disposition', 'Accept-Ranges', 'Age', 'Link',
  'X-Powered-By', 'Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options', 'Referrer-Policy',
  'Access-Control-Allow-Origin', 'Access-Control-Allow-Credentials', 'Access-Control-Expose-Headers',
  'WWW-Authenticate', 'Retry-After', 'X-Request-Id', 'Content-Security-Policy',
];
const RESPONSE_REMEMBERED = [
  'Content-Type', 'Cache-Control', 'Vary', 'Server', 'Pragma', 'Content-Encoding', 'Content-Language', 'Accept-Ranges',
  'X-Powered-By', 'Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options', 'Referrer-Policy',
  'Access-Control-Allow-Origin', 'Access-Control-Allow-Credentials', 'Access-Control-Expose-Headers', 'Content-Security-Policy',
];
const lowerForms = (names: readonly string[]): string[] => names.map((n) => n.toLowerCase());

export const RESPONSE_NAMES = new StringTable(
  [...RESPONSE_NAME_FORMS, ...lowerForms(RESPONSE_NAME_FORMS)], false,
  [...RESPONSE_REMEMBERED, ...lowerForms(RESPONSE_REMEMBERED)],
);
