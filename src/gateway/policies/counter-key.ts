/**
 * What a by-key policy (quota-by-key, limit-concurrency) keys on. Without C# expressions the key
 * is named, the same forms rate-limit-by-key accepts: `subscription`, `ip`, `header:<name>` or
 * `claim:<name>` (a validated JWT's claim). Checked at compile time; read per request.
 */
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { stringAttr } from './attributes.js';
import { isToken } from '../../shared/http-syntax.js';
import type { RequestContext } from '../pipeline/context.js';

const KEY_FORMS = /^(subscription|ip|header:.+|claim:[^\s]+)$/;

/** A compiled key: what to read, and the header (lowercased) or claim name. */
export interface CounterKey { kind: 'subscription' | 'ip' | 'header' | 'claim'; name: string }

export function compileCounterKey(el: PolicyElement, at: PolicyLocation, attr: string): CounterKey {
  const raw = stringAttr(el, at, attr);
  if (!KEY_FORMS.test(raw) || (raw.startsWith('header:') && !isToken(raw.slice(7)))) throw new PolicyCompileError(at, attr, `must be subscription, ip, header:<name> or claim:<name>, got ${JSON.stringify(raw)}`);
  const colon = raw.indexOf(':');
  if (colon < 0) return { kind: raw as 'subscription' | 'ip', name: '' };
  const kind = raw.slice(0, colon) as 'header' | 'claim';
  const name = raw.slice(colon + 1);
  return { kind, name: kind === 'header' ? name.toLowerCase() : name };
}

/** The request's value for the key; '' when absent (all such requests share one counter). */
export function counterKeyOf(key: CounterKey, ctx: RequestContext): string {
  switch (key.kind) {
    case 'subscription': return ctx.subscription?.id ?? '';
    case 'ip': return ctx.clientIp;
    case 'header': return ctx.header(key.name) ?? '';
    case 'claim': return ctx.claim(key.name) ?? '';
  }
}

/** The key as written, for policy ids (`header:x-client`). */
export function describeCounterKey(key: CounterKey): string {
  return key.name === '' ? key.kind : `${key.kind}:${key.name}`;
}
