/**
 * The request-log line written by the native addon (native/src/request_log.c): request-log.ts
 * calls it first and writes the line itself when it declines or the addon is not loaded.
 */
import type { ClientResponse } from '../../http1/server/client-response.js';
import { nativeAddon } from '../native.js';
import { nativeMethodCode } from '../native-methods.js';
import type { Fragment, JsonLineBuffer } from './json-line-buffer.js';
import { redactQuery } from './query-redaction.js';

/** The native line writer (native/src/request_log.c), or null when the addon is not loaded. */
const nativeWrite = nativeAddon()?.writeRequestLog ?? null;
const setTarget = nativeAddon()?.requestLogTarget ?? null;
/** Whether lines go to the addon first. */
export const NATIVE_LINES = nativeWrite !== null;
/** Its numbers, one array per thread, given to the addon once: 128 bytes, over V8's limit for typed arrays on its heap, so it never moves. */
const nativeFields = new Float64Array(16);
nativeAddon()?.requestLogFields(nativeFields);
const F_POSITION = 7;
const F_METHOD = 8;


/**
 * The buffer registered with the addon as its target (requestLogTarget). Registered again
 * whenever a line goes to another buffer, which is the only way a line reaches the addon: a batch's
 * buffer is replaced before it is transferred to the primary, so the addon never writes into
 * memory that has left this thread.
 */
let target: Buffer | null = null;

/**
 * The line of one request written by the addon, which answers only the plain case (every string
 * printable ASCII without `"` or `\`, which is nearly every line): false when it declined, having
 * written nothing past out.pos that counts. Same bytes as writeLine (test/unit/request-log-native.test.ts
 * holds them to it). Counted under callgrind, a proxied GET's request log went from 15,200 to
 * 5,600 instructions (bench:instructions); the call's share of it is ~4,000, half of that N-API
 * and V8 copying the strings out, which is why the buffer is registered once per batch, the method
 * goes as a number and most lines pass four arguments.
 */
export function writeLineNative(out: JsonLineBuffer, res: ClientResponse, operation: Fragment, now: number, wallMs: number): boolean {
  if (out.buf !== target) {
    setTarget!(out.buf);
    target = out.buf;
  }
  const f = nativeFields;
  f[0] = wallMs;
  f[1] = res.statusSent;
  f[2] = res.backendStatus;
  f[3] = now - res.startedAt;
  f[4] = res.backendStartedAt > 0 ? (res.backendEndedAt > 0 ? res.backendEndedAt : now) - res.backendStartedAt : NaN;
  f[5] = res.requestBytes;
  f[6] = res.responseBytes;
  f[F_POSITION] = out.pos;
  const method = res.method;
  const code = nativeMethodCode(method);
  f[F_METHOD] = code;
  // Strings only ('' for null: the addon writes null for ''), the query redacted; the addon's
  // four-argument call when the rest is empty, null or a method code.
  const cache = res.cacheResult;
  const next = code !== 0 && res.query === '' && res.productId === '' && res.subscriptionId === '' && cache === null && res.errorCode === null
    ? nativeWrite!(operation.bytes, res.requestId, res.path, res.remoteAddress)
    : nativeWrite!(operation.bytes, res.requestId, res.path, res.remoteAddress, res.query === '' ? '' : redactQuery(res.query), method,
      res.productId, res.subscriptionId, cache ?? '', res.errorCode ?? '');
  if (next < 0) return false;
  out.pos = next;
  return true;
}
