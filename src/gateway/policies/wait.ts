/**
 * wait (APIM): runs its immediate children at once (send-request, cache-lookup-value, choose)
 * and completes when all of them have (for="all", the default) or when the first has
 * (for="any"). Two send-requests under one wait are both on the wire before either answer is
 * awaited. Each child runs as a section of its own (run-section.ts), so a failing child names
 * itself in context.LastError.
 *
 * Outcome: with "all", the first child (in document order) that did not continue decides (a
 * failure goes to on-error, a return-response inside a choose answers), after every child has
 * finished, so nothing the children do overlaps the policies after the wait. With "any", the
 * first child to finish decides.
 *
 * Deviation from APIM: with for="any", APIM terminates the other children; Outpost cannot cancel
 * a call in flight, so they run to their end (within their own timeouts) and may still set their
 * response variables after the wait completed. `for` takes a literal value (no expression).
 */
import type { CompiledPolicy, PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome, type Section } from '../pipeline/phases.js';
import { describeLocation, mapCollecting, PolicyCompileError } from '../pipeline/policy-element.js';
import { childLocation } from '../pipeline/policy-document.js';
import { compileElement, type FactoryLookup } from '../pipeline/compile-element.js';
import { runSection, type RuntimeSection } from '../pipeline/run-section.js';
import type { RequestContext } from '../pipeline/context.js';
import { allowOnly, enumAttr } from './attributes.js';
import { literalOnly } from './json-to-xml.js';

interface Config { section: Section; any: boolean; children: CompiledPolicy[] }

const CHILDREN = ['send-request', 'cache-lookup-value', 'choose'];
const MAX_CHILDREN = 32;

export function makeWait(lookup: FactoryLookup): PolicyFactory<Config> {
  return {
    name: 'wait',
    sections: ['inbound', 'backend', 'outbound'],
    compile(el, at) {
      allowOnly(el, at, ['for'], CHILDREN);
      literalOnly(el, at, ['for']);
      if (el.text !== '') throw new PolicyCompileError(at, null, 'wait holds policies, not text');
      if (el.children.length === 0) throw new PolicyCompileError(at, null, `wait needs at least one child policy (${CHILDREN.join(', ')})`);
      if (el.children.length > MAX_CHILDREN) throw new PolicyCompileError(at, null, `wait holds at most ${MAX_CHILDREN} child policies`);
      const mode = enumAttr(el, at, 'for', ['all', 'any'] as const, 'all');
      const children = mapCollecting(el.children, (child, i) => {
        const childAt = childLocation(at, child.name, i);
        return { name: child.name, config: compileElement(lookup, child, childAt), at: describeLocation(childAt) };
      });
      return { section: at.section as Section, any: mode === 'any', children };
    },
    create(config, services): PolicyInstance {
      // One single-policy section per child: the shared loop turns a throw or rejection into FAIL naming it.
      const children: RuntimeSection[] = config.children.map((p) => ({
        section: config.section, instances: [lookup(p.name)!.create(p.config as never, services)], names: [p.name],
      }));
      const any = config.any;
      return {
        run(ctx: RequestContext): Outcome | Promise<Outcome> {
          const results: Array<Outcome | Promise<Outcome>> = new Array(children.length);
          let pending = false;
          for (let i = 0; i < children.length; i++) {
            const r = runSection(children[i], ctx);
            results[i] = r;
            if (typeof r !== 'number') pending = true;
            else if (any) return r; // finished already: the first to finish decides
          }
          if (!pending) return firstStop(results as Outcome[]);
          // runSection's promises never reject (failures become FAIL), so race/all need no catch.
          return any ? Promise.race(results) : Promise.all(results).then(firstStop);
        },
      };
    },
  };
}

function firstStop(outcomes: readonly Outcome[]): Outcome {
  for (const o of outcomes) if (o !== CONTINUE) return o;
  return CONTINUE;
}
