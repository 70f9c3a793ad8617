/**
 * Reading a policy element's attributes and children at compile time, with errors that name the
 * attribute. Every factory uses these, so every policy reports bad input the same way.
 */
import { childLocation, collectInto, PolicyCompileError, throwCollected, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { compileConditionProgram, compileTemplate, ExpressionError, type Program, type Template } from '../pipeline/expression/index.js';
import { headerNameProblem, headerValueProblem, reasonPhraseProblem } from '../../shared/http-syntax.js';

/** Refuses attributes and child elements the policy does not know (never a silent skip). */
export function allowOnly(el: PolicyElement, at: PolicyLocation, attrs: readonly string[], children: readonly string[] = []): void {
  // Every unknown name is reported at once (a typo often comes with another).
  const sink: PolicyCompileError[] = [];
  for (const name of Object.keys(el.attrs)) {
    if (!attrs.includes(name)) sink.push(new PolicyCompileError(at, name, `unknown attribute (allowed: ${attrs.join(', ') || 'none'})`));
  }
  for (const child of el.children) {
    if (!children.includes(child.name)) sink.push(new PolicyCompileError(at, null, `unknown child element <${child.name}> (allowed: ${children.join(', ') || 'none'})`));
  }
  throwCollected(sink);
}

export function stringAttr(el: PolicyElement, at: PolicyLocation, name: string, fallback?: string): string {
  const value = el.attrs[name];
  if (value === undefined || value === '') {
    if (fallback !== undefined) return fallback;
    throw new PolicyCompileError(at, name, 'is required');
  }
  return value;
}

export function intAttr(el: PolicyElement, at: PolicyLocation, name: string, range: { min: number; max: number }, fallback?: number): number {
  const raw = el.attrs[name];
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new PolicyCompileError(at, name, 'is required');
  }
  if (!/^-?\d+$/.test(raw)) throw new PolicyCompileError(at, name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < range.min || n > range.max) throw new PolicyCompileError(at, name, `must be between ${range.min} and ${range.max}, got ${n}`);
  return n;
}

export function enumAttr<T extends string>(el: PolicyElement, at: PolicyLocation, name: string, allowed: readonly T[], fallback: T): T {
  const raw = el.attrs[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new PolicyCompileError(at, name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

export function boolAttr(el: PolicyElement, at: PolicyLocation, name: string, fallback: boolean): boolean {
  const raw = el.attrs[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new PolicyCompileError(at, name, `must be true or false, got "${raw}"`);
  return raw === 'true';
}

/**
 * Texts of the children named `name` (e.g. the <value> elements of set-header). `at` is `el`'s
 * location. Such a child holds only text: an attribute or element inside it (`<value bogus="1">`)
 * is refused, naming it, never skipped.
 */
export function childTexts(el: PolicyElement, at: PolicyLocation, name: string): string[] {
  const sink: PolicyCompileError[] = [];
  const texts: string[] = [];
  el.children.forEach((c, i) => {
    if (c.name !== name) return;
    collectInto(sink, () => textOnly(c, childLocation(at, name, i)));
    texts.push(c.text);
  });
  throwCollected(sink);
  return texts;
}

/** Refuses attributes and child elements in an element that holds only text (an <origin>, a <value>). */
export function textOnly(el: PolicyElement, at: PolicyLocation): string {
  allowOnly(el, at, []);
  return el.text;
}

/** An HTTP header name as RFC 9110 allows it (a token), lowercased for the hot path. */
export function headerName(el: PolicyElement, at: PolicyLocation, attr = 'name'): string {
  const name = stringAttr(el, at, attr);
  const problem = headerNameProblem(name);
  if (problem !== null) throw new PolicyCompileError(at, attr, problem);
  return name.toLowerCase();
}

/** An optional header-name attribute (e.g. rate-limit's remaining-calls-header-name): null when absent. */
export function optionalHeaderName(el: PolicyElement, at: PolicyLocation, attr: string): string | null {
  return el.attrs[attr] === undefined ? null : headerName(el, at, attr);
}

/**
 * A context variable name. APIM's context.Variables is a .NET Dictionary<string, object>: any
 * string is a key, and real documents use names with spaces ("existing context variable"). The
 * names are bounded (they key a per-request map and appear in logs) and hold no control
 * characters nor leading/trailing spaces (a name that differs from another only by them would be
 * a trap, and a CR or LF could forge a log line).
 */
export const VARIABLE_NAME = /^(?! )[^\u0000-\u001f\u007f]{1,128}(?<! )$/;
export const VARIABLE_RULE = 'must be 1 to 128 characters without control characters or leading/trailing spaces';

/** A required attribute naming a context variable (set-variable's name, send-request's response-variable-name...). */
export function variableName(el: PolicyElement, at: PolicyLocation, attr: string): string {
  const name = stringAttr(el, at, attr);
  if (!VARIABLE_NAME.test(name)) throw new PolicyCompileError(at, attr, `${VARIABLE_RULE}, got ${JSON.stringify(name.slice(0, 140))}`);
  return name;
}

/** An optional attribute naming a context variable a policy writes (…-variable-name): null when absent. */
export function optionalVariableName(el: PolicyElement, at: PolicyLocation, attr: string): string | null {
  return el.attrs[attr] === undefined ? null : variableName(el, at, attr);
}

/**
 * A header value a policy will write (after named values were substituted): no CR, LF, NUL or
 * other control byte, no leading or trailing space (RFC 9110 field-value). `attr` names the
 * attribute or child element it came from; the message never quotes the value (it may be secret).
 */
export function headerValue(at: PolicyLocation, attr: string, value: string): string {
  const problem = headerValueProblem(value);
  if (problem !== null) throw new PolicyCompileError(at, attr, problem);
  return value;
}

/** A status reason phrase attribute (set-status's `reason`), '' when absent: printable, no CR or LF. */
export function reasonAttr(el: PolicyElement, at: PolicyLocation, attr = 'reason'): string {
  const reason = stringAttr(el, at, attr, '');
  const problem = reasonPhraseProblem(reason);
  if (problem !== null) throw new PolicyCompileError(at, attr, problem);
  return reason;
}

/**
 * A condition, compiled now: a policy expression (`@(...)`, `@{...}`) or Outpost's condition
 * language, both to the one expression tree; a compile error names the attribute.
 */
export function conditionAttr(el: PolicyElement, at: PolicyLocation, name: string): Program {
  const source = stringAttr(el, at, name);
  return expressionOrFail(at, name, source, () => compileConditionProgram(source));
}

/** An attribute that may be a policy expression (see expression/template.ts); `fallback` when absent. */
export function templateAttr(el: PolicyElement, at: PolicyLocation, name: string, fallback?: string): Template {
  const raw = stringAttr(el, at, name, fallback);
  return templateValue(at, name, raw);
}

/** A value (an attribute's or a child element's text) that may be a policy expression. */
export function templateValue(at: PolicyLocation, name: string, raw: string): Template {
  return expressionOrFail(at, name, raw, () => compileTemplate(raw));
}

function expressionOrFail<T>(at: PolicyLocation, name: string, source: string, compile: () => T): T {
  try {
    return compile();
  } catch (err) {
    if (err instanceof ExpressionError) throw new PolicyCompileError(at, name, `${err.message} in "${source.length > 200 ? `${source.slice(0, 200)}…` : source}"`);
    throw err;
  }
}
