/**
 * IP addresses and ranges as numbers, for ip-filter. IPv4 is a uint32 held in a JS number, IPv6 a
 * BigInt; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is turned into its IPv4 number, so a
 * dual-stack socket's "::ffff:10.1.2.3" and a rule "10.0.0.0/8" compare alike. Ranges are parsed
 * once, at compile time; a request only parses its one client address.
 */
export type IpNumber = number | bigint;

/** An inclusive range of one family: both ends numbers (IPv4) or both BigInts (IPv6). */
export interface IpRange { from: IpNumber; to: IpNumber }

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** A plain address ("10.0.0.1", "2001:db8::1", "::ffff:10.0.0.1"), or null if it is not one. */
export function parseIp(text: string): IpNumber | null {
  return text.indexOf(':') < 0 ? parseIpv4(text) : parseIpv6(text);
}

/** Dotted quad, each part 0-255 without leading zeros (so "010" cannot mean octal anywhere). */
export function parseIpv4(s: string): number | null {
  let value = 0;
  let part = -1;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (part === 0) return null;
      part = (part < 0 ? 0 : part * 10) + (c - 48);
      if (part > 255) return null;
    } else if (c === 46 && part >= 0 && dots < 3) {
      value = value * 256 + part;
      part = -1;
      dots++;
    } else {
      return null;
    }
  }
  return part < 0 || dots !== 3 ? null : value * 256 + part;
}

function parseIpv6(s: string): IpNumber | null {
  const gap = s.indexOf('::');
  if (gap >= 0 && s.indexOf('::', gap + 1) >= 0) return null;
  const head = groupsOf(gap < 0 ? s : s.slice(0, gap), gap < 0);
  const tail = gap < 0 ? [] : groupsOf(s.slice(gap + 2), true);
  if (head === null || tail === null) return null;
  const count = head.length + tail.length;
  if (gap < 0 ? count !== 8 : count > 7) return null;
  const groups = gap < 0 ? head : [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return groups[6] * 65536 + groups[7];
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/** "a:b:1.2.3.4" → 16-bit groups (an IPv4 tail, where the address ends, is two groups); "" → []. */
function groupsOf(part: string, mayEndInIpv4: boolean): number[] | null {
  if (part === '') return [];
  const pieces = part.split(':');
  const out: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (mayEndInIpv4 && i === pieces.length - 1 && p.indexOf('.') >= 0) {
      const v4 = parseIpv4(p);
      if (v4 === null) return null;
      out.push(Math.floor(v4 / 65536), v4 % 65536);
    } else if (HEX_GROUP.test(p)) {
      out.push(parseInt(p, 16));
    } else {
      return null;
    }
  }
  return out;
}

/**
 * An address as a client or proxy may write it in X-Forwarded-For: plain, "[v6]:port",
 * "v4:port" or with a zone ("fe80::1%eth0"). Null when it is none of these.
 */
export function parseClientAddress(text: string): IpNumber | null {
  let s = text.trim();
  if (s.charCodeAt(0) === 91 /* [ */) {
    const end = s.indexOf(']');
    if (end < 0) return null;
    s = s.slice(1, end);
  } else {
    const colon = s.indexOf(':');
    if (colon > 0 && s.indexOf(':', colon + 1) < 0) s = s.slice(0, colon);
  }
  const zone = s.indexOf('%');
  return parseIp(zone >= 0 ? s.slice(0, zone) : s);
}

/** "10.0.0.0/8", "2001:db8::/32" or a single address, as an inclusive range; an error string if bad. */
export function parseAddressOrCidr(text: string): IpRange | string {
  const slash = text.indexOf('/');
  const base = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (base === null) return `"${text}" is not an IPv4 or IPv6 address${slash < 0 ? '' : ' range'}`;
  if (slash < 0) return { from: base, to: base };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return `"${text}": the prefix length must be a number`;
  let prefix = Number(prefixText);
  const mappedV4 = typeof base === 'number' && text.slice(0, slash).indexOf(':') >= 0;
  if (mappedV4) {
    // "::ffff:10.0.0.0/104" is the IPv4 range 10.0.0.0/8.
    if (prefix < 96 || prefix > 128) return `"${text}": an IPv4-mapped range needs a prefix of 96 to 128`;
    prefix -= 96;
  }
  if (typeof base === 'number') {
    if (prefix > 32) return `"${text}": an IPv4 prefix is at most 32`;
    const size = 2 ** (32 - prefix);
    const from = Math.floor(base / size) * size;
    return { from, to: from + size - 1 };
  }
  if (prefix > 128) return `"${text}": an IPv6 prefix is at most 128`;
  const hostBits = BigInt(128 - prefix);
  const from = (base >> hostBits) << hostBits;
  return { from, to: from | ((1n << hostBits) - 1n) };
}
