/**
 * What rate-limit-by-key and quota-by-key count per request, and against which limit, when APIM's
 * attributes take policy expressions:
 * - `calls` may be an expression (`@((int)context.Variables["tpm-limit"])`): evaluated per request,
 *   it must give a whole number from 0 to MAX_CALLS, else the request fails to on-error with
 *   OUTPOST_ERR_LIMIT_VALUE_INVALID (a limit is never guessed);
 * - `increment-count` (default 1) may be a constant or an expression (0 to MAX_INCREMENT; 0 counts
 *   nothing);
 * - `increment-condition` is a boolean expression: whether the request counts.
 * As APIM documents, an increment-condition or an expression increment-count defers evaluation
 * and the increment to the end of the request (after outbound), so they can read
 * context.Response (`@(context.Response.StatusCode != 429)`, the tokens a backend reported). The
 * policy then checks the count so far when it runs and counts when the request ends
 * (RequestContext.atEnd); an expression that throws there counts nothing (the answer is gone).
 */
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { bindConditionProgram, bindTemplate, hasExpression, type Program, type Template } from '../pipeline/expression/index.js';
import { conditionAttr, intAttr, templateValue } from './attributes.js';
import { OutpostError } from '../../shared/errors.js';
import type { RequestContext } from '../pipeline/context.js';

/** A count per request an expression may give (the counters saturate at 2^31 - 1 anyway). */
export const MAX_INCREMENT = 1_000_000_000;

/** A limit given as a constant or an expression. */
export type LimitValue = { k: 'const'; v: number } | { k: 'expr'; t: Template; source: string };

export interface IncrementSpec {
  count: LimitValue;
  /** null: every request counts. */
  condition: Program | null;
}

/** An attribute that is a whole number in [min, max] or a policy expression checked per request. */
export function compileLimitValue(el: PolicyElement, at: PolicyLocation, attr: string, range: { min: number; max: number }, fallback?: number): LimitValue {
  const raw = el.attrs[attr];
  if (raw !== undefined && hasExpression(raw)) {
    const t = templateValue(at, attr, raw);
    if (t.k !== 'code') throw new PolicyCompileError(at, attr, 'must be a whole number or one policy expression (@(…) or @{…}), not text around one');
    return { k: 'expr', t, source: raw.trim() };
  }
  return { k: 'const', v: intAttr(el, at, attr, range, fallback) };
}

export function compileIncrement(el: PolicyElement, at: PolicyLocation): IncrementSpec {
  const count = compileLimitValue(el, at, 'increment-count', { min: 0, max: MAX_INCREMENT }, 1);
  const condition = el.attrs['increment-condition'] === undefined ? null : conditionAttr(el, at, 'increment-condition');
  return { count, condition };
}

/** Whether the increment waits for the end of the request (APIM: any expression in it). */
export function isDeferred(spec: IncrementSpec): boolean {
  return spec.condition !== null || spec.count.k === 'expr';
}

/** The source of a limit value, for policy ids (a change of limit is a new declaration). */
export function describeLimitValue(v: LimitValue): string {
  return v.k === 'const' ? String(v.v) : v.source;
}

/** Per request: the value, or OUTPOST_ERR_LIMIT_VALUE_INVALID naming the attribute. */
export function bindLimitValue(v: LimitValue, attr: string, max: number): (ctx: RequestContext) => number {
  if (v.k === 'const') { const n = v.v; return () => n; }
  const evaluate = bindTemplate(v.t);
  return (ctx) => {
    const raw = evaluate(ctx);
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d{1,10}\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > max) {
      const shown = typeof raw === 'string' ? JSON.stringify(raw.slice(0, 40)) : String(raw).slice(0, 40);
      throw new OutpostError('OUTPOST_ERR_LIMIT_VALUE_INVALID', `${attr} computed by the expression must be a whole number from 0 to ${max}, got ${shown}`);
    }
    return n;
  };
}

/**
 * How much this request counts, evaluated when it ends (deferred) or when the policy runs: 0 when
 * the condition is false, the count is 0, or (deferred) an expression fails after the answer.
 */
export function bindIncrement(spec: IncrementSpec): (ctx: RequestContext) => number {
  const countOf = bindLimitValue(spec.count, 'increment-count', MAX_INCREMENT);
  if (spec.condition === null) return countOf;
  const holds = bindConditionProgram(spec.condition);
  return (ctx) => (holds(ctx) ? countOf(ctx) : 0);
}
