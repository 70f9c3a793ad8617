/**
 * What the APIM validation policies share (validate-content, validate-parameters,
 * validate-headers, validate-status-code, validate-odata-request): the three actions, the error
 * records APIM writes to `errors-variable-name` ({Name, Type, ValidationRule, Details, Action}),
 * and what `prevent` does: 400 with APIM's public response on a request, 502 with its "internal
 * error" words on a response; detect logs and goes on; ignore skips.
 *
 * A prevent error fails the policy (on-error runs, context.LastError holds the details, as APIM);
 * in on-error itself it answers the error response directly (a failing on-error policy would
 * only give a 500). Per request at most MAX_ERRORS errors are kept (a request can have many
 * unspecified parameters), and Details is bounded (it may quote request data).
 */
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import { CsRuntimeError } from '../pipeline/expression/csharp/cs-error.js';
import { CONTINUE, FAIL, RESPOND, type Outcome, type Section } from '../pipeline/phases.js';
import type { RequestContext } from '../pipeline/context.js';
import { ERRORS } from '../../shared/errors.js';
import { log } from '../../shared/log.js';
import { stringAttr, templateValue } from './attributes.js';

export const ACTIONS = ['ignore', 'prevent', 'detect'] as const;
export type Action = (typeof ACTIONS)[number];

/** An action as compiled (plain data, it travels in the table): a constant, or a policy expression. */
export type ActionSpec = Action | Template;
/** An action bound in a worker: a constant, or a function evaluated per request. */
export type ActionValue = Action | ((ctx: RequestContext) => Action);

export const MAX_ERRORS = 20;
const MAX_DETAILS = 1024;

/** An action attribute; `expressions` says whether APIM allows a policy expression there. */
export function actionAttr(el: PolicyElement, at: PolicyLocation, name: string, expressions: boolean, fallback?: Action): ActionSpec {
  const raw = stringAttr(el, at, name, fallback);
  if ((ACTIONS as readonly string[]).includes(raw)) return raw as Action;
  const template = expressions ? templateValue(at, name, raw) : null;
  if (template === null || template.k === 'text') throw new PolicyCompileError(at, name, `must be one of ${ACTIONS.join(', ')}${expressions ? ' or a policy expression' : ''}, got "${raw.slice(0, 100)}"`);
  return template;
}

export function bindAction(spec: ActionSpec, name: string): ActionValue {
  if (typeof spec === 'string') return spec;
  const f = bindStringTemplate(spec);
  return (ctx) => {
    const v = f(ctx);
    if ((ACTIONS as readonly string[]).includes(v)) return v as Action;
    throw new CsRuntimeError('ArgumentException', `The ${name} computed by the expression must be ignore, prevent or detect.`);
  };
}

export function actionOf(value: ActionValue, ctx: RequestContext): Action {
  return typeof value === 'string' ? value : value(ctx);
}

/** One error as APIM records it in context.Variables. */
export interface ValidationError {
  Name: string;
  Type: string;
  ValidationRule: string;
  Details: string;
  Action: Action;
}

const bounded = (s: string): string => (s.length <= MAX_DETAILS ? s : `${s.slice(0, MAX_DETAILS)}…`);

/**
 * The errors of one policy run on one request. Made only when the first error shows up, so a
 * conforming request allocates nothing.
 */
export class ValidationReport {
  readonly errors: ValidationError[] = [];
  /** The client-facing words of the first prevent error; null while none. */
  preventMessage: string | null = null;
  preventDetails = '';

  add(action: Action, name: string, type: string, rule: string, details: string, publicMessage: string): void {
    if (action === 'ignore') return;
    if (this.errors.length < MAX_ERRORS) this.errors.push({ Name: name, Type: type, ValidationRule: rule, Details: bounded(details), Action: action });
    if (action === 'prevent' && this.preventMessage === null) { this.preventMessage = bounded(publicMessage); this.preventDetails = bounded(details); }
  }
}

/** Adds one error to `report`, made on the first error (so a conforming message allocates nothing); returns it. */
export function addError(report: ValidationReport | null, action: Action, name: string, type: string, rule: string, details: string, publicMessage: string): ValidationReport {
  const r = report ?? new ValidationReport();
  r.add(action, name, type, rule, details, publicMessage);
  return r;
}

/** Where a policy runs decides what prevent answers: a request error (400) or a response error (502). */
export interface ReportTarget {
  policy: string;
  section: Section;
  /** errors-variable-name, or null. */
  variable: string | null;
}

/**
 * Ends a policy run: records the errors (the variable, a log line for detect and prevent) and
 * turns a prevent error into the failure or response APIM gives. Null report: nothing was wrong.
 */
export function finishReport(report: ValidationReport | null, target: ReportTarget, ctx: RequestContext, onResponse: boolean): Outcome {
  if (report === null || report.errors.length === 0) return CONTINUE;
  if (target.variable !== null) ctx.setVariable(target.variable, report.errors);
  log('warn', 'validation policy found errors', { policy: target.policy, correlationId: ctx.correlationId, api: ctx.apiId, operation: ctx.operationId, errors: report.errors });
  if (report.preventMessage === null) return CONTINUE;
  const code = onResponse ? 'OUTPOST_ERR_RESPONSE_VALIDATION_FAILED' : 'OUTPOST_ERR_REQUEST_VALIDATION_FAILED';
  const publicMessage = onResponse ? ERRORS[code].message : report.preventMessage;
  if (target.section === 'on-error') {
    ctx.respond(ERRORS[code].status, '', ['content-type', 'application/json', 'x-outpost-error', code], JSON.stringify({ statusCode: ERRORS[code].status, message: publicMessage }));
    return RESPOND;
  }
  ctx.fail({
    source: 'policy', reason: onResponse ? 'Response not allowed' : 'Bad request', message: report.preventDetails,
    section: target.section, policy: target.policy, code, publicMessage,
  });
  return FAIL;
}

/** Whether `value` reads as the declared scalar type (APIM parses parameter values by their schema type). */
export function conformsToType(value: string, type: 'string' | 'integer' | 'number' | 'boolean'): boolean {
  switch (type) {
    case 'string': return true;
    case 'integer': return /^[+-]?\d{1,19}$/.test(value);
    case 'number': return value.trim() !== '' && Number.isFinite(Number(value));
    case 'boolean': return value === 'true' || value === 'false' || value === 'True' || value === 'False';
  }
}
