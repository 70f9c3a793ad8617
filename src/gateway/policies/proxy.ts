/**
 * proxy (APIM, inbound): the request is forwarded to the backend through an HTTP proxy, `url`
 * (http://host:port), with `username` and `password` sent as Proxy-Authorization: Basic. An http
 * backend is reached with absolute-form requests on keep-alive connections to the proxy; an
 * https backend through a CONNECT tunnel per connection, with TLS to the backend inside it (its
 * certificate is checked as on a direct connection). See upstream/proxy-route.ts.
 *
 * A proxy that refuses (407 without good credentials, 403, 502…) or cannot be reached fails the
 * forward with OUTPOST_ERR_BACKEND_UNREACHABLE (502); the upstream connect timeout covers
 * reaching the proxy, the tunnel and the TLS handshake. Only the forward goes through the proxy:
 * send-request calls do not (their own <proxy> child is refused).
 *
 * Deviations from APIM: the attributes are constants (named values allowed, no expressions); the
 * proxy URL must be http:// (a TLS connection to the proxy itself is not supported).
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { allowOnly, headerValue } from './attributes.js';
import { literalOnly } from './json-to-xml.js';
import { proxyRoute, type ProxyRoute } from '../upstream/proxy-route.js';

interface Config { host: string; port: number; username: string | null; password: string | null }

export const proxy: PolicyFactory<Config> = {
  name: 'proxy',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['url', 'username', 'password']);
    literalOnly(el, at, ['url', 'username', 'password']);
    if (el.text !== '') throw new PolicyCompileError(at, null, 'proxy holds no text');
    const raw = el.attrs.url;
    if (raw === undefined || raw === '') throw new PolicyCompileError(at, 'url', 'is required (http://host:port)');
    let url: URL;
    try { url = new URL(raw); } catch { throw new PolicyCompileError(at, 'url', 'is not a URL (http://host:port)'); }
    if (url.protocol !== 'http:') throw new PolicyCompileError(at, 'url', `must be an http:// proxy URL, got ${url.protocol}`);
    if (url.username !== '' || url.password !== '') throw new PolicyCompileError(at, 'url', 'must not hold credentials: use the username and password attributes');
    if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') throw new PolicyCompileError(at, 'url', 'must be http://host:port, without a path or query');
    const username = el.attrs.username ?? null;
    const password = el.attrs.password ?? null;
    if (username === null && password !== null) throw new PolicyCompileError(at, 'username', 'is required when password is given');
    if (username !== null && (username.includes(':') || username.length > 256)) throw new PolicyCompileError(at, 'username', 'must be at most 256 characters without ":"');
    if (username !== null) headerValue(at, 'username', username);
    if (password !== null && password.length > 256) throw new PolicyCompileError(at, 'password', 'must be at most 256 characters');
    if (password !== null && /[\u0000-\u001f\u007f]/.test(password)) throw new PolicyCompileError(at, 'password', 'must not hold control characters');
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    return { host, port: url.port === '' ? 80 : Number(url.port), username, password };
  },
  create(config) {
    // One route per policy and worker: pools are keyed by it, so every request reuses the same ones.
    const route: ProxyRoute = proxyRoute(config.host, config.port, config.username, config.password);
    return {
      run(ctx: RequestContext): Outcome {
        ctx.proxy = route;
        return CONTINUE;
      },
    };
  },
};
