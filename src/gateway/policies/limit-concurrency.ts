/**
 * limit-concurrency (APIM): at most `max-count` requests with the same `key` run the policies it
 * encloses at once, on this node (key forms as quota-by-key: a policy expression, subscription,
 * ip, header:<name>, claim:<name>). Counted in the node-wide shared gauges (shared-gauges.ts),
 * exact across workers. Over the limit: 429 `{"statusCode":429,"message":"Too many concurrent
 * requests."}` with `x-outpost-error: OUTPOST_ERR_CONCURRENCY_LIMITED`; a rejected request holds
 * no slot and its enclosed policies do not run.
 *
 * As APIM, the slot is held while the enclosed policies run (send-request calls included) and
 * given back when they finish, however they finish. An enclosed <forward-request> (backend
 * section) means the forward itself is guarded: the slot is then held until the exchange ends
 * (RequestContext.atEnd). Written empty (`<limit-concurrency key="ip" max-count="5" />`, an
 * Outpost form), it guards the rest of the request the same way, from where it stands until the
 * response is done.
 */
import type { CompiledPolicy, PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome, type Section } from '../pipeline/phases.js';
import { describeLocation, mapCollecting, PolicyCompileError } from '../pipeline/policy-element.js';
import { childLocation } from '../pipeline/policy-document.js';
import { compileElement, type FactoryLookup } from '../pipeline/compile-element.js';
import { runSection, type RuntimeSection } from '../pipeline/run-section.js';
import { allowOnly, intAttr } from './attributes.js';
import { bindCounterKey, compileCounterKey, describeCounterKey, type CounterKey } from './counter-key.js';
import { declarationId } from './declaration-id.js';
import { errorBody } from '../../shared/errors.js';
import type { RequestContext } from '../pipeline/context.js';

interface Config {
  id: string;
  key: CounterKey;
  max: number;
  section: Section;
  /** The enclosed policies; empty: the slot is held until the exchange ends. */
  enclosed: CompiledPolicy[];
  /** An enclosed forward-request: the forward is guarded, so the slot is held until the exchange ends. */
  guardsForward: boolean;
}

const CODE = 'OUTPOST_ERR_CONCURRENCY_LIMITED';
const MAX_ENCLOSED = 64;

export function makeLimitConcurrency(lookup: FactoryLookup): PolicyFactory<Config> {
  return {
    name: 'limit-concurrency',
    sections: ['inbound', 'backend', 'outbound', 'on-error'],
    compile(el, at) {
      allowOnly(el, at, ['key', 'max-count'], el.children.map((c) => c.name));
      if (el.text !== '') throw new PolicyCompileError(at, null, 'limit-concurrency holds policies, not text');
      if (el.children.length > MAX_ENCLOSED) throw new PolicyCompileError(at, null, `limit-concurrency encloses at most ${MAX_ENCLOSED} policies`);
      const key = compileCounterKey(el, at, 'key');
      const max = intAttr(el, at, 'max-count', { min: 1, max: 1_000_000 });
      const enclosed = mapCollecting(el.children, (child, i) => {
        const childAt = childLocation(at, child.name, i);
        return { name: child.name, config: compileElement(lookup, child, childAt), at: describeLocation(childAt) };
      });
      return {
        id: declarationId(`${el.name}|${at.scope}|${at.section}|${at.index}|${max}|${describeCounterKey(key)}`),
        key, max, section: at.section as Section, enclosed,
        guardsForward: enclosed.some((p) => p.name === 'forward-request'),
      };
    },
    create(config, services): PolicyInstance {
      const keyOf = bindCounterKey(config.key);
      const gauges = services.gauges;
      if (gauges === undefined) throw new Error('limit-concurrency needs the node-wide gauges (WorkerServices.gauges)');
      const prefix = `${config.id}\u0000`;
      const body: RuntimeSection | null = config.enclosed.length === 0 ? null : {
        section: config.section,
        instances: config.enclosed.map((p) => lookup(p.name)!.create(p.config as never, services)),
        names: config.enclosed.map((p) => p.name),
      };
      const untilEnd = body === null || config.guardsForward;
      return {
        run(ctx: RequestContext): Outcome | Promise<Outcome> {
          const slot = gauges.acquire(prefix + keyOf(ctx), config.max);
          if (slot < 0) {
            ctx.respond(429, 'Too Many Requests', ['content-type', 'application/json', 'x-outpost-error', CODE], errorBody(CODE));
            return RESPOND;
          }
          if (untilEnd) {
            ctx.atEnd(() => gauges.release(slot));
            return body === null ? CONTINUE : runSection(body, ctx);
          }
          // runSection never throws and its promise never rejects (failures become FAIL): one release either way.
          const outcome = runSection(body!, ctx);
          if (typeof outcome === 'number') { gauges.release(slot); return outcome; }
          return outcome.finally(() => gauges.release(slot));
        },
      };
    },
  };
}
