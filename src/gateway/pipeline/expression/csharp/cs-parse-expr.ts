/**
 * Recursive descent over C# expressions with C#'s precedence, loosest first: assignment and
 * lambdas, `?:`, `??`, `||`, `&&`, `|`, `^`, `&`, `== !=`, `< > <= >= is as`, `+ -`, `* / %`,
 * unary (`! - + ~ ++ -- (T)x`), then operands and their postfix chains (cs-parse-primary.ts).
 */
import type { Node, Stmt } from './cs-ast.js';
import type { Tok } from './cs-lexer.js';
import { typeAlias } from './cs-names.js';
import { PrimaryParser } from './cs-parse-primary.js';
import { NARROW_INTS } from './cs-parse-base.js';

export { describe, MAX_NESTING } from './cs-parse-base.js';

const ASSIGN = new Set(['=', '+=', '-=', '*=', '/=', '%=', '??=']);
/** Binary levels from `??` inwards; `??` is right-associative. */
const LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
/** The shift level: the lexer has no `<<`/`>>` tokens (they would break `List<List<int>>`), so two adjacent `<` or `>` are one. */
const SHIFT_LEVEL = 7;

export class ExprParser extends PrimaryParser {
  constructor(src: string, toks: Tok[]) { super(src, toks); }

  protected sub(toks: Tok[]): ExprParser {
    return new ExprParser(this.src, toks);
  }

  expr(): Node {
    const t = this.peek();
    this.enter(t);
    try {
      const lam = this.tryLambda();
      if (lam) return lam;
      const target = this.conditional();
      const op = this.peek();
      if (op.k === 'op' && ASSIGN.has(op.t)) {
        if (target.k !== 'loc' && target.k !== 'idx' && target.k !== 'mem') this.fail(op, 'only a local, an indexer or a property can be assigned');
        this.next();
        return { k: 'asg', op: op.t, target, value: this.expr(), p: op.p };
      }
      return target;
    } finally { this.leave(); }
  }

  private tryLambda(): Node | null {
    const t = this.peek();
    let names: Tok[] | null = null;
    let end = this.i;
    if (t.k === 'id' && this.is('=>', 1)) { names = [t]; end = this.i + 1; }
    else if (t.k === 'op' && t.t === '(') {
      // (a, b) => or (T a, T b) => : scan the parenthesis for identifiers only.
      let j = this.i + 1;
      const found: Tok[] = [];
      for (;;) {
        const a = this.toks[j];
        if (a.k === 'op' && a.t === ')') break;
        if (a.k !== 'id') return null;
        let name = a;
        if (this.toks[j + 1]?.k === 'id') { name = this.toks[j + 1]; j++; }
        found.push(name);
        j++;
        if (this.toks[j].k === 'op' && this.toks[j].t === ',') { j++; continue; }
        if (!(this.toks[j].k === 'op' && this.toks[j].t === ')')) return null;
      }
      if (!(this.toks[j + 1]?.k === 'op' && this.toks[j + 1].t === '=>')) return null;
      names = found;
      end = j + 1;
    }
    if (names === null) return null;
    this.i = end + 1;
    this.scopes.push(new Map());
    const params = names.map((n) => this.declare(n));
    const body: Node | Stmt = this.is('{') ? this.lambdaBlock() : this.expr();
    this.scopes.pop();
    return { k: 'lam', params, body, p: t.p };
  }

  /** Statement parsing lives in the subclass; a block-bodied lambda needs it. */
  protected lambdaBlock(): Stmt { this.fail(this.peek(), 'a lambda with a { } body is not supported here'); }

  private conditional(): Node {
    const c = this.coalesce();
    if (!this.is('?')) return c;
    const q = this.next();
    const a = this.expr();
    this.expect(':');
    const b = this.expr();
    return { k: 'cond', c, a, b, p: q.p };
  }

  private coalesce(): Node {
    const a = this.binary(0);
    if (!this.is('??')) return a;
    const op = this.next();
    this.enter(op);
    const b = this.coalesce();
    this.leave();
    return { k: 'bin', op: '??', a, b, p: op.p };
  }

