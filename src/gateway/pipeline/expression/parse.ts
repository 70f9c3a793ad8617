/**
 * Parses a condition (see ast.ts for the language) into its plain-data AST, at compile time.
 * Recursive descent, one function per precedence level; nesting (parentheses, `!`, calls) is
 * counted so a condition cannot be deeper than MAX_DEPTH.
 */
import { ExpressionError, MAX_DEPTH, type CompareOp, type Expr, type FunctionName, type RefName } from './ast.js';
import { compileRegex, RegexSyntaxError } from './regex/index.js';
import { tokenize, type Token } from './tokenizer.js';

const COMPARE = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);
/** Arity of each function: [min, max]. */
const FUNCTIONS: Record<FunctionName, [number, number]> = {
  contains: [2, 2], startsWith: [2, 2], endsWith: [2, 2], matches: [2, 3], exists: [1, 1], in: [2, 64], lower: [1, 1],
};
/** Operand paths: root → member → what it reads, and whether it takes a ['name']. */
const PATHS: Record<string, Record<string, [RefName, boolean]>> = {
  request: { method: ['method', false], path: ['path', false], headers: ['header', true], query: ['query', true], ip: ['ip', false] },
  subscription: { id: ['subscription', false], product: ['product', false] },
  jwt: { claims: ['claim', true] },
  api: { id: ['api', false] },
  operation: { id: ['operation', false] },
  response: { status: ['status', false] },
  error: { source: ['errorSource', false], reason: ['errorReason', false] },
};

