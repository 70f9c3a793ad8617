/**
 * X-Forwarded-* and friends (README, "Forwarding headers"). From a peer inside
 * `gateway.trustedProxies`, what it says about the client is kept: X-Forwarded-For is appended
 * to, X-Forwarded-Proto / -Host / -Port, Forwarded and X-Real-IP pass as sent (and Proto / Host
 * are filled in when absent). From any other peer, all of them are dropped and X-Forwarded-For /
 * -Proto / -Host say what the gateway itself saw: a client cannot claim another address or scheme.
 */
import type { RequestHead } from './request-head.js';

export function forwardingHeaders(headers: string[], head: RequestHead, clientIp: string, proto: string, trusted: boolean): void {
  if (!trusted || head.forwarding.length === 0) {
    headers.push('x-forwarded-for', clientIp, 'x-forwarded-proto', proto);
    if (head.host !== '') headers.push('x-forwarded-host', head.host);
    return;
  }
  const sent = head.forwarding;
  let forwardedFor = '';
  let hasProto = false;
  let hasHost = false;
  for (let i = 0; i < sent.length; i += 2) {
    const name = sent[i];
    if (name === 'x-forwarded-for') { forwardedFor = forwardedFor === '' ? sent[i + 1] : `${forwardedFor}, ${sent[i + 1]}`; continue; }
    if (name === 'x-forwarded-proto') hasProto = true;
    else if (name === 'x-forwarded-host') hasHost = true;
    headers.push(name, sent[i + 1]);
  }
  headers.push('x-forwarded-for', forwardedFor === '' ? clientIp : `${forwardedFor}, ${clientIp}`);
  if (!hasProto) headers.push('x-forwarded-proto', proto);
  if (!hasHost && head.host !== '') headers.push('x-forwarded-host', head.host);
}
