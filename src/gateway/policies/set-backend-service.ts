/**
 * set-backend-service: sends the request to another backend, given as `base-url` (an absolute
 * http or https URL; its path becomes the prefix of the forwarded path, like an API's
 * serviceUrl). The Host header becomes the new backend's host, as APIM does. The URL is parsed
 * at compile time; per request the policy only assigns three strings. Upstream pools for such
 * origins are per worker and keyed by origin, which only config can name (bounded).
 *
 * `backend-id` (a reference to an APIM backend entity) is a compile error: Outpost has no
 * backend entities. Other APIM attributes (sf-*, dapr-*) likewise.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, stringAttr } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';

interface Config { origin: string; basePath: string; host: string }

export const setBackendService: PolicyFactory<Config> = {
  name: 'set-backend-service',
  sections: ['inbound', 'backend'],
  compile(el, at) {
    if (el.attrs['backend-id'] !== undefined) {
      throw new PolicyCompileError(at, 'backend-id', 'is not supported (Outpost has no backend entities); use base-url');
    }
    for (const name of Object.keys(el.attrs)) {
      if (name.startsWith('sf-') || name.startsWith('dapr-')) throw new PolicyCompileError(at, name, 'is not supported');
    }
    allowOnly(el, at, ['base-url']);
    const raw = stringAttr(el, at, 'base-url');
    let url: URL;
    try { url = new URL(raw); } catch { throw new PolicyCompileError(at, 'base-url', `must be an absolute URL, got "${raw}"`); }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PolicyCompileError(at, 'base-url', `must be http or https, got "${url.protocol}"`);
    if (url.search !== '' || url.hash !== '') throw new PolicyCompileError(at, 'base-url', 'may not have a query or a fragment');
    if (url.username !== '' || url.password !== '') throw new PolicyCompileError(at, 'base-url', 'may not carry credentials');
    return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), host: url.host };
  },
  create(config) {
    return {
      run(ctx: RequestContext): Outcome {
        ctx.backendOrigin = config.origin;
        ctx.backendBasePath = config.basePath;
        const h = ctx.headers;
        for (let i = 0; i < h.length; i += 2) if (h[i] === 'host') { h[i + 1] = config.host; return CONTINUE; }
        h.push('host', config.host);
        return CONTINUE;
      },
    };
  },
};
