/**
 * validate-parameters (APIM): checks the request's query parameters, path parameters and headers
 * against those the operation declares (`parameters`: name, in, required, type; every template
 * parameter is declared). A declared one gets specified-parameter-action: more than one value, a
 * value that does not parse as its type, or missing when required, are errors. Any other gets
 * unspecified-parameter-action. `<headers>`, `<query>`, `<path>` override both for their kind, and
 * their `<parameter name action>` for one name (APIM: path has no unspecified action). prevent:
 * 400 with APIM's public words (validation-report.ts).
 *
 * Not counted as the client's parameters (README): the gateway's own forwarding headers
 * (X-Forwarded-For/-Proto/-Host, which the gateway adds) and the API's subscription key header
 * and query parameter (the gateway's, not the operation's). Header names compare
 * case-insensitively, query names as decoded.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import type { Section } from '../pipeline/phases.js';
import { childLocation, collectInto, PolicyCompileError, throwCollected, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import type { ParameterSpec } from '../../shared/operation-contract.js';
import { pairName, pairValue, splitQuery } from '../../shared/query-string.js';
import { allowOnly, optionalVariableName, stringAttr } from './attributes.js';
import { actionAttr, actionOf, addError, bindAction, conformsToType, finishReport, type ValidationReport, type Action, type ActionSpec, type ActionValue } from './validation-report.js';

const MAX_OVERRIDES = 100;
const GATEWAY_HEADERS: ReadonlySet<string> = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

type Kind = 'headers' | 'query' | 'path';
const KINDS: readonly Kind[] = ['headers', 'query', 'path'];
const TYPE: Record<Kind, string> = { headers: 'RequestHeader', query: 'QueryParameter', path: 'PathParameter' };
const WORDS: Record<Kind, string> = { headers: 'header', query: 'query parameter', path: 'path parameter' };

interface KindConfig {
  specified: ActionSpec;
  /** Path parameters have none (APIM): a path cannot carry an undeclared parameter. */
  unspecified: ActionSpec;
  overrides: Array<[string, Action]>;
}

interface Config {
  kinds: Record<Kind, KindConfig>;
  variable: string | null;
  section: Section;
}

function kindConfig(el: PolicyElement | undefined, at: PolicyLocation, kind: Kind, specified: ActionSpec, unspecified: ActionSpec): KindConfig {
  if (el === undefined) return { specified, unspecified, overrides: [] };
  allowOnly(el, at, kind === 'path' ? ['specified-parameter-action'] : ['specified-parameter-action', 'unspecified-parameter-action'], ['parameter']);
  if (el.children.length > MAX_OVERRIDES) throw new PolicyCompileError(at, null, `at most ${MAX_OVERRIDES} <parameter> elements`);
  const sink: PolicyCompileError[] = [];
  const overrides: Array<[string, Action]> = [];
  el.children.forEach((child, i) => collectInto(sink, () => {
    const where = childLocation(at, 'parameter', i);
    allowOnly(child, where, ['name', 'action']);
    const raw = stringAttr(child, where, 'name');
    if (raw.length > 256) throw new PolicyCompileError(where, 'name', 'must be at most 256 characters');
    const name = kind === 'headers' ? raw.toLowerCase() : raw;
    if (overrides.some(([n]) => n === name)) throw new PolicyCompileError(where, 'name', `parameter "${raw}" is overridden twice`);
    overrides.push([name, actionAttr(child, where, 'action', false) as Action]);
  }));
  throwCollected(sink);
  return {
    specified: el.attrs['specified-parameter-action'] === undefined ? specified : actionAttr(el, at, 'specified-parameter-action', true),
    unspecified: el.attrs['unspecified-parameter-action'] === undefined ? unspecified : actionAttr(el, at, 'unspecified-parameter-action', true),
    overrides,
  };
}

