/**
 * limit-concurrency: at most `max-count` requests with the same `key` in flight on this node at
 * once (key forms as quota-by-key: subscription, ip, header:<name>, claim:<name>). Counted in the
 * node-wide shared gauges (shared-gauges.ts), exact across workers: the slot is taken when the
 * policy runs and given back when the exchange ends, however it ends (RequestContext.atEnd).
 * Over the limit: 429 `{"statusCode":429,"message":"Too many concurrent requests."}` with
 * `x-outpost-error: OUTPOST_ERR_CONCURRENCY_LIMITED`; a rejected request holds no slot.
 *
 * APIM's limit-concurrency encloses the policies it guards; here it guards the rest of the
 * request, from where it stands until the response is done, so enclosed policies are a compile
 * error (write them after it instead).
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, intAttr } from './attributes.js';
import { bindCounterKey, compileCounterKey, describeCounterKey, type CounterKey } from './counter-key.js';
import { declarationId } from './declaration-id.js';
import { errorBody } from '../../shared/errors.js';
import type { RequestContext } from '../pipeline/context.js';

interface Config { id: string; key: CounterKey; max: number }

const CODE = 'OUTPOST_ERR_CONCURRENCY_LIMITED';

export const limitConcurrency: PolicyFactory<Config> = {
  name: 'limit-concurrency',
  sections: ['inbound', 'backend'],
  compile(el, at) {
    if (el.children.length > 0) throw new PolicyCompileError(at, null, 'enclosed policies are not supported: the limit holds from where it stands until the response is done; write them after it');
    allowOnly(el, at, ['key', 'max-count']);
    const key = compileCounterKey(el, at, 'key');
    const max = intAttr(el, at, 'max-count', { min: 1, max: 1_000_000 });
    return { id: declarationId(`${el.name}|${at.scope}|${at.section}|${at.index}|${max}|${describeCounterKey(key)}`), key, max };
  },
  create(config, services) {
    const keyOf = bindCounterKey(config.key);
    const gauges = services.gauges;
    if (gauges === undefined) throw new Error('limit-concurrency needs the node-wide gauges (WorkerServices.gauges)');
    const prefix = `${config.id}\u0000`;
    return {
      run(ctx: RequestContext): Outcome {
        const slot = gauges.acquire(prefix + keyOf(ctx), config.max);
        if (slot < 0) {
          ctx.respond(429, 'Too Many Requests', ['content-type', 'application/json', 'x-outpost-error', CODE], errorBody(CODE));
          return RESPOND;
        }
        ctx.atEnd(() => gauges.release(slot));
        return CONTINUE;
      },
    };
  },
};
