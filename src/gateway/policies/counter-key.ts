/**
 * What a by-key policy (rate-limit-by-key, quota-by-key, limit-concurrency) keys on: a policy
 * expression as in APIM (`@(context.Subscription.Id)`, `@(context.Request.IpAddress)`), or a
 * named form: `subscription`, `ip`, `header:<name>` or `claim:<name>` (a validated JWT's claim).
 * Checked at compile time; read per request. A computed key longer than MAX_KEY characters is
 * replaced by its SHA-256, so a client cannot make counter keys of unbounded size.
 */
import { createHash } from 'node:crypto';
import { bindStringTemplate, hasExpression, type Program } from '../pipeline/expression/index.js';
import { templateValue } from './attributes.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { stringAttr } from './attributes.js';
import { isToken } from '../../shared/http-syntax.js';
import type { RequestContext } from '../pipeline/context.js';

const KEY_FORMS = /^(subscription|ip|header:.+|claim:[^\s]+)$/;

const MAX_KEY = 256;

/**
 * A compiled key: what to read, and the header (lowercased) or claim name; an expression (name:
 * its source); or a constant (name: the text), one counter for every request.
 */
export type CounterKey = { kind: 'subscription' | 'ip' | 'header' | 'claim' | 'constant'; name: string } | { kind: 'expression'; name: string; program: Program };

/**
 * `constants`: any other text is a constant key (APIM's counter-key is any value; the LLM token
 * limits take it so); otherwise it is an error, as a likely typo of a named form.
 */
export function compileCounterKey(el: PolicyElement, at: PolicyLocation, attr: string, constants = false): CounterKey {
  const raw = stringAttr(el, at, attr);
  if (hasExpression(raw)) {
    const t = templateValue(at, attr, raw);
    if (t.k === 'code') return { kind: 'expression', name: raw.trim(), program: t.p };
  }
  if (constants && !KEY_FORMS.test(raw)) {
    if (raw.length > MAX_KEY) throw new PolicyCompileError(at, attr, `must be at most ${MAX_KEY} characters`);
    return { kind: 'constant', name: raw };
  }
  if (!KEY_FORMS.test(raw) || (raw.startsWith('header:') && !isToken(raw.slice(7)))) throw new PolicyCompileError(at, attr, `must be subscription, ip, header:<name> or claim:<name>, got ${JSON.stringify(raw)}`);
  const colon = raw.indexOf(':');
  if (colon < 0) return { kind: raw as 'subscription' | 'ip', name: '' };
  const kind = raw.slice(0, colon) as 'header' | 'claim';
  const name = raw.slice(colon + 1);
  return { kind, name: kind === 'header' ? name.toLowerCase() : name };
}

/** The key as a function of the request, bound once per worker. */
export function bindCounterKey(key: CounterKey): (ctx: RequestContext) => string {
  if (key.kind !== 'expression') return (ctx) => counterKeyOf(key, ctx);
  const f = bindStringTemplate({ k: 'code', p: key.program });
  return (ctx) => {
    const v = f(ctx);
    return v.length <= MAX_KEY ? v : `sha256:${createHash('sha256').update(v).digest('hex')}`;
  };
}

/** The request's value for a named key; '' when absent (all such requests share one counter). */
export function counterKeyOf(key: CounterKey, ctx: RequestContext): string {
  switch (key.kind) {
    case 'expression': return bindCounterKey(key)(ctx);
    case 'subscription': return ctx.subscription?.id ?? '';
    case 'ip': return ctx.clientIp;
    case 'header': return ctx.header(key.name) ?? '';
    case 'claim': return ctx.claim(key.name) ?? '';
    case 'constant': return key.name;
  }
}

/** The key as written, for policy ids (`header:x-client`). */
export function describeCounterKey(key: CounterKey): string {
  return key.kind === 'expression' || key.kind === 'constant' ? key.name : key.name === '' ? key.kind : `${key.kind}:${key.name}`;
}
