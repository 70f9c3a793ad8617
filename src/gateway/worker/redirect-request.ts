/**
 * forward-request follow-redirects="true": the request a backend's redirect leads to, as .NET's
 * HttpClient (APIM's) builds it. 303, and 301/302 to a method other than GET or HEAD, go on as a
 * GET without a body; 307 and 308 keep the method and body (only a body the gateway holds: a
 * streamed one was sent already, so the redirect is passed to the client instead). The Host
 * header follows the new URL; another origin does not get the Authorization or Cookie headers, nor
 * a backend entity's credential headers.
 * Only http and https URLs are followed.
 */
import { Readable } from 'node:stream';
import type { UpstreamRequest } from '../upstream/upstream-types.js';

export interface RedirectTarget {
  origin: string;
  request: UpstreamRequest;
}

/** Longest Location followed: it becomes a request line. */
const MAX_LOCATION = 8192;

/**
 * `ownHeaders` are the request's headers without a backend entity's credentials: what another
 * origin may get (the credentials are the backend's, never a redirect target's).
 */
export function redirectRequest(sent: UpstreamRequest, sentOrigin: string, location: string, status: number, ownHeaders: readonly string[] = sent.headers): RedirectTarget | null {
  if (location.length > MAX_LOCATION) return null;
  let url: URL;
  try {
    url = new URL(location, sentOrigin + sent.path);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const asGet = status === 303 || ((status === 301 || status === 302) && sent.method !== 'GET' && sent.method !== 'HEAD');
  if (!asGet && sent.body instanceof Readable) return null;
  const sameOrigin = url.origin === sentOrigin;
  const headers: string[] = [];
  const h = sameOrigin ? sent.headers : ownHeaders;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i];
    if (name === 'host') continue;
    if (asGet && (name === 'content-length' || name === 'content-type' || name === 'transfer-encoding')) continue;
    if (!sameOrigin && (name === 'authorization' || name === 'cookie')) continue;
    headers.push(name, h[i + 1]);
  }
  headers.push('host', url.host);
  const request: UpstreamRequest = {
    path: `${url.pathname}${url.search}`,
    method: asGet && sent.method !== 'HEAD' ? 'GET' : sent.method,
    headers,
    body: asGet ? null : sent.body,
  };
  if (sent.headersTimeout !== undefined) request.headersTimeout = sent.headersTimeout;
  if (sent.bodyTimeout !== undefined) request.bodyTimeout = sent.bodyTimeout;
  return { origin: url.origin, request };
}

/** The bound for a body kept whole to send again: gateway.maxReplayBodyBytes, never over maxBodyBytes (0: no limit). */
export function replayBodyLimit(maxReplayBodyBytes: number, maxBodyBytes: number): number {
  return maxBodyBytes > 0 ? Math.min(maxReplayBodyBytes, maxBodyBytes) : maxReplayBodyBytes;
}
