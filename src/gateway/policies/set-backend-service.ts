/**
 * set-backend-service: sends the request to another backend, given either as
 * - `base-url`: an absolute http or https URL; its path becomes the prefix of the forwarded path,
 *   like an API's serviceUrl. A constant is parsed at compile time (per request the policy assigns
 *   three strings); a policy expression (APIM allows one) is checked per request the same way, and
 *   a result that is not such a URL fails to on-error (OUTPOST_ERR_POLICY_FAILED), never a call.
 *   A computed URL names whatever the expression gives (SSRF is the config author's to avoid: do
 *   not build it from client input you do not trust); its pools are bounded per worker
 *   (MAX_POLICY_BACKEND_POOLS in backend-pools.ts).
 * - `backend-id`: a backend entity of the config (`backends`, src/gateway/backends/), a constant
 *   (an unknown id is a compile error) or a policy expression (an unknown id fails to on-error
 *   with OUTPOST_ERR_BACKEND_NOT_FOUND). A pool picks a member; an open circuit breaker fails
 *   with OUTPOST_ERR_BACKEND_CIRCUIT_OPEN (503). Credentials are added at the forward.
 * The Host header becomes the new backend's host, as APIM does. Upstream pools for such origins
 * are per worker and keyed by origin, which only config can name (bounded).
 *
 * `base-url=""` (an empty value, as samples ship it for the user to fill in) sets no backend: the
 * request keeps the API's serviceUrl (or what an earlier set-backend-service chose). APIM does
 * not document an empty base-url; treating it as "no override" is the reading that routes nowhere
 * unexpected, and it lets those samples load. A base-url that is not an absolute http(s) URL is
 * still a compile error.
 *
 * Other APIM attributes (sf-*, dapr-*) are compile errors.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, templateAttr } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import { compileEnv } from '../pipeline/compile-env.js';
import { OutpostError } from '../../shared/errors.js';

interface BackendUrl { origin: string; basePath: string; host: string }

type Config =
  | ({ kind: 'url' } & BackendUrl)
  | { kind: 'computed-url'; url: Template }
  | { kind: 'unchanged' }
  | { kind: 'entity'; id: Template };

/** The parts of a base-url, or why it is not one (the message quotes at most 200 characters). */
function parseBaseUrl(raw: string): BackendUrl | string {
  let url: URL;
  try { url = new URL(raw); } catch { return `must be an absolute URL, got "${raw.slice(0, 200)}"`; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be http or https, got "${url.protocol.slice(0, 40)}"`;
  if (url.search !== '' || url.hash !== '') return 'may not have a query or a fragment';
  if (url.username !== '' || url.password !== '') return 'may not carry credentials';
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), host: url.host };
}

function setHost(ctx: RequestContext, host: string): void {
  const h = ctx.headers;
  for (let i = 0; i < h.length; i += 2) if (h[i] === 'host') { h[i + 1] = host; return; }
  h.push('host', host);
}

export const setBackendService: PolicyFactory<Config> = {
  name: 'set-backend-service',
  sections: ['inbound', 'backend'],
  compile(el, at) {
    for (const name of Object.keys(el.attrs)) {
      if (name.startsWith('sf-') || name.startsWith('dapr-')) throw new PolicyCompileError(at, name, 'is not supported');
    }
    allowOnly(el, at, ['base-url', 'backend-id']);
    if (el.attrs['backend-id'] !== undefined) {
      if (el.attrs['base-url'] !== undefined) throw new PolicyCompileError(at, 'base-url', 'give base-url or backend-id, not both');
      const id = templateAttr(el, at, 'backend-id');
      const known = compileEnv()?.backendIds;
      if (id.k === 'text' && known !== undefined && !known.has(id.v)) {
        throw new PolicyCompileError(at, 'backend-id', `no backend with id "${id.v}" (config: backends)`);
      }
      return { kind: 'entity', id };
    }
    // APIM does not document an empty base-url: taken as no change (the request keeps its backend).
    if (el.attrs['base-url'] === '') return { kind: 'unchanged' };
    const url = templateAttr(el, at, 'base-url');
    if (url.k === 'code') return { kind: 'computed-url', url };
    const parsed = parseBaseUrl(url.v);
    if (typeof parsed === 'string') throw new PolicyCompileError(at, 'base-url', parsed);
    return { kind: 'url', ...parsed };
  },
  create(config, services) {
    if (config.kind === 'unchanged') return { run: (): Outcome => CONTINUE };
    if (config.kind === 'url') {
      return {
        run(ctx: RequestContext): Outcome {
          ctx.backendOrigin = config.origin;
          ctx.backendBasePath = config.basePath;
          ctx.backendEntity = null;
          setHost(ctx, config.host);
          return CONTINUE;
        },
      };
    }
    if (config.kind === 'computed-url') {
      const urlOf = bindStringTemplate(config.url);
      // The last URL parsed, reused while the expression gives the same text (the usual case).
      let lastText = '';
      let last: BackendUrl | null = null;
      return {
        run(ctx: RequestContext): Outcome {
          const text = urlOf(ctx).trim();
          if (text !== lastText || last === null) {
            const parsed = parseBaseUrl(text);
            if (typeof parsed === 'string') throw new OutpostError('OUTPOST_ERR_POLICY_FAILED', `set-backend-service: the base-url computed by the expression ${parsed}`);
            lastText = text;
            last = parsed;
          }
          ctx.backendOrigin = last.origin;
          ctx.backendBasePath = last.basePath;
          ctx.backendEntity = null;
          setHost(ctx, last.host);
          return CONTINUE;
        },
      };
    }
    const idOf = bindStringTemplate(config.id);
    return {
      run(ctx: RequestContext): Outcome {
        const id = idOf(ctx);
        const picked = services.backends?.pick(id) ?? null;
        if (picked === null) throw new OutpostError('OUTPOST_ERR_BACKEND_NOT_FOUND', `set-backend-service: no backend with id "${id.length > 100 ? `${id.slice(0, 100)}…` : id}"`);
        if (picked === 'open') throw new OutpostError('OUTPOST_ERR_BACKEND_CIRCUIT_OPEN', `set-backend-service: the circuit breaker of backend "${id}" is open`);
        const b = picked.compiled;
        ctx.backendOrigin = b.origin;
        ctx.backendBasePath = b.basePath;
        ctx.backendEntity = picked;
        setHost(ctx, b.host);
        return CONTINUE;
      },
    };
  },
};
