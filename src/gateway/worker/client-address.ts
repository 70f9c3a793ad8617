/**
 * uWS reports the peer address as text in full IPv6 form, IPv4 clients as IPv4-mapped
 * ("0000:0000:0000:0000:0000:ffff:7f00:0001"). X-Forwarded-For and logs want the usual forms
 * ("127.0.0.1", "::1"), so convert once per request: a prefix check and, for IPv6, compression.
 */
const MAPPED_PREFIX = '0000:0000:0000:0000:0000:ffff:';

let lastRaw = '';
let lastText = '';

export function clientAddressText(raw: ArrayBuffer): string {
  const text = Buffer.from(raw).toString('latin1');
  // Keep-alive traffic comes from few peers: remember the last conversion.
  if (text === lastRaw) return lastText;
  lastRaw = text;
  lastText = convert(text);
  return lastText;
}

function convert(text: string): string {
  if (text.startsWith(MAPPED_PREFIX) && text.length === MAPPED_PREFIX.length + 9) {
    const hi = parseInt(text.slice(MAPPED_PREFIX.length, MAPPED_PREFIX.length + 4), 16);
    const lo = parseInt(text.slice(MAPPED_PREFIX.length + 5), 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return text.indexOf(':') >= 0 ? compressIpv6(text) : text;
}

/** RFC 5952 form: leading zeros dropped, the longest run of zero groups as "::". */
export function compressIpv6(full: string): string {
  const groups = full.split(':').map((g) => (g === '' ? '0' : parseInt(g, 16).toString(16)));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
