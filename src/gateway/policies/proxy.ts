/**
 * proxy (APIM: send forwarded requests through an HTTP proxy): known, and refused at compile time
 * with a message saying why, rather than accepted and ignored (a request that silently bypasses a
 * required egress proxy is worse than a config that does not load).
 *
 * Why: Outpost's upstream client (src/gateway/upstream/) opens its own sockets straight to the
 * backend origin, one keep-alive pool per origin. Going through a proxy needs, for https backends,
 * a CONNECT tunnel with TLS layered on the tunnel's socket (and the tunnel's own connect timeout,
 * 407 and error mapping), and for http backends absolute-form request targets with
 * Proxy-Authorization on a pool keyed by proxy and origin. The client's shape allows both, but
 * neither is built yet.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';

export const proxy: PolicyFactory<never> = {
  name: 'proxy',
  sections: ['inbound'],
  compile(_el, at) {
    throw new PolicyCompileError(at, null, 'is not supported: the gateway connects to backends directly and cannot send them through an HTTP proxy (no CONNECT tunnel or absolute-form forwarding in its upstream client); route egress at the network level instead');
  },
  create() {
    throw new Error('proxy is refused at compile time');
  },
};
