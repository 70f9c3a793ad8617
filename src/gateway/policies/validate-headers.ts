/**
 * validate-headers (APIM): checks the response's headers against those the operation declares
 * for the response's status code (`responses[].headers`: name, required, type). A declared
 * header gets specified-header-action (more than one value, a value that is not of its type, or
 * missing when required, are errors); any other gets unspecified-header-action; a `<header name
 * action>` overrides either for that name. prevent: 502 (validation-report.ts).
 *
 * Not counted as unspecified (deviation, README): the headers HTTP itself frames the message with
 * (Content-Length, Transfer-Encoding, Connection, Keep-Alive, Date) and Content-Type, which an
 * OpenAPI document describes by the response's content types, never as a header.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import type { Section } from '../pipeline/phases.js';
import { childLocation, collectInto, PolicyCompileError, throwCollected } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import type { ParameterSpec } from '../../shared/operation-contract.js';
import { allowOnly, headerName, optionalVariableName } from './attributes.js';
import { actionAttr, actionOf, addError, bindAction, conformsToType, finishReport, type ValidationReport, type Action, type ActionSpec, type ActionValue } from './validation-report.js';

const MAX_OVERRIDES = 100;
const NEVER_UNSPECIFIED: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date', 'content-type']);
const INTERNAL = 'The request could not be processed due to an internal error. Contact the API owner.';

interface Config {
  specified: ActionSpec;
  unspecified: ActionSpec;
  /** [lowercase name, action] from <header> elements. */
  overrides: Array<[string, Action]>;
  variable: string | null;
  section: Section;
}

export const validateHeaders: PolicyFactory<Config> = {
  name: 'validate-headers',
  sections: ['outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['specified-header-action', 'unspecified-header-action', 'errors-variable-name'], ['header']);
    const specified = actionAttr(el, at, 'specified-header-action', true);
    const unspecified = actionAttr(el, at, 'unspecified-header-action', true);
    const variable = optionalVariableName(el, at, 'errors-variable-name');
    if (el.children.length > MAX_OVERRIDES) throw new PolicyCompileError(at, null, `at most ${MAX_OVERRIDES} <header> elements`);
    const sink: PolicyCompileError[] = [];
    const overrides: Array<[string, Action]> = [];
    el.children.forEach((child, i) => collectInto(sink, () => {
      const where = childLocation(at, 'header', i);
      allowOnly(child, where, ['name', 'action']);
      const name = headerName(child, where);
      if (overrides.some(([n]) => n === name)) throw new PolicyCompileError(where, 'name', `header "${name}" is overridden twice`);
      overrides.push([name, actionAttr(child, where, 'action', false) as Action]);
    }));
    throwCollected(sink);
    return { specified, unspecified, overrides, variable, section: at.section as Section };
  },
  create(config): PolicyInstance {
    const specified = bindAction(config.specified, 'specified-header-action');
    const unspecified = bindAction(config.unspecified, 'unspecified-header-action');
    const overrides = new Map(config.overrides);
    const target = { policy: 'validate-headers', section: config.section, variable: config.variable };
    return {
      run(ctx: RequestContext) {
        const response = ctx.response;
        if (response === null) return finishReport(null, target, ctx, true);
        const declared = ctx.operationMeta?.contract?.responses.find((r) => r.status === response.status)?.headers ?? [];
        const report = checkResponseHeaders(response.headers, declared, overrides, specified, unspecified, ctx);
        return finishReport(report, target, ctx, true);
      },
    };
  },
};

function checkResponseHeaders(
  headers: readonly string[], declared: readonly ParameterSpec[], overrides: ReadonlyMap<string, Action>,
  specified: ActionValue, unspecified: ActionValue, ctx: RequestContext,
): ValidationReport | null {
  let report: ValidationReport | null = null;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (NEVER_UNSPECIFIED.has(name) || declared.some((d) => d.name === name)) continue;
    // A header sent several times is reported once.
    let first = true;
    for (let j = 0; j < i; j += 2) if (headers[j] === name) { first = false; break; }
    if (!first) continue;
    const action = overrides.get(name) ?? actionOf(unspecified, ctx);
    if (action !== 'ignore') report = addError(report, action, name, 'ResponseHeader', 'Unspecified', `Unspecified header ${name} is not allowed.`, INTERNAL);
  }
  for (const spec of declared) {
    const action = overrides.get(spec.name) ?? actionOf(specified, ctx);
    if (action === 'ignore') continue;
    let count = 0;
    let value = '';
    for (let i = 0; i < headers.length; i += 2) if (headers[i] === spec.name) { count++; value = headers[i + 1]; }
    let problem: string | null = null;
    if (count === 0) { if (spec.required) problem = `Response must contain the header ${spec.name}.`; }
    else if (count > 1) problem = `Response cannot contain multiple values for the header ${spec.name}.`;
    else if (!conformsToType(value, spec.type)) problem = `Value of the header ${spec.name} does not conform to the definition. It must be of type ${spec.type}.`;
    if (problem !== null) report = addError(report, action, spec.name, 'ResponseHeader', 'IncorrectMessage', problem, INTERNAL);
  }
  return report;
}
