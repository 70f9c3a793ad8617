/**
 * Turns a condition's AST into a tree of closures, once per generation in each worker, so that a
 * request only calls functions: operands are read straight off the RequestContext, regexes were
 * compiled here (regex/, never RegExp), and no node is dispatched on its kind per request.
 * Semantics are those of ast.ts.
 */
import { MAX_MATCH_INPUT, type CompareOp, type Expr, type RefName, type Value } from './ast.js';
import type { RequestContext } from '../context.js';
import { queryValue } from '../../../shared/query-string.js';
import { compileRegex } from './regex/index.js';

export type Evaluator = (ctx: RequestContext) => Value;

/** The condition as a predicate: its value's truthiness. */
export function bindCondition(expr: Expr): (ctx: RequestContext) => boolean {
  const f = bind(expr);
  return (ctx) => truthy(f(ctx));
}

export function truthy(v: Value): boolean {
  return v !== null && v !== false && v !== '' && v !== 0;
}

export function bind(e: Expr): Evaluator {
  switch (e.k) {
    case 'lit': { const v = e.v; return () => v; }
    case 'ref': return bindRef(e.ref, e.key);
    case 'not': { const a = bind(e.a); return (ctx) => !truthy(a(ctx)); }
    case 'and': {
      const args = e.args.map(bind);
      return (ctx) => { for (const f of args) if (!truthy(f(ctx))) return false; return true; };
    }
    case 'or': {
      const args = e.args.map(bind);
      return (ctx) => { for (const f of args) if (truthy(f(ctx))) return true; return false; };
    }
    case 'cmp': return bindCompare(e.op, e.a, e.b);
    case 'matches': {
      const a = bind(e.a);
      const re = compileRegex(e.source, e.flags); // linear time; throws past its step budget
      return (ctx) => {
        const v = a(ctx);
        if (v === null) return false;
        const s = String(v);
        return s.length <= MAX_MATCH_INPUT && re.test(s);
      };
    }
    case 'call': return bindCall(e.fn, e.args.map(bind));
  }
}

function bindRef(ref: RefName, key: string | null): Evaluator {
  const name = key ?? '';
  switch (ref) {
    case 'method': return (ctx) => ctx.method;
    case 'path': return (ctx) => ctx.path;
    case 'header': return (ctx) => ctx.header(name);
    case 'query': return (ctx) => queryValue(ctx.query, name);
    case 'ip': return (ctx) => ctx.clientIp;
    case 'subscription': return (ctx) => ctx.subscription?.id ?? null;
    case 'product': return (ctx) => ctx.subscription?.productId ?? null;
    case 'claim': return (ctx) => claimValue(ctx.claims, name);
    case 'api': return (ctx) => ctx.apiId;
    case 'operation': return (ctx) => ctx.operationId;
    case 'status': return (ctx) => ctx.response?.status ?? null;
    case 'errorSource': return (ctx) => ctx.lastError?.source ?? null;
    case 'errorReason': return (ctx) => ctx.lastError?.reason ?? null;
  }
}

function bindCompare(op: CompareOp, ea: Expr, eb: Expr): Evaluator {
  const a = bind(ea);
  const b = bind(eb);
  // The literal null on one side: a presence test of the other (parse.ts allows only == and !=).
  const nullA = ea.k === 'lit' && ea.v === null;
  if (nullA || (eb.k === 'lit' && eb.v === null)) {
    const other = nullA ? b : a;
    return op === '==' ? (ctx) => other(ctx) === null : (ctx) => other(ctx) !== null;
  }
  return (ctx) => {
    const x = a(ctx);
    const y = b(ctx);
    if (x === null || y === null) return false;
    const c = order(x, y);
    switch (op) {
      case '==': return c === 0;
      case '!=': return c !== 0;
      case '<': return c < 0;
      case '<=': return c <= 0;
      case '>': return c > 0;
      case '>=': return c >= 0;
    }
  };
}

function bindCall(fn: string, args: Evaluator[]): Evaluator {
  const [a, b] = args;
  const strings = (test: (x: string, y: string) => boolean): Evaluator => (ctx) => {
    const x = a(ctx);
    const y = b(ctx);
    return x !== null && y !== null && test(String(x), String(y));
  };
  switch (fn) {
    case 'contains': return strings((x, y) => x.includes(y));
    case 'startsWith': return strings((x, y) => x.startsWith(y));
    case 'endsWith': return strings((x, y) => x.endsWith(y));
    case 'exists': return (ctx) => a(ctx) !== null;
    case 'lower': return (ctx) => { const x = a(ctx); return x === null ? null : String(x).toLowerCase(); };
    case 'in': {
      const options = args.slice(1);
      return (ctx) => {
        const x = a(ctx);
        if (x === null) return false;
        for (const f of options) { const y = f(ctx); if (y !== null && order(x, y) === 0) return true; }
        return false;
      };
    }
    default: throw new Error(`unknown function ${fn}`);
  }
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

function asNumber(v: Value): number | null {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && NUMERIC.test(v) ? Number(v) : null;
}

/** Numbers (and numeric strings) numerically, anything else as text. Both non-null. */
function order(x: Value, y: Value): number {
  const nx = asNumber(x);
  const ny = asNumber(y);
  if (nx !== null && ny !== null) return nx < ny ? -1 : nx > ny ? 1 : 0;
  const sx = String(x);
  const sy = String(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

function claimValue(claims: Record<string, unknown> | null, name: string): Value {
  // hasOwn: a claim named "constructor" or "__proto__" must not reach Object.prototype.
  if (claims === null || !Object.hasOwn(claims, name)) return null;
  const v = claims[name];
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

/** First value of a query parameter, percent-decoded (`+` as space), or null. No allocation but the match. */
