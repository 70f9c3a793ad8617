/**
 * An HTTP forward proxy the gateway sends a backend request through (APIM's proxy policy). Plain
 * http backends get absolute-form requests (`GET http://backend:8080/x HTTP/1.1`) on keep-alive
 * connections to the proxy; https backends get a CONNECT tunnel per connection, with TLS to the
 * backend inside it (the proxy sees neither the request nor the certificate check). Credentials
 * go as Proxy-Authorization: Basic, on each request (http) or on the CONNECT (https).
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';

export interface ProxyRoute {
  host: string;
  port: number;
  /** The Proxy-Authorization value, or null without credentials. */
  authorization: string | null;
  /** Keys the upstream pools: proxy and credentials (hashed, never a secret in a map key). */
  key: string;
}

export function proxyRoute(host: string, port: number, username: string | null, password: string | null): ProxyRoute {
  const authorization = username === null ? null : `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  const digest = authorization === null ? '' : createHash('sha256').update(authorization).digest('hex').slice(0, 16);
  return { host, port, authorization, key: `${host}:${port}|${digest}` };
}

/** The CONNECT request for `host:port` (an IPv6 address in brackets). */
export function connectRequest(route: ProxyRoute, host: string, port: number): string {
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${route.authorization === null ? '' : `Proxy-Authorization: ${route.authorization}\r\n`}\r\n`;
}

/** Bound on the proxy's answer to CONNECT. */
export const MAX_CONNECT_HEAD = 8 * 1024;

/**
 * Reads the proxy's answer to CONNECT from `head` (latin1 so far). Returns null while it is
 * incomplete, '' when the tunnel is open, or the problem (a status other than 2xx, bytes after
 * the head, a head too large).
 */
export function connectAnswer(head: string): string | null {
  const end = head.indexOf('\r\n\r\n');
  if (end < 0) return head.length > MAX_CONNECT_HEAD ? 'the proxy\'s answer to CONNECT is too large' : null;
  const status = /^HTTP\/1\.[01] (\d{3})[^\r\n]*/.exec(head);
  if (status === null) return 'the proxy\'s answer to CONNECT is not HTTP';
  if (status[1][0] !== '2') return `the proxy refused the tunnel: ${status[0].slice(0, 120)}`;
  if (end + 4 !== head.length) return 'the proxy sent bytes after its answer to CONNECT';
  return '';
}
