/**
 * Constant attributes of the cache policies (durations, caching types, vary-by flags, variable
 * names). The keys and values of the cache-*-value policies take policy expressions and are
 * compiled by the expression engine (cache-value.ts); the attributes read here do not evaluate
 * one, so `@(...)` / `@{...}` in them is a compile error rather than a literal.
 */
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';

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

/** A whole number of seconds (cache durations): required, 1 s to one year. */
export function durationValue(el: PolicyElement, at: PolicyLocation, name = 'duration'): number {
  const raw = policyValue(el, at, name);
  if (!/^\d{1,9}$/.test(raw)) throw new PolicyCompileError(at, name, `must be a whole number of seconds, got "${raw}"`);
  const n = Number(raw);
  if (n < 1 || n > 31_536_000) throw new PolicyCompileError(at, name, `must be between 1 and 31536000 seconds, got ${n}`);
  return n;
}
