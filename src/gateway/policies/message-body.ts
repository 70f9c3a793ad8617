/**
 * The message a body policy works on: the request's in inbound and backend, the response's in
 * outbound and on-error (as set-body and find-and-replace). Reading a request body that streams
 * (chunked, or over the buffered size) is refused with OUTPOST_ERR_BODY_TOO_LARGE (413): the
 * gateway never holds an unbounded body.
 */
import type { RequestContext } from '../pipeline/context.js';
import type { PolicyLocation } from '../pipeline/policy-element.js';
import { OutpostError } from '../../shared/errors.js';

/** True when the policy at `at` works on the response. */
export function onResponse(at: PolicyLocation): boolean {
  return at.section === 'outbound' || at.section === 'on-error';
}

/** The body as text, or null when there is none. `policy` names the policy in the 413's message. */
export function bodyText(ctx: RequestContext, response: boolean, policy: string): string | null {
  if (!response && ctx.requestBodyStreamed) throw new OutpostError('OUTPOST_ERR_BODY_TOO_LARGE', `${policy} cannot read a streamed request body (chunked or over 64 KiB)`);
  const body = response ? ctx.response?.body ?? null : ctx.requestBody;
  if (body === null) return null;
  return typeof body === 'string' ? body : body.toString('utf8');
}

/** The message's Content-Type (lowercase, as sent), or ''. */
export function contentType(ctx: RequestContext, response: boolean): string {
  if (!response) return (ctx.header('content-type') ?? '').toLowerCase();
  const h = ctx.response?.headers ?? [];
  for (let i = 0; i < h.length; i += 2) if (h[i] === 'content-type') return h[i + 1].toLowerCase();
  return '';
}

/** Replaces the message's Content-Type. */
export function setContentType(ctx: RequestContext, response: boolean, value: string): void {
  if (!response) {
    ctx.removeHeader('content-type');
    ctx.headers.push('content-type', value);
    return;
  }
  const h = ctx.responseHeaders();
  for (let i = h.length - 2; i >= 0; i -= 2) if (h[i] === 'content-type') h.splice(i, 2);
  h.push('content-type', value);
}

/**
 * consider-accept-header="true": whether the client's Accept header asks for `kind` (json or
 * xml). No Accept header, or one naming any type (`*\/*`), counts as asking: the conversion then
 * applies, as it would with the attribute false.
 */
export function acceptAsksFor(ctx: RequestContext, kind: 'json' | 'xml'): boolean {
  const accept = ctx.header('accept');
  if (accept === null || accept.trim() === '') return true;
  const a = accept.toLowerCase();
  return a.includes('*/*') || a.includes(kind);
}
