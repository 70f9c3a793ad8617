/**
 * Request-target and Host checks (RFC 9112 §3.2, RFC 3986 §3.2.2), on bytes.
 *
 * The target may hold visible ASCII except `#`: no SP, CTL, DEL or byte ≥ 0x80, so the target
 * is ASCII and the string the router sees is exactly the bytes that are forwarded. Host (and the
 * authority of an absolute-form target) must be a reg-name or an IP literal, with an optional
 * port: no userinfo, path, list or whitespace.
 */

const TARGET = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x21; c <= 0x7e; c++) t[c] = 1;
  t[0x23] = 0; // '#': a fragment is never sent
  return t;
})();

/** unreserved / sub-delims / '%' (pct-encoded is checked for its two hex digits separately). */
const REG_NAME = (() => {
  const t = new Uint8Array(256);
  for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=%") t[c.charCodeAt(0)] = 1;
  t[0x2c] = 0; // ',' is a sub-delim, but in a Host value it can only mean a list: refused
  return t;
})();

const IP_LITERAL = (() => {
  const t = new Uint8Array(256);
  for (const c of '0123456789abcdefABCDEF:.') t[c.charCodeAt(0)] = 1;
  return t;
})();

/** True when buf[start, end) holds only request-target bytes. */
export function validTargetBytes(buf: Uint8Array, start: number, end: number): boolean {
  for (let p = start; p < end; p++) if (TARGET[buf[p]] !== 1) return false;
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/** uri-host [ ":" port ], non-empty, in buf[start, end). */
export function validAuthority(buf: Uint8Array, start: number, end: number): boolean {
  if (end <= start) return false;
  let p = start;
  if (buf[p] === 0x5b /* [ */) {
    p++;
    const open = p;
    while (p < end && IP_LITERAL[buf[p]] === 1) p++;
    if (p === open || p >= end || buf[p] !== 0x5d /* ] */) return false;
    p++;
  } else {
    while (p < end && REG_NAME[buf[p]] === 1) {
      if (buf[p] === 0x25 && (p + 2 >= end || !isHex(buf[p + 1]) || !isHex(buf[p + 2]))) return false;
      p++;
    }
    if (p === start) return false;
  }
  if (p === end) return true;
  if (buf[p] !== 0x3a /* : */) return false;
  p++;
  const portStart = p;
  while (p < end && buf[p] >= 0x30 && buf[p] <= 0x39) p++;
  return p === end && p - portStart <= 5;
}

/** Length of an `http://` or `https://` prefix at buf[start] (case-insensitive), or 0. */
export function schemePrefixLength(buf: Uint8Array, start: number, end: number): number {
  const lower = (i: number) => buf[start + i] | 0x20;
  if (end - start < 7 || lower(0) !== 0x68 || lower(1) !== 0x74 || lower(2) !== 0x74 || lower(3) !== 0x70) return 0;
  let p = 4;
  if (lower(4) === 0x73) p = 5;
  return buf[start + p] === 0x3a && buf[start + p + 1] === 0x2f && buf[start + p + 2] === 0x2f ? p + 3 : 0;
}
