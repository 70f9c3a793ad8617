/**
 * Outpost's condition language as sugar over the one expression engine (rule 9 of DESIGN.md): a
 * condition's AST is lowered to the C# expression tree (csharp/cs-ast.ts) as `op` nodes, and
 * bound by the same binder as APIM's policy expressions (csharp/cs-bind.ts), with the same step
 * budget. The operations registered here keep the semantics of ast.ts (null, numeric strings,
 * truthiness); regexes are compiled at bind time (regex/, never RegExp).
 */
import { MAX_MATCH_INPUT, type CompareOp, type Expr, type RefName, type Value } from './ast.js';
import type { RequestContext } from '../context.js';
import { queryValue } from '../../../shared/query-string.js';
import { compileRegex } from './regex/index.js';
import type { Node, Program } from './csharp/cs-ast.js';
import { bindProgram, registerOp, type Ev } from './csharp/cs-bind.js';

export type Evaluator = (ctx: RequestContext) => Value;
/** What the registered operations build: closures over the evaluation state (st.ctx is the request). */
type CtxEvaluator = Ev;

/** The condition as a predicate: its value's truthiness. */
export function bindCondition(expr: Expr): (ctx: RequestContext) => boolean {
  const f = bindProgram(lowerCondition(expr));
  return (ctx) => f(ctx) === true;
}

export function truthy(v: Value): boolean {
  return v !== null && v !== false && v !== '' && v !== 0;
}

export function bind(e: Expr): Evaluator {
  return bindProgram({ kind: 'expr', e: lower(e), slots: 0 }) as Evaluator;
}

/** A condition as a program of the one expression tree: its truthiness, a boolean. */
export function lowerCondition(e: Expr): Program {
  return { kind: 'expr', e: { k: 'op', name: 'truthy', args: [lower(e)], key: null, p: 0 }, slots: 0 };
}

/** The condition language's AST as nodes of the C# tree: operations the evaluator runs (registered below). */
function lower(e: Expr): Node {
  const op = (name: string, args: Node[], key: string | null = null): Node => ({ k: 'op', name, args, key, p: 0 });
  switch (e.k) {
    case 'lit': return { k: 'lit', v: e.v, p: 0 };
    case 'ref': return op(`ref:${e.ref}`, [], e.key);
    case 'not': return op('not', [lower(e.a)]);
    case 'and': case 'or': return op(e.k, e.args.map(lower));
    case 'cmp': return op(`cmp:${e.op}`, [lower(e.a), lower(e.b)]);
    case 'matches': return op('matches', [lower(e.a)], `${e.flags}/${e.source}`);
    case 'call': return op(`fn:${e.fn}`, e.args.map(lower));
  }
}

// The operations' semantics are those of ast.ts ("Values and null"), unchanged by the move.
const val = (f: CtxEvaluator) => f as (st: Parameters<CtxEvaluator>[0]) => Value;
registerOp('truthy', ([a]) => (st) => truthy(val(a)(st)));
registerOp('not', ([a]) => (st) => !truthy(val(a)(st)));
registerOp('and', (args) => (st) => { for (const f of args) if (!truthy(val(f)(st))) return false; return true; });
registerOp('or', (args) => (st) => { for (const f of args) if (truthy(val(f)(st))) return true; return false; });
for (const op of ['==', '!=', '<', '<=', '>', '>='] as CompareOp[]) registerOp(`cmp:${op}`, ([a, b], _key, nodes) => bindCompare(op, nodes, val(a), val(b)));
for (const fn of ['contains', 'startsWith', 'endsWith', 'exists', 'lower', 'in']) registerOp(`fn:${fn}`, (args) => bindCall(fn, args.map(val)));
for (const ref of ['method', 'path', 'header', 'query', 'ip', 'subscription', 'product', 'claim', 'api', 'operation', 'status', 'errorSource', 'errorReason'] as RefName[]) {
  registerOp(`ref:${ref}`, (_args, key) => { const f = bindRef(ref, key); return (st) => f(st.ctx); });
}
registerOp('matches', ([a], key) => {
  const slash = key!.indexOf('/');
  const re = compileRegex(key!.slice(slash + 1), key!.slice(0, slash)); // linear time; throws past its step budget
  const f = val(a);
  return (st) => {
    const v = f(st);
    if (v === null) return false;
    const s = String(v);
    return s.length <= MAX_MATCH_INPUT && re.test(s);
  };
});

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

type StEvaluator = (st: Parameters<CtxEvaluator>[0]) => Value;

function bindCompare(op: CompareOp, nodes: Node[], a: StEvaluator, b: StEvaluator): CtxEvaluator {
  // The literal null on one side: a presence test of the other (parse.ts allows only == and !=).
  const isNull = (n: Node) => n.k === 'lit' && n.v === null;
  const nullA = isNull(nodes[0]);
  if (nullA || isNull(nodes[1])) {
    const other = nullA ? b : a;
    return op === '==' ? (st) => other(st) === null : (st) => other(st) !== null;
  }
  return (st) => {
    const x = a(st);
    const y = b(st);
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

function bindCall(fn: string, args: StEvaluator[]): CtxEvaluator {
  const [a, b] = args;
  const strings = (test: (x: string, y: string) => boolean): CtxEvaluator => (st) => {
    const x = a(st);
    const y = b(st);
    return x !== null && y !== null && test(String(x), String(y));
  };
  switch (fn) {
    case 'contains': return strings((x, y) => x.includes(y));
    case 'startsWith': return strings((x, y) => x.startsWith(y));
    case 'endsWith': return strings((x, y) => x.endsWith(y));
    case 'exists': return (st) => a(st) !== null;
    case 'lower': return (st) => { const x = a(st); return x === null ? null : String(x).toLowerCase(); };
    case 'in': {
      const options = args.slice(1);
      return (st) => {
        const x = a(st);
        if (x === null) return false;
        for (const f of options) { const y = f(st); if (y !== null && order(x, y) === 0) return true; }
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
