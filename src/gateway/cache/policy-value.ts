/**
 * Constant attributes of the cache policies (caching types, vary-by flags, variable names). The
 * keys and values of the cache-*-value policies take policy expressions and are compiled by the
 * expression engine (cache-value.ts); so do durations (durationTemplate, as APIM allows); the
 * other attributes read here do not evaluate one, so `@(...)` / `@{...}` in them is a compile
 * error rather than a literal.
 */
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { bindTemplate, type Template } from '../pipeline/expression/index.js';
import { CsRuntimeError } from '../pipeline/expression/csharp/cs-error.js';
import { templateValue } from '../policies/attributes.js';
import type { RequestContext } from '../pipeline/context.js';

/** An attribute's constant text, or `fallback` when absent (undefined fallback: required). */
export function policyValue(el: PolicyElement, at: PolicyLocation, name: string, fallback?: string): string {
  const raw = el.attrs[name];
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new PolicyCompileError(at, name, 'is required');
  }
  return constantValue(at, name, raw);
}

/** A constant: a policy expression here would never be evaluated, so it is refused. */
export function constantValue(at: PolicyLocation, name: string, raw: string): string {
  if (raw.startsWith('@(') || raw.startsWith('@{')) throw new PolicyCompileError(at, name, 'policy expressions are not evaluated in this attribute');
  return raw;
}

export function boolValue(el: PolicyElement, at: PolicyLocation, name: string, fallback: boolean): boolean {
  const raw = policyValue(el, at, name, String(fallback));
  if (raw !== 'true' && raw !== 'false') throw new PolicyCompileError(at, name, `must be true or false, got "${raw}"`);
  return raw === 'true';
}

export function enumValue<T extends string>(el: PolicyElement, at: PolicyLocation, name: string, allowed: readonly T[], fallback: T): T {
  const raw = policyValue(el, at, name, fallback);
  if (!(allowed as readonly string[]).includes(raw)) throw new PolicyCompileError(at, name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/**
 * APIM's durations are .NET Int32 seconds, so real documents write 2147483647 for "forever"
 * (about 68 years). Both stores hold that: the LRU keeps a double of milliseconds, Redis a PX of
 * about 2.1e12 ms (an int64), and an entry that long still goes when the LRU needs the room or the
 * worker restarts (internal), or when Redis evicts it (external).
 */
export const MAX_DURATION_SEC = 2_147_483_647;

/** A whole number of seconds (cache durations): required, 1 s to 2147483647 s (APIM's Int32). */
export function durationValue(el: PolicyElement, at: PolicyLocation, name = 'duration'): number {
  const raw = policyValue(el, at, name);
  if (!/^\d{1,10}$/.test(raw)) throw new PolicyCompileError(at, name, `must be a whole number of seconds, got "${raw}"`);
  const n = Number(raw);
  if (n < 1 || n > MAX_DURATION_SEC) throw new PolicyCompileError(at, name, `must be between 1 and ${MAX_DURATION_SEC} seconds, got ${n}`);
  return n;
}

/** A cache duration as it travels in the table: seconds checked at compile time, or an expression. */
export type Duration = { k: 'seconds'; v: number } | { k: 'expr'; t: Template };

/**
 * A duration that may be a policy expression (APIM allows one in cache-store's and
 * cache-store-value's `duration`, e.g. the seconds a token endpoint said it lives); a constant is
 * checked now, as durationValue does.
 */
export function durationTemplate(el: PolicyElement, at: PolicyLocation, name = 'duration'): Duration {
  const raw = el.attrs[name];
  if (raw !== undefined && /^\s*@[({]/.test(raw)) return { k: 'expr', t: templateValue(at, name, raw) };
  return { k: 'seconds', v: durationValue(el, at, name) };
}

/**
 * Seconds per request. An expression must give a whole number (or its digits) from 1 s to
 * MAX_DURATION_SEC; anything else fails the request to on-error, as an exception in the expression would.
 */
export function bindDuration(d: Duration): (ctx: RequestContext) => number {
  if (d.k === 'seconds') { const v = d.v; return () => v; }
  const evaluate = bindTemplate(d.t);
  return (ctx) => {
    const v = evaluate(ctx);
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,10}\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > MAX_DURATION_SEC) {
      throw new CsRuntimeError('ArgumentOutOfRangeException', `duration must be a whole number of seconds from 1 to ${MAX_DURATION_SEC}, got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : String(v)}.`);
    }
    return n;
  };
}
