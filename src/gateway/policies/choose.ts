/**
 * choose: APIM's conditional. `<when condition="…">` branches, tried in order, each holding
 * policies; an optional `<otherwise>` last. The first branch whose condition holds runs, and its
 * outcome (continue, respond, fail) is the choose's outcome. Conditions are the small language of
 * pipeline/expression (compiled here, at compile time; bound to closures once per worker).
 *
 * Nested policies are compiled by their own factories, found through `lookup`. The lookup is
 * passed in by registry.ts (`makeChoose(findFactory)`) rather than imported, because the registry
 * imports this file: importing it back would make a cycle in which, depending on which module
 * loads first, `choose` could be read before it exists. This file imports nothing that imports the
 * registry, so there is no cycle at all; the lookup is only called at compile and create time,
 * when the registry is complete.
 */
import type { CompiledPolicy, PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome, type Section } from '../pipeline/phases.js';
import { collectInto, describeLocation, mapCollecting, PolicyCompileError, throwCollected, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { childLocation } from '../pipeline/policy-document.js';
import { bindConditionProgram, type Program } from '../pipeline/expression/index.js';
import { compileElement, type FactoryLookup } from '../pipeline/compile-element.js';
import { runSection, type RuntimeSection } from '../pipeline/run-section.js';
import type { RequestContext } from '../pipeline/context.js';
import { allowOnly, conditionAttr } from './attributes.js';

interface Branch { condition: Program; policies: CompiledPolicy[] }
interface Config { section: Section; branches: Branch[]; otherwise: CompiledPolicy[] | null }

export function makeChoose(lookup: FactoryLookup): PolicyFactory<Config> {
  const compileNested = (el: PolicyElement, at: PolicyLocation): CompiledPolicy[] => {
    if (el.text !== '') throw new PolicyCompileError(at, null, `<${el.name}> holds policies, not text`);
    return mapCollecting(el.children, (child, i) => {
      const childAt = childLocation(at, child.name, i);
      return { name: child.name, config: compileElement(lookup, child, childAt), at: describeLocation(childAt) };
    });
  };

  return {
    name: 'choose',
    sections: ['inbound', 'backend', 'outbound', 'on-error'],
    compile(el, at) {
      allowOnly(el, at, [], ['when', 'otherwise']);
      if (el.text !== '') throw new PolicyCompileError(at, null, 'choose holds <when> and <otherwise> elements, not text');
      const branches: Branch[] = [];
      let otherwise: CompiledPolicy[] | null = null;
      let seenOtherwise = false;
      // Every branch is compiled even after a bad one, so all of choose's problems come out together.
      mapCollecting(el.children, (child, i) => {
        const childAt = childLocation(at, child.name, i);
        if (seenOtherwise) throw new PolicyCompileError(childAt, null, '<otherwise> must be the last element of choose, and appear once');
        if (child.name === 'otherwise') {
          seenOtherwise = true;
          allowOnly(child, childAt, [], child.children.map((c) => c.name));
          otherwise = compileNested(child, childAt);
          return;
        }
        allowOnly(child, childAt, ['condition'], child.children.map((c) => c.name));
        const sink: PolicyCompileError[] = [];
        const condition = collectInto(sink, () => conditionAttr(child, childAt, 'condition'));
        const policies = collectInto(sink, () => compileNested(child, childAt));
        throwCollected(sink);
        branches.push({ condition: condition!, policies: policies! });
      });
      if (branches.length === 0) throw new PolicyCompileError(at, null, 'choose needs at least one <when condition="…">');
      return { section: at.section as Section, branches, otherwise };
    },
    create(config, services): PolicyInstance {
      // A branch is a section of its own for the shared loop, so a throw names the nested policy.
      const instantiate = (list: CompiledPolicy[]): RuntimeSection => ({
        section: config.section, instances: list.map((p) => lookup(p.name)!.create(p.config as never, services)), names: list.map((p) => p.name),
      });
      const tests = config.branches.map((b) => bindConditionProgram(b.condition));
      const bodies = config.branches.map((b) => instantiate(b.policies));
      const otherwise = config.otherwise === null ? null : instantiate(config.otherwise);
      return {
        run(ctx: RequestContext): Outcome | Promise<Outcome> {
          for (let i = 0; i < tests.length; i++) if (tests[i](ctx)) return runSection(bodies[i], ctx);
          return otherwise === null ? CONTINUE : runSection(otherwise, ctx);
        },
      };
    },
  };
}
