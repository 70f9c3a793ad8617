/**
 * Values that policies write (header values, query values, reason phrases) when they come from a
 * policy expression: known only per request, so checked per request. A constant is checked once
 * at compile time by the policy (attributes.ts headerValue); a computed one that is not valid
 * HTTP fails the policy to on-error (it is never written, so no header can be split).
 */
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import { CsRuntimeError } from '../pipeline/expression/csharp/cs-error.js';
import { headerValueProblem, reasonPhraseProblem } from '../../shared/http-syntax.js';
import type { RequestContext } from '../pipeline/context.js';

/** A header value per request: the expression's text without surrounding spaces, refused if not a field value. */
export function bindHeaderValue(t: Template, what: string): (ctx: RequestContext) => string {
  const f = bindStringTemplate(t);
  if (t.k === 'text') return f;
  return (ctx) => {
    const v = f(ctx).trim();
    const problem = headerValueProblem(v);
    if (problem !== null) throw new CsRuntimeError('ArgumentException', `The ${what} computed by the expression ${problem}.`);
    return v;
  };
}

export function bindReasonPhrase(t: Template): (ctx: RequestContext) => string {
  const f = bindStringTemplate(t);
  if (t.k === 'text') return f;
  return (ctx) => {
    const v = f(ctx);
    const problem = reasonPhraseProblem(v);
    if (problem !== null) throw new CsRuntimeError('ArgumentException', `The reason computed by the expression ${problem}.`);
    return v;
  };
}

/** A whole-number value per request (set-status code), within [min, max]. */
export function bindIntValue(t: Template, what: string, min: number, max: number): (ctx: RequestContext) => number {
  const f = bindStringTemplate(t);
  return (ctx) => {
    const s = f(ctx).trim();
    const n = /^-?\d+$/.test(s) ? Number(s) : NaN;
    if (!(n >= min && n <= max)) throw new CsRuntimeError('ArgumentException', `The ${what} computed by the expression must be a whole number between ${min} and ${max}.`);
    return n;
  };
}
