/**
 * set-body (APIM): replaces the message body: the request's in inbound and backend, the
 * response's in outbound and on-error. The value is plain text, a policy expression (a string as
 * is; a JObject or JArray serialised as JSON, as Newtonsoft's ToString does), or with
 * template="liquid" a Liquid template (liquid-body.ts). The new body is at most MAX_BODY bytes;
 * Content-Length is the gateway's to write (the old one is dropped).
 *
 * In outbound the gateway holds the backend's whole response (bounded, policy-exchange.ts) so the
 * body can be read (context.Response.Body) and replaced. In inbound the request body is buffered
 * before inbound runs when it has a Content-Length of at most 64 KiB; a chunked or larger body
 * streams, and a set-body on it fails with OUTPOST_ERR_BODY_TOO_LARGE (413).
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import { OutpostError } from '../../shared/errors.js';
import { allowOnly, enumAttr, templateValue } from './attributes.js';
import { parseLiquid, renderLiquid } from './liquid-body.js';

export const MAX_BODY = 1024 * 1024;

interface Config { response: boolean; liquid: string | null; value: Template | null }

export const setBody: PolicyFactory<Config> = {
  name: 'set-body',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['template', 'xsi-nil', 'parse-date']);
    const template = enumAttr(el, at, 'template', ['liquid', 'none'] as const, 'none');
    enumAttr(el, at, 'xsi-nil', ['blank', 'null'] as const, 'blank');
    enumAttr(el, at, 'parse-date', ['true', 'false'] as const, 'true');
    if (el.text.length > MAX_BODY) throw new PolicyCompileError(at, null, `the body must be at most ${MAX_BODY} characters`);
    const response = at.section === 'outbound' || at.section === 'on-error';
    if (template === 'liquid') {
      try { parseLiquid(el.text); } catch (err) { throw new PolicyCompileError(at, 'template', `not a valid Liquid template: ${(err as Error).message.split('\n')[0].slice(0, 200)}`); }
      return { response, liquid: el.text, value: null };
    }
    return { response, liquid: null, value: templateValue(at, 'set-body', el.text) };
  },
  create(config): PolicyInstance {
    const target = config.response ? 'response' : 'request';
    let render: (ctx: RequestContext) => string;
    if (config.liquid !== null) {
      const tpl = parseLiquid(config.liquid);
      render = (ctx) => renderLiquid(tpl, ctx, target, MAX_BODY);
    } else {
      render = bindStringTemplate(config.value!);
    }
    return {
      run(ctx: RequestContext): Outcome {
        if (!config.response && ctx.requestBodyStreamed) throw new OutpostError('OUTPOST_ERR_BODY_TOO_LARGE', 'set-body cannot replace a streamed request body (chunked or over 64 KiB)');
        const body = Buffer.from(render(ctx));
        if (body.length > MAX_BODY) throw new OutpostError('OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE', `the new body is over ${MAX_BODY} bytes`);
        replaceBody(ctx, config.response, body);
        return CONTINUE;
      },
    };
  },
};

/** Puts `body` where the backend (request) or the client (response) gets it. */
export function replaceBody(ctx: RequestContext, response: boolean, body: Buffer): void {
  if (response) {
    const r = (ctx.response ??= { status: 200, reason: 'OK', headers: [], body: null });
    r.body = body;
    return;
  }
  ctx.requestBody = body;
  ctx.requestBodyReplaced = true;
}
