/**
 * cache-lookup-value, cache-store-value, cache-remove-value (APIM's policies and attributes):
 * values by key, shared by every API of the gateway (and, external, of every gateway on the same
 * Redis). A looked-up value lands in a context variable (`variable-name`) that other policies read.
 * Keys live under `cv:` (after gateway.redis.keyPrefix in Redis), so they never meet response
 * entries (`rc:`). Stores and removes do not wait (a failed external write only means a later
 * miss); a lookup waits on Redis within its command budget. In outbound that wait is possible
 * only once the backend's whole answer is held: a chain whose outbound holds a lookup that may
 * ask Redis (external, prefer-external) buffers the response (bounded, as for send-request in
 * outbound; chain-runtime.ts), so the headers are not sent before the lookup answers.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import type { RequestContext } from '../pipeline/context.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { allowOnly, templateValue } from '../policies/attributes.js';
import { bindStringTemplate, bindTemplate, type Template } from '../pipeline/expression/index.js';
import { CsRuntimeError } from '../pipeline/expression/csharp/cs-error.js';
import { bindDuration, durationTemplate, enumValue, policyValue, type Duration } from './policy-value.js';
import { CACHING_TYPES, cacheStoresOf, type CachingType } from './cache-stores.js';
import { decodeValue, encodeValue } from './cache-entry.js';

const ALL_SECTIONS = ['inbound', 'backend', 'outbound', 'on-error'] as const;
const VALUE_PREFIX = 'cv:';
/** A constant value is part of the config; this keeps one from bloating every worker's table. */
const MAX_CONSTANT_VALUE = 64 * 1024;

/** Longest key, as written or as an expression computes it (it travels to Redis as is). */
const MAX_KEY = 1024;
const CONTROL = /[\u0000-\u001f\u007f]/;

interface LookupConfig { key: Template; variable: string; fallback: Template | null; cachingType: CachingType }
interface StoreConfig { key: Template; value: Template; duration: Duration; cachingType: CachingType }
interface RemoveConfig { key: Template; cachingType: CachingType }

/** A key: a constant (checked now) or a policy expression (checked per request by keyOf). */
function keyTemplate(el: PolicyElement, at: PolicyLocation): Template {
  const raw = el.attrs.key;
  if (raw === undefined || raw === '') throw new PolicyCompileError(at, 'key', 'is required');
  const t = templateValue(at, 'key', raw);
  if (t.k === 'text' && (t.v.length > MAX_KEY || CONTROL.test(t.v))) throw new PolicyCompileError(at, 'key', `must be at most ${MAX_KEY} characters without control characters`);
  return t;
}

/**
 * The request's key, under `cv:`. A computed key that is too long or holds control characters is
 * an expression failure (on-error), never a key a client could make unbounded.
 */
function bindKey(t: Template): (ctx: RequestContext) => string {
  const f = bindStringTemplate(t);
  return (ctx) => {
    const key = f(ctx);
    if (key.length > MAX_KEY || CONTROL.test(key)) throw new CsRuntimeError('ArgumentException', `The computed cache key must be at most ${MAX_KEY} characters without control characters.`);
    return VALUE_PREFIX + key;
  };
}

export const cacheLookupValue: PolicyFactory<LookupConfig> = {
  name: 'cache-lookup-value',
  sections: ALL_SECTIONS,
  compile(el, at) {
    allowOnly(el, at, ['key', 'variable-name', 'default-value', 'caching-type']);
    const cachingType = enumValue(el, at, 'caching-type', CACHING_TYPES, 'prefer-external');
    const variable = policyValue(el, at, 'variable-name');
    if (variable.length > 256) throw new PolicyCompileError(at, 'variable-name', 'must be at most 256 characters');
    const fallback = el.attrs['default-value'] === undefined ? null : templateValue(at, 'default-value', el.attrs['default-value']);
    return { key: keyTemplate(el, at), variable, fallback, cachingType };
  },
  create(config, services): PolicyInstance {
    const stores = cacheStoresOf(services);
    const keyOf = bindKey(config.key);
    const fallbackOf = config.fallback === null ? () => null : bindTemplate(config.fallback);
    const assign = (ctx: RequestContext, bytes: Buffer | null): Outcome => {
      const decoded = bytes === null ? null : decodeValue(bytes);
      const found = decoded !== null && decoded.ok;
      ctx.setVariable(config.variable, found ? decoded.value : fallbackOf(ctx));
      return CONTINUE;
    };
    return {
      run(ctx: RequestContext): Outcome | Promise<Outcome> {
        const found = stores.get(keyOf(ctx), config.cachingType);
        return found instanceof Promise ? found.then((b) => assign(ctx, b)) : assign(ctx, found);
      },
    };
  },
};

export const cacheStoreValue: PolicyFactory<StoreConfig> = {
  name: 'cache-store-value',
  sections: ALL_SECTIONS,
  compile(el, at) {
    allowOnly(el, at, ['key', 'value', 'duration', 'caching-type']);
    // A constant, or (usually, in APIM) a policy expression whose value is stored as it is typed.
    const raw = el.attrs.value ?? '';
    if (raw.length > MAX_CONSTANT_VALUE) throw new PolicyCompileError(at, 'value', `must be at most ${MAX_CONSTANT_VALUE} characters`);
    return { key: keyTemplate(el, at), value: templateValue(at, 'value', raw), duration: durationTemplate(el, at), cachingType: enumValue(el, at, 'caching-type', CACHING_TYPES, 'prefer-external') };
  },
  create(config, services): PolicyInstance {
    const stores = cacheStoresOf(services);
    const keyOf = bindKey(config.key);
    const constant = config.value.k === 'text' ? encodeValue(config.value.v) : null;
    const valueOf = bindTemplate(config.value);
    const textOf = bindStringTemplate(config.value);
    const secondsOf = bindDuration(config.duration);
    return {
      run(ctx: RequestContext): Outcome {
        // Strings, numbers, booleans and null keep their type; anything else (a JObject, a Jwt)
        // is stored as its text, which every reader can use.
        let bytes = constant;
        if (bytes === null) {
          const v = valueOf(ctx);
          bytes = encodeValue(v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : textOf(ctx));
        }
        if (bytes.length <= stores.maxEntryBytes) stores.set(keyOf(ctx), bytes, secondsOf(ctx) * 1000, config.cachingType);
        return CONTINUE;
      },
    };
  },
};

export const cacheRemoveValue: PolicyFactory<RemoveConfig> = {
  name: 'cache-remove-value',
  sections: ALL_SECTIONS,
  compile(el, at) {
    allowOnly(el, at, ['key', 'caching-type']);
    return { key: keyTemplate(el, at), cachingType: enumValue(el, at, 'caching-type', CACHING_TYPES, 'prefer-external') };
  },
  create(config, services): PolicyInstance {
    const stores = cacheStoresOf(services);
    const keyOf = bindKey(config.key);
    return {
      run(ctx: RequestContext): Outcome {
        const removed = stores.del(keyOf(ctx), config.cachingType);
        if (removed instanceof Promise) removed.catch(() => undefined);
        return CONTINUE;
      },
    };
  },
};