export const validateParameters: PolicyFactory<Config> = {
  name: 'validate-parameters',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['specified-parameter-action', 'unspecified-parameter-action', 'errors-variable-name'], KINDS);
    const specified = actionAttr(el, at, 'specified-parameter-action', true);
    const unspecified = actionAttr(el, at, 'unspecified-parameter-action', true);
    const variable = optionalVariableName(el, at, 'errors-variable-name');
    const sink: PolicyCompileError[] = [];
    const kinds = {} as Record<Kind, KindConfig>;
    for (const kind of KINDS) {
      const found = el.children.filter((c) => c.name === kind);
      if (found.length > 1) sink.push(new PolicyCompileError(at, null, `<${kind}> may appear once`));
      kinds[kind] = collectInto(sink, () => kindConfig(found[0], childLocation(at, kind, 0), kind, specified, unspecified)) ?? { specified, unspecified, overrides: [] };
    }
    throwCollected(sink);
    return { kinds, variable, section: at.section as Section };
  },
  create(config): PolicyInstance {
    const bound = {} as Record<Kind, KindActions>;
    for (const kind of KINDS) {
      const k = config.kinds[kind];
      bound[kind] = { specified: bindAction(k.specified, 'specified-parameter-action'), unspecified: bindAction(k.unspecified, 'unspecified-parameter-action'), overrides: new Map(k.overrides) };
    }
    const target = { policy: 'validate-parameters', section: config.section, variable: config.variable };
    return {
      run(ctx: RequestContext) {
        const contract = ctx.operationMeta?.contract ?? null;
        const keyHeader = ctx.apiMeta?.keyHeader ?? '';
        const keyQuery = ctx.apiMeta?.keyQuery ?? '';
        let report: ValidationReport | null = null;
        // Headers: [name, value] pairs as the client sent them (less the gateway's own).
        const headerPairs: string[] = [];
        const h = ctx.headers;
        for (let i = 0; i < h.length; i += 2) if (!GATEWAY_HEADERS.has(h[i]) && h[i] !== keyHeader) headerPairs.push(h[i], h[i + 1]);
        report = checkKind(report, ctx, 'headers', bound.headers, headerPairs, contract?.headers ?? []);
        const queryPairs: string[] = [];
        for (const pair of splitQuery(ctx.query)) {
          const name = pairName(pair);
          if (name !== keyQuery) queryPairs.push(name, pairValue(pair));
        }
        report = checkKind(report, ctx, 'query', bound.query, queryPairs, contract?.query ?? []);
        const pathPairs: string[] = [];
        for (const [name, value] of Object.entries(ctx.params)) pathPairs.push(name, value);
        report = checkKind(report, ctx, 'path', bound.path, pathPairs, contract?.path ?? []);
        return finishReport(report, target, ctx, false);
      },
    };
  },
};

interface KindActions { specified: ActionValue; unspecified: ActionValue; overrides: ReadonlyMap<string, Action> }

/** Checks one kind of parameter; `pairs` is flat [name, value, …] as the request carries them. Returns the report (made on the first error). */
function checkKind(report: ValidationReport | null, ctx: RequestContext, kind: Kind, actions: KindActions, pairs: readonly string[], declared: readonly ParameterSpec[]): ValidationReport | null {
  const words = WORDS[kind];
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    if (declared.some((d) => d.name === name)) continue;
    let repeated = false;
    for (let j = 0; j < i; j += 2) if (pairs[j] === name) { repeated = true; break; }
    if (repeated) continue;
    const action = actions.overrides.get(name) ?? actionOf(actions.unspecified, ctx);
    if (action === 'ignore') continue;
    const message = `Unspecified ${words} ${name} is not allowed.`;
    report = addError(report, action, name, TYPE[kind], 'Unspecified', message, message);
  }
  for (const spec of declared) {
    const action = actions.overrides.get(spec.name) ?? actionOf(actions.specified, ctx);
    if (action === 'ignore') continue;
    let count = 0;
    let value = '';
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === spec.name) { count++; value = pairs[i + 1]; }
    let problem: string | null = null;
    if (count === 0) { if (spec.required) problem = `Request must contain the ${words} ${spec.name}.`; }
    else if (count > 1) problem = `Request cannot contain multiple values for the ${words} ${spec.name}.`;
    else if (!conformsToType(value, spec.type)) problem = `Value of the ${words} ${spec.name} does not conform to the definition. It must be of type ${spec.type}.`;
    if (problem !== null) report = addError(report, action, spec.name, TYPE[kind], 'IncorrectMessage', problem, problem);
  }
  return report;
}
