/**
 * ip-filter (inbound): allows or forbids clients by address, as APIM's:
 *   <ip-filter action="allow|forbid" trusted-proxy-hops="0">
 *     <address>10.1.2.3</address> <address>10.0.0.0/8</address> <address>2001:db8::/32</address>
 *     <address-range from="192.168.0.10" to="192.168.0.20" />
 *   </ip-filter>
 * CIDR ranges in <address> and `trusted-proxy-hops` are Outpost extensions. Every address and
 * range is parsed at compile time into inclusive numeric ranges (IPv4 numbers, IPv6 BigInts);
 * a request parses its one client address and compares numbers. IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d), in rules or from clients, compare as IPv4.
 *
 * Which address is filtered (`trusted-proxy-hops`, N, default 0):
 *   The gateway forwards X-Forwarded-For as the client sent it with its own TCP peer appended as
 *   the last entry: "e1, e2, …, eK, peer". Counting from the right, the peer is entry 0, the
 *   entry the peer appended is entry 1, and so on; the filtered address is entry N.
 *   - N = 0: the TCP peer itself; X-Forwarded-For is ignored (nothing a client writes counts).
 *   - N = 1: one trusted proxy (a load balancer) connects to the gateway; the address it wrote.
 *   - N = 2: client → proxy A → proxy B → gateway; B is the peer, A's entry is the client.
 *   Entries left of entry N are whatever the client sent and are never read, so a forged
 *   leftmost entry cannot bypass the filter. Fewer than N+1 entries (the request did not come
 *   through the trusted proxies), or an entry that is not an address, fails closed: 403 in both
 *   modes. Entries may carry a port ("1.2.3.4:5678", "[2001:db8::1]:443") or a zone.
 *
 * Denied: 403 {"statusCode":403,"message":"Forbidden"} with X-Outpost-Error OUTPOST_ERR_IP_FORBIDDEN.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { allowOnly, enumAttr, intAttr, stringAttr } from './attributes.js';
import { parseAddressOrCidr, parseClientAddress, parseIp, type IpRange } from './ip-address.js';
import { errorBody } from '../../shared/errors.js';
import type { RequestContext } from '../pipeline/context.js';

interface Config {
  allow: boolean;
  hops: number;
  /** IPv4 ranges, flat [from, to, from, to, …]. */
  v4: number[];
  /** IPv6 ranges as hex text (the table is msgpack: no 128-bit integers), flat [from, to, …]. */
  v6: string[];
}

const CODE = 'OUTPOST_ERR_IP_FORBIDDEN';

function childLocation(at: PolicyLocation, child: PolicyElement, index: number): PolicyLocation {
  return { scope: at.scope, section: at.section, index, element: `${at.element}[${at.index}]/${child.name}` };
}

function rangeOf(child: PolicyElement, at: PolicyLocation): IpRange {
  if (child.name === 'address') {
    allowOnly(child, at, []);
    const r = parseAddressOrCidr(child.text.trim());
    if (typeof r === 'string') throw new PolicyCompileError(at, null, r);
    return r;
  }
  allowOnly(child, at, ['from', 'to']);
  const from = parseIp(stringAttr(child, at, 'from').trim());
  if (from === null) throw new PolicyCompileError(at, 'from', `"${child.attrs.from}" is not an IPv4 or IPv6 address`);
  const to = parseIp(stringAttr(child, at, 'to').trim());
  if (to === null) throw new PolicyCompileError(at, 'to', `"${child.attrs.to}" is not an IPv4 or IPv6 address`);
  if (typeof from !== typeof to) throw new PolicyCompileError(at, 'to', 'from and to must both be IPv4 or both IPv6');
  if (to < from) throw new PolicyCompileError(at, 'to', `"${child.attrs.to}" is below from="${child.attrs.from}"`);
  return { from, to };
}

/** The X-Forwarded-For entry `hops` places left of the last one, or null when there are fewer. */
export function forwardedEntry(xff: string | null, hops: number): string | null {
  if (xff === null) return null;
  let end = xff.length;
  for (let k = 0; k < hops; k++) {
    const comma = xff.lastIndexOf(',', end - 1);
    if (comma < 0) return null;
    end = comma;
  }
  return xff.slice(xff.lastIndexOf(',', end - 1) + 1, end);
}

export const ipFilter: PolicyFactory<Config> = {
  name: 'ip-filter',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['action', 'trusted-proxy-hops'], ['address', 'address-range']);
    if (el.attrs.action === undefined) throw new PolicyCompileError(at, 'action', 'is required (allow or forbid)');
    const allow = enumAttr(el, at, 'action', ['allow', 'forbid'] as const, 'allow') === 'allow';
    const hops = intAttr(el, at, 'trusted-proxy-hops', { min: 0, max: 32 }, 0);
    if (el.children.length === 0) throw new PolicyCompileError(at, null, 'needs at least one <address> or <address-range>');
    const v4: number[] = [];
    const v6: string[] = [];
    el.children.forEach((child, i) => {
      const r = rangeOf(child, childLocation(at, child, i));
      if (typeof r.from === 'number') v4.push(r.from, r.to as number);
      else v6.push(r.from.toString(16), (r.to as bigint).toString(16));
    });
    return { allow, hops, v4, v6 };
  },
  create(config): PolicyInstance {
    const { allow, hops, v4 } = config;
    const v6 = config.v6.map((h) => BigInt(`0x${h}`));
    const body = errorBody(CODE);
    const listed = (ip: number | bigint): boolean => {
      if (typeof ip === 'number') {
        for (let i = 0; i < v4.length; i += 2) if (ip >= v4[i] && ip <= v4[i + 1]) return true;
      } else {
        for (let i = 0; i < v6.length; i += 2) if (ip >= v6[i] && ip <= v6[i + 1]) return true;
      }
      return false;
    };
    return {
      run(ctx: RequestContext): Outcome {
        const text = hops === 0 ? ctx.clientIp : forwardedEntry(ctx.header('x-forwarded-for'), hops);
        const ip = text === null ? null : parseClientAddress(text);
        if (ip !== null && listed(ip) === allow) return CONTINUE;
        ctx.respond(403, 'Forbidden', ['content-type', 'application/json', 'x-outpost-error', CODE], body);
        return RESPOND;
      },
    };
  },
};
