/**
 * rate-limit and rate-limit-by-key: fixed windows of `renewal-period` seconds, counted in the
 * node-wide shared counters (exact across workers). Every request counts, rejected ones too (as
 * APIM). Over the limit: 429 with Retry-After and APIM's message, through the respond outcome.
 *
 * rate-limit counts per subscription (anonymous requests share one counter); rate-limit-by-key
 * counts per `counter-key`, which, without C# expressions, names what to key on:
 * `subscription`, `ip`, `header:<name>` or `claim:<name>` (a validated JWT's claim).
 */
import { createHash } from 'node:crypto';
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, intAttr, stringAttr } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import type { WorkerServices } from '../pipeline/worker-services.js';

interface Config {
  /** Identifies this policy declaration: counters survive reloads while it stays the same. */
  id: string;
  calls: number;
  periodSec: number;
  key: string;
  remainingHeader: string | null;
  retryAfterHeader: string | null;
}

const KEY_FORMS = /^(subscription|ip|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|claim:[^\s]+)$/;

function compileLimit(byKey: boolean) {
  return (el: Parameters<PolicyFactory<Config>['compile']>[0], at: Parameters<PolicyFactory<Config>['compile']>[1]): Config => {
    const attrs = ['calls', 'renewal-period', 'remaining-calls-header-name', 'retry-after-header-name'];
    allowOnly(el, at, byKey ? [...attrs, 'counter-key'] : attrs);
    const key = byKey ? stringAttr(el, at, 'counter-key') : 'subscription';
    if (!KEY_FORMS.test(key)) throw new PolicyCompileError(at, 'counter-key', `must be subscription, ip, header:<name> or claim:<name>, got "${key}"`);
    const calls = intAttr(el, at, 'calls', { min: 1, max: 1_000_000_000 });
    const periodSec = intAttr(el, at, 'renewal-period', { min: 1, max: 31_536_000 });
    // A short digest of where and how the limit is declared: the counter key is hashed on every
    // request, so it is kept short; it stays the same across reloads while the declaration does.
    const declaration = `${el.name}|${at.scope}|${at.section}|${at.index}|${calls}|${periodSec}|${key}`;
    return {
      id: createHash('sha256').update(declaration).digest('base64url').slice(0, 12),
      calls, periodSec, key,
      remainingHeader: el.attrs['remaining-calls-header-name']?.toLowerCase() ?? null,
      retryAfterHeader: el.attrs['retry-after-header-name']?.toLowerCase() ?? null,
    };
  };
}

function keyOf(config: Config, ctx: RequestContext): string {
  switch (config.key) {
    case 'subscription': return ctx.subscription?.id ?? '';
    case 'ip': return ctx.clientIp;
    default: {
      const colon = config.key.indexOf(':');
      const name = config.key.slice(colon + 1);
      return config.key.startsWith('header:') ? ctx.header(name.toLowerCase()) ?? '' : ctx.claim(name) ?? '';
    }
  }
}

function createLimit(config: Config, services: WorkerServices) {
  return {
    run(ctx: RequestContext): Outcome {
      const nowSec = services.now() / 1000;
      const windowEnd = (Math.floor(nowSec / config.periodSec) + 1) * config.periodSec;
      // '\u0000' separates the policy from the request's key: overflow groups by policy.
      const count = services.counters.hit(`${config.id}\u0000${keyOf(config, ctx)}`, windowEnd);
      const retryAfter = Math.max(1, Math.ceil(windowEnd - nowSec));
      if (count <= config.calls) {
        if (config.remainingHeader) ctx.addResponseHeader(config.remainingHeader, String(config.calls - count));
        return CONTINUE;
      }
      const headers = ['content-type', 'application/json', 'retry-after', String(retryAfter), 'x-outpost-error', 'OUTPOST_ERR_RATE_LIMITED'];
      if (config.retryAfterHeader) headers.push(config.retryAfterHeader, String(retryAfter));
      if (config.remainingHeader) headers.push(config.remainingHeader, '0');
      ctx.respond(429, 'Too Many Requests', headers, JSON.stringify({ statusCode: 429, message: `Rate limit is exceeded. Try again in ${retryAfter} seconds.` }));
      return RESPOND;
    },
  };
}

export const rateLimit: PolicyFactory<Config> = { name: 'rate-limit', sections: ['inbound'], compile: compileLimit(false), create: createLimit };
export const rateLimitByKey: PolicyFactory<Config> = { name: 'rate-limit-by-key', sections: ['inbound'], compile: compileLimit(true), create: createLimit };
