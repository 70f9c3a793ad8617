/**
 * Reads what the gateway needs from a uWS request, synchronously (the request object is invalid
 * once the handler returns): method, path, query, and the headers to forward, with hop-by-hop
 * headers removed and the framing headers checked.
 */
import type { HttpRequest } from './uws-native.js';
import { connectionTokens, isHopByHop } from '../upstream/hop-by-hop.js';

export const FRAMING_OK = 0;
export const FRAMING_BAD = 1;

export class RequestHead {
  method = '';
  url = '';
  query = '';
  host = '';
  /** Forwarded headers as a flat [name, value, …] list, ready for undici. */
  headers: string[] = [];
  headerBytes = 0;
  /** Declared body length, -1 when absent. */
  contentLength = -1;
  chunked = false;
  framing = FRAMING_OK;
  forwardedFor = '';
  private connection = '';

  /** Bound once: `forEach` gets the same function every request (no closure per request). */
  private readonly visit = (name: string, value: string): void => {
    this.headerBytes += name.length + value.length + 4;
    switch (name) {
      case 'host': this.host = value; return;
      case 'content-length':
        if (this.contentLength !== -1 || !/^\d{1,15}$/.test(value)) this.framing = FRAMING_BAD;
        else this.contentLength = Number(value);
        this.headers.push(name, value);
        return;
      case 'transfer-encoding':
        if (this.chunked || !/(^|,)\s*chunked\s*$/i.test(value)) this.framing = FRAMING_BAD;
        this.chunked = true;
        return;
      case 'connection': this.connection = value; return;
      case 'x-forwarded-for': this.forwardedFor = this.forwardedFor ? `${this.forwardedFor}, ${value}` : value; return;
      // The gateway answers 100-continue itself (uWS does), and sets these two from what it saw.
      case 'expect': case 'x-forwarded-proto': case 'x-forwarded-host': return;
      default:
        if (isHopByHop(name)) return;
        this.headers.push(name, value);
    }
  };

  read(req: HttpRequest): void {
    this.method = req.getCaseSensitiveMethod();
    this.url = req.getUrl();
    this.query = req.getQuery() ?? '';
    this.host = '';
    this.headers = [];
    this.headerBytes = this.method.length + this.url.length + this.query.length + 12;
    this.contentLength = -1;
    this.chunked = false;
    this.framing = FRAMING_OK;
    this.forwardedFor = '';
    this.connection = '';
    req.forEach(this.visit);
    if (this.chunked && this.contentLength !== -1) this.framing = FRAMING_BAD;
    if (this.connection !== '') this.dropConnectionNamed();
  }

  /** Headers named in Connection are hop-by-hop too (rare: a second pass only when present). */
  private dropConnectionNamed(): void {
    const tokens = connectionTokens(this.connection);
    if (tokens === null) return;
    const kept: string[] = [];
    for (let i = 0; i < this.headers.length; i += 2) {
      if (!tokens.has(this.headers[i])) kept.push(this.headers[i], this.headers[i + 1]);
    }
    this.headers = kept;
  }
}
