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
import { describeLocation, PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { childLocation } from '../pipeline/policy-document.js';
import { bindCondition, ExpressionError, parseExpression, type Expr } from '../pipeline/expression/index.js';
import type { RequestContext } from '../pipeline/context.js';
import { allowOnly, stringAttr } from './attributes.js';

export type FactoryLookup = (name: string) => PolicyFactory<unknown> | undefined;

interface Branch { condition: Expr; policies: CompiledPolicy[] }
interface Config { branches: Branch[]; otherwise: CompiledPolicy[] | null }

export function makeChoose(lookup: FactoryLookup): PolicyFactory<Config> {
  const compileNested = (el: PolicyElement, at: PolicyLocation): CompiledPolicy[] => {
    if (el.text !== '') throw new PolicyCompileError(at, null, `<${el.name}> holds policies, not text`);
    return el.children.map((child, i) => {
      const childAt = childLocation(at, child.name, i);
      const factory = lookup(child.name);
      if (!factory) throw new PolicyCompileError(childAt, null, `unknown policy "${child.name}"`);
      if (!factory.sections.includes(at.section as Section)) {
        throw new PolicyCompileError(childAt, null, `"${child.name}" cannot be used in ${at.section} (allowed: ${factory.sections.join(', ')})`);
      }
      return { name: child.name, config: factory.compile(child, childAt), at: describeLocation(childAt) };
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
      el.children.forEach((child, i) => {
        const childAt = childLocation(at, child.name, i);
        if (otherwise !== null) throw new PolicyCompileError(childAt, null, '<otherwise> must be the last element of choose, and appear once');
        if (child.name === 'otherwise') {
          allowOnly(child, childAt, [], child.children.map((c) => c.name));
          otherwise = compileNested(child, childAt);
          return;
        }
        allowOnly(child, childAt, ['condition'], child.children.map((c) => c.name));
        const source = stringAttr(child, childAt, 'condition');
        let condition: Expr;
        try {
          condition = parseExpression(source);
        } catch (err) {
          if (err instanceof ExpressionError) throw new PolicyCompileError(childAt, 'condition', `${err.message} in "${source}"`);
          throw err;
        }
        branches.push({ condition, policies: compileNested(child, childAt) });
      });
      if (branches.length === 0) throw new PolicyCompileError(at, null, 'choose needs at least one <when condition="…">');
      return { branches, otherwise };
    },
    create(config, services): PolicyInstance {
      const instantiate = (list: CompiledPolicy[]) => list.map((p) => lookup(p.name)!.create(p.config as never, services));
      const tests = config.branches.map((b) => bindCondition(b.condition));
      const bodies = config.branches.map((b) => instantiate(b.policies));
      const otherwise = config.otherwise === null ? null : instantiate(config.otherwise);
      return {
        run(ctx: RequestContext): Outcome | Promise<Outcome> {
          for (let i = 0; i < tests.length; i++) if (tests[i](ctx)) return runAll(bodies[i], ctx);
          return otherwise === null ? CONTINUE : runAll(otherwise, ctx);
        },
      };
    },
  };
}

/**
 * Runs a branch's policies until one does not continue. Like chain-runtime's runSection, it stays
 * synchronous (no promise allocated) until a policy returns a promise. A throw propagates to the
 * section loop, which records it against this choose.
 */
function runAll(list: PolicyInstance[], ctx: RequestContext): Outcome | Promise<Outcome> {
  for (let i = 0; i < list.length; i++) {
    const result = list[i].run(ctx);
    if (typeof result !== 'number') return finishAsync(list, i, result, ctx);
    if (result !== CONTINUE) return result;
  }
  return CONTINUE;
}

async function finishAsync(list: PolicyInstance[], from: number, pending: Promise<Outcome>, ctx: RequestContext): Promise<Outcome> {
  let result = await pending;
  for (let i = from + 1; result === CONTINUE && i < list.length; i++) result = await list[i].run(ctx);
  return result;
}
