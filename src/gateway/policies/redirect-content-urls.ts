/**
 * redirect-content-urls (APIM): masks links in the body. In outbound every occurrence of the
 * backend's base URL (the API's serviceUrl, or what set-backend-service chose) in the response
 * body becomes the gateway's URL for the API (the scheme and host the client used, then the API
 * suffix): `http://10.0.0.5:8080/api/orders/1` → `https://gw.example.com/shop/orders/1`. In
 * inbound it is the opposite, on the request body. As APIM, headers (Location, Content-Location)
 * are not changed: use set-header for those.
 *
 * The gateway's URL comes from X-Forwarded-Proto and X-Forwarded-Host as the gateway forwards them
 * (the client's Host, or what a trusted proxy sent); with no host known the body is left as it is.
 * Matching is plain, case-sensitive text. Bodies are bounded as for find-and-replace.
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { OutpostError } from '../../shared/errors.js';
import { allowOnly } from './attributes.js';
import { MAX_BODY, replaceBody } from './set-body.js';
import { bodyText } from './message-body.js';

interface Config { response: boolean }

const HOST = /^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

export const redirectContentUrls: PolicyFactory<Config> = {
  name: 'redirect-content-urls',
  sections: ['inbound', 'outbound'],
  compile(el, at) {
    allowOnly(el, at, []);
    if (el.text !== '') throw new PolicyCompileError(at, null, 'redirect-content-urls holds no text');
    return { response: at.section === 'outbound' };
  },
  create(config): PolicyInstance {
    const response = config.response;
    return {
      run(ctx: RequestContext): Outcome {
        const backend = backendBaseUrl(ctx);
        const gateway = gatewayBaseUrl(ctx);
        if (backend === null || gateway === null || backend === gateway) return CONTINUE;
        const from = response ? backend : gateway;
        const to = response ? gateway : backend;
        const text = bodyText(ctx, response, 'redirect-content-urls');
        if (text === null || !text.includes(from)) return CONTINUE;
        const out = Buffer.from(text.split(from).join(to));
        if (out.length > MAX_BODY) throw new OutpostError('OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE', `redirect-content-urls: the rewritten body is over ${MAX_BODY} bytes`);
        replaceBody(ctx, response, out);
        return CONTINUE;
      },
    };
  },
};

/** The backend's base URL as requests are forwarded now, without a trailing slash; null outside a gateway request. */
export function backendBaseUrl(ctx: RequestContext): string | null {
  const api = ctx.apiMeta;
  if (api === null && ctx.backendOrigin === null) return null;
  const origin = ctx.backendOrigin ?? api!.origin;
  return origin + (ctx.backendBasePath ?? api?.basePath ?? '');
}

/** The gateway's URL for the API as the client called it (scheme, host, API suffix); null when the host is unknown. */
export function gatewayBaseUrl(ctx: RequestContext): string | null {
  const host = ctx.header('x-forwarded-host');
  if (host === null || !HOST.test(host)) return null;
  const proto = (ctx.header('x-forwarded-proto') ?? 'http').split(',')[0].trim().toLowerCase();
  const scheme = proto === 'https' ? 'https' : 'http';
  const suffix = ctx.apiMeta === null || ctx.apiMeta.path === '' ? '' : `/${ctx.apiMeta.path}`;
  return `${scheme}://${host}${suffix}`;
}
