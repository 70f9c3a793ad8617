/**
 * What the gateway forwards from a parsed request head (src/http1/request-parser.ts): method,
 * path, query, Host, and the headers as a flat [name, value, …] list with hop-by-hop headers
 * removed. Values are latin1 strings (one char per byte), so every byte the client sent,
 * obs-text included, reaches the backend unchanged. Framing was validated by the parser.
 */
import type { ParsedRequest } from '../../http1/request-parser.js';
import { connectionTokens, isHopByHop } from '../upstream/hop-by-hop.js';
import { REQUEST_NAMES } from '../../http1/field-strings.js';

/** String methods through module-local consts, called with .call: folded and inlined (see chars.ts). */
const indexOf = String.prototype.indexOf;
const slice = String.prototype.slice;

/** Lower-case names of the headers the gateway reads or replaces itself. */
const FORWARDING = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded', 'x-real-ip']);

/** The forwarding list of a request without such headers (most): shared, never pushed to. */
const NONE = Object.freeze([]) as unknown as string[];

/** What read() does with a field by its name. */
const KEEP = 0;
const DROP = 1;
const REQUEST_ID = 2;
const FORWARDING_FIELD = 3;

function classOf(name: string): number {
  if (name === 'host' || name === 'expect' || isHopByHop(name)) return DROP;
  if (name === 'x-request-id') return REQUEST_ID;
  return FORWARDING.has(name) ? FORWARDING_FIELD : KEEP;
}

/**
 * classOf() of every REQUEST_NAMES entry, by its index: a listed name (what clients send most)
 * costs one load instead of a string switch, a Set lookup and a prefix test per field.
 */
const LISTED_CLASS = Uint8Array.from(REQUEST_NAMES.entries, classOf);

export class RequestHead {
  method = '';
  /** Path part of the target (before '?'), as sent. */
  url = '';
  query = '';
  host = '';
  /** Forwarded headers as a flat [name, value, …] list, ready for the upstream client. */
  headers: string[] = [];
  headerBytes = 0;
  /** Declared body length, -1 when absent. */
  contentLength = -1;
  chunked = false;
  /** Forwarding headers as the client sent them: [name, value, …]; trusted or dropped by the caller. */
  forwarding: string[] = [];
  /** The client's X-Request-Id ('' when absent); not forwarded as is: the handler sends the correlation id. */
  requestId = '';

  read(req: ParsedRequest): void {
    this.method = req.method;
    const target = req.target;
    const q = indexOf.call(target, '?');
    this.url = q < 0 ? target : slice.call(target, 0, q);
    this.query = q < 0 ? '' : slice.call(target, q + 1);
    this.host = req.host;
    this.headerBytes = req.headBytes;
    this.contentLength = req.contentLength;
    this.chunked = req.chunked;
    const headers: string[] = [];
    this.headers = headers;
    this.forwarding = NONE;
    this.requestId = '';
    const count = req.fields.count;
    for (let i = 0; i < count; i++) {
      // A listed name (field-strings.ts) is compared, not cut and lower-cased, and classified in advance.
      const index = req.nameIndex(i);
      const name = index >= 0 ? REQUEST_NAMES.entries[index] : req.name(i);
      switch (index >= 0 ? LISTED_CLASS[index] : classOf(name)) {
        case KEEP: headers.push(name, req.knownValue(i, index)); continue;
        case DROP: continue;
        case REQUEST_ID: if (this.requestId === '') this.requestId = req.value(i); continue;
        default:
          if (this.forwarding === NONE) this.forwarding = [];
          this.forwarding.push(name, req.value(i));
      }
    }
    if (req.connectionField >= 0) this.dropConnectionNamed(req);
  }

  /** Headers named in Connection are hop-by-hop too (rare: a second pass only when present). */
  private dropConnectionNamed(req: ParsedRequest): void {
    let all = '';
    for (let i = 0; i < req.fields.count; i++) if (req.nameIs(i, 'connection')) all += `${req.value(i)},`;
    const tokens = connectionTokens(all);
    if (tokens === null) return;
    const kept: string[] = [];
    for (let i = 0; i < this.headers.length; i += 2) {
      if (!tokens.has(this.headers[i])) kept.push(this.headers[i], this.headers[i + 1]);
    }
    this.headers = kept;
    const forwarding: string[] = [];
    for (let i = 0; i < this.forwarding.length; i += 2) {
      if (!tokens.has(this.forwarding[i])) forwarding.push(this.forwarding[i], this.forwarding[i + 1]);
    }
    this.forwarding = forwarding;
  }
}
