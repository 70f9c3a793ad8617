/**
 * The one door through which the cache policies read every attribute APIM allows a policy
 * expression in (keys, values, durations, vary-by flags...). Today it accepts constants only and
 * refuses `@(...)` / `@{...}` with a clear compile error; when the expression engine lands, this
 * is the single function to swap for one that compiles the expression.
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

/**
 * THE gate: the one place a value that could be a policy expression is accepted. Today: constants
 * only. Swapped for the expression engine's compile at merge (every caller goes through here).
 */
export function constantValue(at: PolicyLocation, name: string, raw: string): string {
  if (raw.startsWith('@(') || raw.startsWith('@{')) throw new PolicyCompileError(at, name, 'policy expressions are not supported yet');
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

/** A cache key of the cache-*-value policies: printable, bounded (it travels to Redis as is). */
export function keyValue(el: PolicyElement, at: PolicyLocation, name = 'key'): string {
  const key = policyValue(el, at, name);
  if (key.length > 1024) throw new PolicyCompileError(at, name, 'must be at most 1024 characters');
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new PolicyCompileError(at, name, 'must not contain control characters');
  return key;
}
