/**
 * Hop-by-hop header rules (RFC 9110 §7.6.1): Connection, the headers it names, Keep-Alive, TE,
 * Trailer, Transfer-Encoding, Upgrade and Proxy-* never cross the gateway, in either direction.
 */

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const charCodeAt = String.prototype.charCodeAt;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/** `name` must be lowercase. */
export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-');
}

/**
 * isHopByHop() of the name buf[start, end), in any case, read in place (a response's fields: no
 * lower-cased string per field). The same names as HOP_BY_HOP, by length: change both together
 * (a unit test compares them).
 */
export function isHopByHopName(buf: Buffer, start: number, end: number): boolean {
  const length = end - start;
  if (length >= 6 && bytesAre(buf, start, 'proxy-')) return true; // Proxy-Connection and every Proxy-*
  switch (length) {
    case 2: return bytesAre(buf, start, 'te');
    case 7: return bytesAre(buf, start, 'trailer') || bytesAre(buf, start, 'upgrade');
    case 10: return bytesAre(buf, start, 'connection') || bytesAre(buf, start, 'keep-alive');
    case 17: return bytesAre(buf, start, 'transfer-encoding');
    default: return false;
  }
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
 * connectionTokens() of a response's raw Connection value, without a string when the value names
 * nothing beyond `close` and `keep-alive` (what nearly every backend sends): the bytes are scanned
 * in place and only a value that names other headers is decoded.
 */
export function connectionTokensOf(value: Buffer, start = 0, end = value.length): Set<string> | null {
  let p = start;
  while (p < end) {
    // Past the comma that ended the last member too: stopping on it left p there for good, and
    // `Connection: keep-alive, x` from a backend spun its worker forever.
    while (p < end && (isListSeparator(value[p]) || value[p] === 0x2c)) p++;
    const t = p;
    while (p < end && value[p] !== 0x2c) p++;
    let e = p;
    while (e > t && isListSeparator(value[e - 1])) e--;
    const len = e - t;
    if (len === 0) continue;
    if (!(len === 5 && bytesAre(value, t, 'close')) && !(len === 10 && bytesAre(value, t, 'keep-alive'))) {
      return connectionTokens(value.toString('latin1', start, end));
    }
  }
  return null;
}

/** OWS around list members (RFC 9110 §5.6.1); String.prototype.trim would also take other whitespace, which a token cannot hold. */
function isListSeparator(c: number): boolean { return c === 0x20 || c === 0x09; }

/** buf[at, at + lower.length) equals `lower` ignoring ASCII case (`lower` is lowercase letters and `-`). */
function bytesAre(buf: Buffer, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const want = charCodeAt.call(lower, i);
    const got = buf[at + i];
    if (got !== want && !(want >= 0x61 && want <= 0x7a && got === want - 0x20)) return false;
  }
  return true;
}

/**
 * Only response header names of these lengths can be ones the gateway must drop or handle, so
 * the common case skips the string conversion entirely: 2 te, 4 date, 7 trailer/upgrade,
 * 10 connection/keep-alive, 14 content-length, 16 proxy-connection (and any proxy-* name, checked
 * by its first byte, lower-cased), 17 transfer-encoding.
 */
export function mayNeedResponseInspection(length: number, firstLower: number): boolean {
  return length === 2 || length === 4 || length === 7 || length === 10 || length === 14 || length === 17 || firstLower === 0x70 /* p */;
}
