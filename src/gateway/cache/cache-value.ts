/**
 * cache-lookup-value, cache-store-value, cache-remove-value (APIM's policies and attributes):
 * values by key, shared by every API of the gateway (and, external, of every gateway on the same
 * Redis). A looked-up value lands in a context variable (`variable-name`) that other policies read.
 * Keys live under `cv:` (after gateway.redis.keyPrefix in Redis), so they never meet response
 * entries (`rc:`). Stores and removes do not wait (a failed external write only means a later
 * miss); a lookup waits on Redis within its command budget, so in outbound (which cannot wait)
 * it must be caching-type="internal".
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import type { RequestContext } from '../pipeline/context.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly } from '../policies/attributes.js';
import { durationValue, enumValue, keyValue, policyValue } from './policy-value.js';
import { CACHING_TYPES, cacheStoresOf, type CachingType } from './cache-stores.js';
import { decodeValue, encodeValue } from './cache-entry.js';

const ALL_SECTIONS = ['inbound', 'backend', 'outbound', 'on-error'] as const;
const VALUE_PREFIX = 'cv:';
/** A constant value is part of the config; this keeps one from bloating every worker's table. */
const MAX_CONSTANT_VALUE = 64 * 1024;

interface LookupConfig { key: string; variable: string; fallback: string | null; cachingType: CachingType }
interface StoreConfig { key: string; value: string; durationSeconds: number; cachingType: CachingType }
interface RemoveConfig { key: string; cachingType: CachingType }

export const cacheLookupValue: PolicyFactory<LookupConfig> = {
  name: 'cache-lookup-value',
  sections: ALL_SECTIONS,
  compile(el, at) {
    allowOnly(el, at, ['key', 'variable-name', 'default-value', 'caching-type']);
    const cachingType = enumValue(el, at, 'caching-type', CACHING_TYPES, 'prefer-external');
    if (at.section === 'outbound' && cachingType !== 'internal') {
      throw new PolicyCompileError(at, 'caching-type', 'in outbound must be "internal" (outbound cannot wait on Redis)');
    }
    const variable = policyValue(el, at, 'variable-name');
    if (variable.length > 256) throw new PolicyCompileError(at, 'variable-name', 'must be at most 256 characters');
    const fallback = el.attrs['default-value'] === undefined ? null : policyValue(el, at, 'default-value', '');
    return { key: VALUE_PREFIX + keyValue(el, at), variable, fallback, cachingType };
  },
  create(config, services): PolicyInstance {
    const stores = cacheStoresOf(services);
    const assign = (ctx: RequestContext, bytes: Buffer | null): Outcome => {
      const decoded = bytes === null ? null : decodeValue(bytes);
      const found = decoded !== null && decoded.ok;
      ctx.setVariable(config.variable, found ? decoded.value : config.fallback);
      return CONTINUE;
    };
    return {
      run(ctx: RequestContext): Outcome | Promise<Outcome> {
        const found = stores.get(config.key, config.cachingType);
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
    // APIM's value is an expression; until the engine lands it is a constant string.
    const value = policyValue(el, at, 'value', '');
    if (value.length > MAX_CONSTANT_VALUE) throw new PolicyCompileError(at, 'value', `must be at most ${MAX_CONSTANT_VALUE} characters`);
    return { key: VALUE_PREFIX + keyValue(el, at), value, durationSeconds: durationValue(el, at), cachingType: enumValue(el, at, 'caching-type', CACHING_TYPES, 'prefer-external') };
  },
  create(config, services): PolicyInstance {
    const stores = cacheStoresOf(services);
    const bytes = encodeValue(config.value);
    const ttlMs = config.durationSeconds * 1000;
    return {
      run(): Outcome {
        if (bytes.length <= stores.maxEntryBytes) stores.set(config.key, bytes, ttlMs, config.cachingType);
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
    return { key: VALUE_PREFIX + keyValue(el, at), cachingType: enumValue(el, at, 'caching-type', CACHING_TYPES, 'prefer-external') };
  },
  create(config, services): PolicyInstance {
    const stores = cacheStoresOf(services);
    return {
      run(): Outcome {
        const removed = stores.del(config.key, config.cachingType);
        if (removed instanceof Promise) removed.catch(() => undefined);
        return CONTINUE;
      },
    };
  },
};