  private binary(level: number): Node {
    if (level === LEVELS.length) return this.unary();
    let a = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (LEVELS[level][0] === '<' && t.k === 'id' && (t.t === 'is' || t.t === 'as')) { a = this.isAs(a); continue; }
      if (level === SHIFT_LEVEL) {
        if (!this.isShift()) return a;
        this.next();
        this.next();
        this.enter(t);
        a = { k: 'bin', op: t.t === '<' ? '<<' : '>>', a, b: this.binary(level + 1), p: t.p };
        this.leave();
        continue;
      }
      if (t.k !== 'op' || !LEVELS[level].includes(t.t) || ((t.t === '<' || t.t === '>') && this.isShift())) return a;
      this.next();
      this.enter(t);
      a = { k: 'bin', op: t.t, a, b: this.binary(level + 1), p: t.p };
      this.leave();
    }
  }

  /** `<<` or `>>`: two adjacent `<` (or `>`) tokens, not followed by `=` (`>>=` is outside the subset). */
  private isShift(): boolean {
    const t = this.peek();
    const u = this.peek(1);
    return t.k === 'op' && (t.t === '<' || t.t === '>') && u.k === 'op' && u.t === t.t && u.p === t.p + 1;
  }

  private isAs(a: Node): Node {
    const t = this.next();
    if (t.t === 'as') return { k: 'as', a, type: this.type(), p: t.p };
    const not = this.isWord('not') ? (this.next(), true) : false;
    if (this.isWord('null')) { this.next(); return { k: 'is', a, type: 'null', slot: null, not, p: t.p }; }
    const type = this.type();
    const slot = !not && this.peek().k === 'id' && !['is', 'as', 'and', 'or'].includes(this.peek().t) ? this.declare(this.next()) : null;
    return { k: 'is', a, type, slot, not, p: t.p };
  }

  protected unary(): Node {
    const t = this.peek();
    if (t.k === 'op' && (t.t === '!' || t.t === '-' || t.t === '+' || t.t === '~')) {
      this.next();
      this.enter(t);
      const a = this.unary();
      this.leave();
      if (t.t === '-' && a.k === 'lit' && typeof a.v === 'number') return { ...a, v: -a.v, p: t.p };
      return { k: 'un', op: t.t, a, p: t.p };
    }
    if (t.k === 'op' && (t.t === '++' || t.t === '--')) {
      this.next();
      const target = this.unary();
      if (target.k !== 'loc') this.fail(t, `${t.t} applies to a local variable`);
      return { k: 'inc', target, delta: t.t === '++' ? 1 : -1, prefix: true, p: t.p };
    }
    if (t.k === 'op' && t.t === '(') {
      const cast = this.tryCast();
      if (cast) return cast;
    }
    return this.operand();
  }

  /** `(T)x`: a type in parentheses followed by something that starts an operand. */
  private tryCast(): Node | null {
    const save = this.i;
    const open = this.next();
    const first = this.peek();
    const type = first.k === 'id' ? this.tryType() : null;
    if (type === null || !this.is(')')) { this.i = save; return null; }
    this.next();
    const after = this.peek();
    const keyword = typeAlias(first.t) !== undefined && /^[a-z]/.test(first.t);
    const operandStart = after.k === 'id' || after.k === 'num' || after.k === 'str' || after.k === 'chr' || after.k === 'interp' || (after.k === 'op' && (after.t === '(' || after.t === '!' || after.t === '~'));
    if (!operandStart && !(keyword && after.k === 'op' && (after.t === '-' || after.t === '+'))) { this.i = save; return null; }
    this.enter(open);
    const a = this.unary();
    this.leave();
    const narrow = type === 'int' || type === 'long' ? NARROW_INTS[first.t] : undefined;
    return { k: 'cast', type: narrow ?? type, a, p: open.p };
  }

  /** A type name: `string`, `JObject`, `List<string>`, `string[]`, `int?`, `System.Text.Encoding`. */
}
