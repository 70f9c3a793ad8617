/**
 * The condition language of `choose` (`<when condition="...">`): small, safe, compiled once.
 *
 * A condition is parsed at compile time (in the compiler thread) into the plain-data AST below,
 * which travels in the compiled table (msgpack) like any policy config; each worker binds it once
 * per generation into a tree of closures (bind.ts), so a request only calls functions: nothing is
 * parsed, no regex is built, and nothing is ever evaluated as code (no eval, no `new Function`).
 *
 * Operands
 *   'text' "text"            strings (escapes: \\ \' \" \n \t)
 *   12  -3  0.5              numbers
 *   true false null          booleans and null
 *   request.method           the method as the client sent it ("GET")
 *   request.path             the path after the API's suffix, as the client encoded it ("/orders/7")
 *   request.headers['name']  first value of a request header (name case-insensitive); also
 *   request.headers.name       written with a dot when the name is an identifier (x-api-version)
 *   request.query['name']    first value of a query parameter, percent-decoded
 *   request.ip               the client's address
 *   subscription.id          the subscription of the key used, or null
 *   subscription.product     the product of that key, or null
 *   jwt.claims['name']       a claim of the token validate-jwt accepted (objects and arrays as
 *                            JSON text), or null
 *   api.id  operation.id     the matched API and operation
 *   response.status          the status of the response being built (outbound, on-error, and
 *                            retry's view of the backend's answer), or null
 *   error.source             lastError's source (client, backend, policy, internal) and reason
 *   error.reason               (e.g. OUTPOST_ERR_BACKEND_UNREACHABLE), or null when none
 *
 * Operators, loosest first: `||` (or `or`), `&&` (or `and`), the comparisons `== != < <= > >=`
 * (not chained), `!` (or `not`), then operands, calls and parentheses. The word forms exist because
 * `&&` and `<` must be escaped in XML attributes.
 *
 * Functions: contains(a, b), startsWith(a, b), endsWith(a, b), matches(a, 'regex' [, 'i']),
 * exists(x), in(x, 'a', 'b', ...), lower(x).
 *
 * Values and null
 * - A missing header, parameter, claim or subscription is null.
 * - `x == null` is true when x is missing, `x != null` when it is present (as exists(x)).
 * - Any other comparison with a null operand is false, `!=` included: a missing header is not
 *   "different from 'prod'", it is missing. Functions given null return false (lower: null).
 * - Two numbers, or numeric strings ("42", "-1.5"), compare numerically; otherwise values compare
 *   as text (code-unit order).
 * - Truthiness (for && || ! and for the condition itself): null, false, '' and 0 are false.
 *
 * Regexes (matches) run on Outpost's own engine (regex/), never on V8's backtracking RegExp: the
 * pattern becomes a Thompson NFA and a match simulates it in O(input × states) steps, so no
 * pattern (`(a|a)*c`, `(a+)+b`) can take exponential time. The syntax is JavaScript's without the
 * `u` flag, minus backreferences, lookaround, Unicode property escapes and unknown letter
 * escapes (each a compile error naming the construct); regex/regex-parse.ts has the list.
 *
 * Limits, checked at compile time: at most MAX_LENGTH characters and MAX_DEPTH levels of nesting;
 * a regex at most MAX_PATTERN characters and MAX_REGEX_STATES states once its {n,m} counts are
 * expanded. Per request: matches() on a value longer than MAX_MATCH_INPUT characters is false
 * without running the regex, and one matches() evaluation may take at most MAX_REGEX_STEPS steps
 * (states entered plus characters tested); past that it throws OUTPOST_ERR_EXPRESSION_BUDGET and
 * the policy fails to on-error.
 * Errors give the 1-based character position: `at 14: expected ")"`.
 */
export const MAX_LENGTH = 1024;
export const MAX_DEPTH = 24;
export const MAX_PATTERN = 256;
export const MAX_MATCH_INPUT = 4096;
export const MAX_REGEX_STEPS = 1_000_000;

export type Value = string | number | boolean | null;

/** What an operand reads from the request. `key` is the header (lowercased), parameter or claim name. */
export type RefName = 'method' | 'path' | 'header' | 'query' | 'ip' | 'subscription' | 'product' | 'claim' | 'api' | 'operation'
  | 'status' | 'errorSource' | 'errorReason';

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type FunctionName = 'contains' | 'startsWith' | 'endsWith' | 'matches' | 'exists' | 'in' | 'lower';

export type Expr =
  | { k: 'lit'; v: Value }
  | { k: 'ref'; ref: RefName; key: string | null }
  | { k: 'not'; a: Expr }
  | { k: 'and' | 'or'; args: Expr[] }
  /** With the literal null on either side, a presence test (see "Values and null"). */
  | { k: 'cmp'; op: CompareOp; a: Expr; b: Expr }
  | { k: 'call'; fn: Exclude<FunctionName, 'matches'>; args: Expr[] }
  /** The pattern is checked at compile time and compiled (regex/) once per worker generation. */
  | { k: 'matches'; a: Expr; source: string; flags: string };

/** A problem in a condition, with its 1-based character position. */
export class ExpressionError extends Error {
  constructor(readonly position: number, readonly problem: string) {
    super(`at ${position}: ${problem}`);
    this.name = 'ExpressionError';
  }
}
