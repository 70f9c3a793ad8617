/**
 * cache-store (outbound, APIM's policy and attributes): stores the response of a GET that
 * cache-lookup missed, for `duration` seconds (a constant or a policy expression). Only 200 unless cache-response="true" (then any
 * final status but 206 and 304). Never stored: Cache-Control no-store, Cache-Control private
 * (unless cache-lookup allowed private responses), a Set-Cookie, `Vary: *` or a Vary on
 * X-Forwarded-For, a body over gateway.cache.maxEntryBytes. The body is copied as
 * it streams to the client (response-capture.ts); nothing waits for the store.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import type { RequestContext } from '../pipeline/context.js';
import { allowOnly } from '../policies/attributes.js';
import { bindDuration, boolValue, durationTemplate, type Duration } from './policy-value.js';
import { cacheStoresOf } from './cache-stores.js';
import { ResponseCapture } from './response-capture.js';
import { addBodyTap } from '../pipeline/body-taps.js';
import { downstreamCacheControl, type ResponseStorePlan } from './store-plan.js';

interface Config {
  duration: Duration;
  anyStatus: boolean;
}

export const cacheStore: PolicyFactory<Config> = {
  name: 'cache-store',
  sections: ['outbound'],
  compile(el, at) {
    allowOnly(el, at, ['duration', 'cache-response']);
    return { duration: durationTemplate(el, at), anyStatus: boolValue(el, at, 'cache-response', false) };
  },
  create(config, services): PolicyInstance {
    const stores = cacheStoresOf(services);
    const secondsOf = bindDuration(config.duration);
    return {
      run(ctx: RequestContext): Outcome {
        const plan = ctx.cacheStore;
        const response = ctx.response;
        if (plan === null || response === null) return CONTINUE;
        ctx.cacheStore = null; // one store per response, even with cache-store written twice
        const status = response.status;
        if (config.anyStatus ? status < 200 || status === 206 || status === 304 : status !== 200) return CONTINUE;
        if (!storable(response.headers, plan)) return CONTINUE;
        const seconds = secondsOf(ctx);
        const control = downstreamCacheControl(plan, seconds);
        if (control !== null) setHeader(response.headers, 'cache-control', control);
        addBodyTap(ctx, new ResponseCapture(stores, plan, seconds * 1000, services.now));
        return CONTINUE;
      },
    };
  },
};

/** What the backend (and earlier outbound policies) said about storing this response. */
function storable(headers: string[], plan: ResponseStorePlan): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name === 'set-cookie') return false;
    if (name === 'cache-control') {
      const directives = headers[i + 1].toLowerCase().split(',').map((d) => d.trim().split('=')[0]);
      if (directives.includes('no-store')) return false;
      if (!plan.allowPrivate && directives.includes('private')) return false;
    } else if (name === 'vary') {
      // Unkeyed request headers never reach the backend (store-plan.ts), so a Vary on one of them
      // describes the same request for every client of this key. Not so for `*`, or for the
      // client's address, which the gateway always sends and never keys.
      for (const raw of headers[i + 1].split(',')) {
        const varied = raw.trim().toLowerCase();
        if (varied === '*' || varied === 'x-forwarded-for') return false;
      }
    }
  }
  return true;
}

function setHeader(list: string[], name: string, value: string): void {
  for (let i = list.length - 2; i >= 0; i -= 2) if (list[i] === name) list.splice(i, 2);
  list.push(name, value);
}
