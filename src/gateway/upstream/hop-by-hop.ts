/**
 * Hop-by-hop header rules (RFC 9110 §7.6.1): Connection, the headers it names, Keep-Alive, TE,
 * Trailer, Transfer-Encoding, Upgrade and Proxy-* never cross the gateway, in either direction.
 */

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/** `name` must be lowercase. */
export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-');
}

/** Lowercase header names listed in a Connection header value, or null when there are none beyond the usual. */
export function connectionTokens(value: string): Set<string> | null {
  let tokens: Set<string> | null = null;
  for (const part of value.split(',')) {
    const t = part.trim().toLowerCase();
    if (t === '' || t === 'close' || t === 'keep-alive') continue;
    (tokens ??= new Set()).add(t);
  }
  return tokens;
}

/**
 * Response header names are raw Buffers from undici. Only names of these lengths can be ones the
 * gateway must drop or handle, so the common case skips the string conversion entirely.
 * 2 te, 4 date, 7 trailer/upgrade, 10 connection/keep-alive, 14 content-length, 16 proxy-connection
 * (and any proxy-* name, checked by first letter), 17 transfer-encoding.
 */
export function mayNeedResponseInspection(name: Buffer): boolean {
  const n = name.length;
  const first = name[0] | 0x20;
  return n === 2 || n === 4 || n === 7 || n === 10 || n === 14 || n === 17 || first === 0x70 /* p */;
}
