/**
 * Node reports a peer on a dual-stack listener as IPv4-mapped IPv6 ("::ffff:127.0.0.1").
 * X-Forwarded-For, ip-filter and logs want the usual forms ("127.0.0.1", "::1"), so convert
 * once per connection (connection.ts): a prefix check; other IPv6 text is already in RFC 5952 form.
 */
const MAPPED_PREFIX = '::ffff:';

export function clientAddressText(remote: string): string {
  if (remote.length > MAPPED_PREFIX.length && remote.startsWith(MAPPED_PREFIX) && remote.indexOf('.') > 0) return remote.slice(MAPPED_PREFIX.length);
  return remote;
}
