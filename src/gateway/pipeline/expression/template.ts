/**
 * A policy attribute or element value that may be a policy expression: a constant, `@(...)` (an
 * expression) or `@{...}` (a block that returns), the whole value as in APIM. Compiled at config
 * load (compileTemplate, in the compiler thread) into plain data; bound in the worker into a
 * function of the request (bindTemplate). Conditions (`<when condition>`, increment-condition)
 * also accept Outpost's own condition language, lowered to the same tree (bind.ts).
 *
 * Text around an expression (`Bearer @(...)`) is refused, not sent literally: APIM evaluates
 * only a value that is wholly an expression, and a silent literal would be a surprise.
 */
import { ExpressionError } from './ast.js';
import { parseExpression } from './parse.js';
import { lowerCondition } from './bind.js';
import type { Program } from './csharp/cs-ast.js';
import { compileCs } from './csharp/cs-parse.js';
import { bindProgram } from './csharp/cs-bind.js';
import { csString } from './csharp/cs-convert.js';
import { CsRuntimeError } from './csharp/cs-error.js';
import { typeName } from './csharp/cs-values.js';
import type { RequestContext } from '../context.js';

export type Template = { k: 'text'; v: string } | { k: 'code'; p: Program };

/** Whether a value holds a policy expression anywhere (`@(` or `@{`). */
export function hasExpression(raw: string): boolean {
  return /@[({]/.test(raw);
}

/** Compiles a value; throws ExpressionError (line and column within the expression). */
export function compileTemplate(raw: string): Template {
  const t = raw.trim();
  const kind = t.startsWith('@(') && t.endsWith(')') ? 'expr' : t.startsWith('@{') && t.endsWith('}') ? 'block' : null;
  if (kind === null) {
    if (hasExpression(raw)) throw new ExpressionError(raw.search(/@[({]/) + 1, 'a policy expression must be the whole value (write @("text" + ...) to mix text and expressions)');
    return { k: 'text', v: raw };
  }
  return { k: 'code', p: compileCs(t.slice(2, -1), kind) };
}

/** The value per request, as the expression gives it (bool, number, string, JObject...). */
export function bindTemplate(t: Template): (ctx: RequestContext) => unknown {
  if (t.k === 'text') { const v = t.v; return () => v; }
  return bindProgram(t.p);
}

/** The value per request as text (.NET's ToString of what the expression gives; null is ""). */
export function bindStringTemplate(t: Template): (ctx: RequestContext) => string {
  if (t.k === 'text') { const v = t.v; return () => v; }
  const f = bindProgram(t.p);
  return (ctx) => csString(f(ctx));
}

/** A condition: `@(...)`/`@{...}` (must give a bool) or Outpost's condition language (its truthiness). */
export function compileConditionProgram(raw: string): Program {
  const t = raw.trim();
  if (t.startsWith('@')) {
    const template = compileTemplate(t);
    if (template.k === 'code') return template.p;
  }
  return lowerCondition(parseExpression(raw));
}

export function bindConditionProgram(p: Program): (ctx: RequestContext) => boolean {
  const f = bindProgram(p);
  return (ctx) => {
    const v = f(ctx);
    if (typeof v !== 'boolean') throw new CsRuntimeError('InvalidCastException', `A condition must be a bool; the expression gave ${typeName(v)}.`);
    return v;
  };
}