export function parseExpression(source: string): Expr {
  const p = new Parser(tokenize(source));
  const expr = p.or();
  const t = p.peek();
  if (t.kind !== 'end') throw new ExpressionError(t.pos, `unexpected ${describe(t)} after a complete condition`);
  return expr;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(): Token { return this.tokens[this.i]; }
  private next(): Token { return this.tokens[this.i++]; }
  private isOp(text: string, word?: string): boolean {
    const t = this.peek();
    return (t.kind === 'op' && t.text === text) || (word !== undefined && t.kind === 'ident' && t.text === word);
  }
  private expect(text: string): Token {
    const t = this.next();
    if (t.kind !== 'op' || t.text !== text) throw new ExpressionError(t.pos, `expected "${text}", found ${describe(t)}`);
    return t;
  }
  private enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) throw new ExpressionError(t.pos, `nested more than ${MAX_DEPTH} levels deep`);
  }

  or(): Expr {
    const args = [this.and()];
    while (this.isOp('||', 'or')) { this.next(); args.push(this.and()); }
    return args.length === 1 ? args[0] : { k: 'or', args };
  }

  private and(): Expr {
    const args = [this.compare()];
    while (this.isOp('&&', 'and')) { this.next(); args.push(this.compare()); }
    return args.length === 1 ? args[0] : { k: 'and', args };
  }

  private compare(): Expr {
    const a = this.unary();
    const t = this.peek();
    if (t.kind !== 'op' || !COMPARE.has(t.text)) return a;
    this.next();
    const b = this.unary();
    const op = t.text as CompareOp;
    const after = this.peek();
    if (after.kind === 'op' && COMPARE.has(after.text)) throw new ExpressionError(after.pos, 'comparisons cannot be chained; join them with &&');
    const isNull = (e: Expr) => e.k === 'lit' && e.v === null;
    if ((isNull(a) || isNull(b)) && op !== '==' && op !== '!=') throw new ExpressionError(t.pos, `null can only be compared with == or !=, not ${op}`);
    return { k: 'cmp', op, a, b };
  }

  private unary(): Expr {
    const t = this.peek();
    if (!this.isOp('!', 'not')) return this.primary();
    this.next();
    this.enter(t);
    const a = this.unary();
    this.depth--;
    return { k: 'not', a };
  }

  private primary(): Expr {
    const t = this.next();
    if (t.kind === 'string') return { k: 'lit', v: t.text };
    if (t.kind === 'number') return { k: 'lit', v: Number(t.text) };
    if (t.kind === 'op' && t.text === '(') {
      this.enter(t);
      const e = this.or();
      this.expect(')');
      this.depth--;
      return e;
    }
    if (t.kind !== 'ident') throw new ExpressionError(t.pos, `expected a value, found ${describe(t)}`);
    if (t.text === 'true' || t.text === 'false') return { k: 'lit', v: t.text === 'true' };
    if (t.text === 'null') return { k: 'lit', v: null };
    if (this.isOp('(')) return this.call(t);
    return this.path(t);
  }

  private call(name: Token): Expr {
    const arity = Object.hasOwn(FUNCTIONS, name.text) ? FUNCTIONS[name.text as FunctionName] : undefined;
    if (arity === undefined) throw new ExpressionError(name.pos, `unknown function "${name.text}" (known: ${Object.keys(FUNCTIONS).join(', ')})`);
    this.enter(name);
    this.expect('(');
    const args: Expr[] = [];
    const starts: Token[] = [];
    if (!this.isOp(')')) {
      do { starts.push(this.peek()); args.push(this.or()); } while (this.isOp(',') && this.next());
    }
    this.expect(')');
    this.depth--;
    const [min, max] = arity;
    if (args.length < min || args.length > max) {
      throw new ExpressionError(name.pos, `${name.text}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`);
    }
    if (name.text !== 'matches') return { k: 'call', fn: name.text as Exclude<FunctionName, 'matches'>, args };
    return this.matches(args, starts);
  }

  private matches(args: Expr[], starts: Token[]): Expr {
    const literal = (n: number, what: string): string => {
      const e = args[n];
      if (e.k !== 'lit' || typeof e.v !== 'string') throw new ExpressionError(starts[n].pos, `matches() takes its ${what} as a string literal`);
      return e.v;
    };
    const source = literal(1, 'pattern');
    const flags = args.length === 3 ? literal(2, 'flags') : '';
    if (flags !== '' && flags !== 'i') throw new ExpressionError(starts[2].pos, `matches() flags may only be 'i', got '${flags}'`);
    try {
      compileRegex(source, flags);
    } catch (err) {
      if (!(err instanceof RegexSyntaxError)) throw err;
      throw new ExpressionError(starts[1].pos, `${err.unsupported ? 'pattern refused' : 'invalid pattern'}: ${err.message}`);
    }
    return { k: 'matches', a: args[0], source, flags };
  }

  private path(root: Token): Expr {
    const members = Object.hasOwn(PATHS, root.text) ? PATHS[root.text] : undefined;
    if (members === undefined) throw new ExpressionError(root.pos, `unknown name "${root.text}" (operands start with ${Object.keys(PATHS).join(', ')}; strings are quoted)`);
    this.expect('.');
    const m = this.next();
    const entry = m.kind === 'ident' && Object.hasOwn(members, m.text) ? members[m.text] : undefined;
    if (entry === undefined) throw new ExpressionError(m.pos, `${root.text}.${m.kind === 'ident' ? m.text : ''} is not an operand (known: ${Object.keys(members).map((k) => `${root.text}.${k}`).join(', ')})`);
    const [ref, keyed] = entry;
    if (!keyed) return { k: 'ref', ref, key: null };
    let key: string;
    const t = this.next();
    if (t.kind === 'op' && t.text === '[') {
      const s = this.next();
      if (s.kind !== 'string') throw new ExpressionError(s.pos, `expected a quoted name in ${root.text}.${m.text}[...], found ${describe(s)}`);
      this.expect(']');
      key = s.text;
    } else if (t.kind === 'op' && t.text === '.') {
      const s = this.next();
      if (s.kind !== 'ident') throw new ExpressionError(s.pos, `expected a name after ${root.text}.${m.text}., found ${describe(s)}`);
      key = s.text;
    } else {
      throw new ExpressionError(t.pos, `${root.text}.${m.text} needs a name: ${root.text}.${m.text}['name']`);
    }
    if (key === '') throw new ExpressionError(t.pos, 'the name is empty');
    return { k: 'ref', ref, key: ref === 'header' ? key.toLowerCase() : key };
  }
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'the end of the condition';
  if (t.kind === 'string') return `the string '${t.text}'`;
  return `"${t.text}"`;
}
