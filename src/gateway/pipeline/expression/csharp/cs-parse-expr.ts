/**
 * Recursive descent over C# expressions with C#'s precedence, loosest first: assignment and
 * lambdas, `?:`, `??`, `||`, `&&`, `|`, `^`, `&`, `== !=`, `< > <= >= is as`, `+ -`, `* / %`,
 * unary (`! - + ~ ++ -- (T)x`), then primary (`x.y x?.y f(x) a[i] a?[i] x++ new`).
 * Names are checked here (cs-names.ts): an unknown member, type or local is a compile error at
 * its line and column. Nesting is bounded (MAX_NESTING) so no input can exhaust the stack.
 */
import type { Node, Stmt } from './cs-ast.js';
import { CsCompileError } from './cs-error.js';
import { lex, type Tok } from './cs-lexer.js';
import { compileRegex, RegexSyntaxError } from '../regex/index.js';
import { isInstanceMember, isStaticMember, NAMESPACE_ROOTS, typeAlias } from './cs-names.js';

export const MAX_NESTING = 64;
const NAMESPACE_PARTS = new Set(['Text', 'Linq', 'Collections', 'Generic', 'RegularExpressions', 'Net', 'Globalization', 'Security', 'Cryptography', 'Web', 'Json']);
const ASSIGN = new Set(['=', '+=', '-=', '*=', '/=', '%=', '??=']);
/** Binary levels from `??` inwards; `??` is right-associative. */
const LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['+', '-'], ['*', '/', '%']];

export class ExprParser {
  protected i = 0;
  private depth = 0;
  /** Locals in scope, innermost last: name → slot. */
  protected scopes: Array<Map<string, number>> = [new Map()];
  slots = 0;

  constructor(protected readonly src: string, protected toks: Tok[]) {}

  // ---- tokens ----
  protected peek(n = 0): Tok { return this.toks[Math.min(this.i + n, this.toks.length - 1)]; }
  protected next(): Tok { return this.toks[Math.min(this.i++, this.toks.length - 1)]; }
  protected is(t: string, n = 0): boolean { const k = this.peek(n); return k.k === 'op' && k.t === t; }
  protected isWord(w: string, n = 0): boolean { const k = this.peek(n); return k.k === 'id' && k.t === w; }
  protected eat(t: string): boolean { if (this.is(t)) { this.i++; return true; } return false; }
  protected expect(t: string): Tok {
    const k = this.next();
    if (k.k !== 'op' || k.t !== t) this.fail(k, `expected "${t}", found ${describe(k)}`);
    return k;
  }
  protected fail(at: Tok | number, problem: string): never {
    throw new CsCompileError(this.src, typeof at === 'number' ? at : at.p, problem);
  }
  protected enter(at: Tok): void { if (++this.depth > MAX_NESTING) this.fail(at, `nested more than ${MAX_NESTING} levels deep`); }
  protected leave(): void { this.depth--; }

  // ---- scopes ----
  protected declare(name: Tok): number {
    if (this.lookup(name.t) !== undefined || name.t === 'context') this.fail(name, `"${name.t}" is already declared`);
    const slot = this.slots++;
    this.scopes[this.scopes.length - 1].set(name.t, slot);
    return slot;
  }
  protected lookup(name: string): number | undefined {
    for (let s = this.scopes.length - 1; s >= 0; s--) { const v = this.scopes[s].get(name); if (v !== undefined) return v; }
    return undefined;
  }

  // ---- expressions ----
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
      if (t.k !== 'op' || !LEVELS[level].includes(t.t)) return a;
      this.next();
      this.enter(t);
      a = { k: 'bin', op: t.t, a, b: this.binary(level + 1), p: t.p };
      this.leave();
    }
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
    return this.postfix(this.primary());
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
    return { k: 'cast', type, a, p: open.p };
  }

  /** A type name: `string`, `JObject`, `List<string>`, `string[]`, `int?`, `System.Text.Encoding`. */
  protected type(): string {
    const t = this.peek();
    const type = this.tryType();
    if (type === null) this.fail(t, `expected a type, found ${describe(t)}`);
    return type;
  }

  protected tryType(): string | null {
    const save = this.i;
    let t = this.next();
    if (t.k !== 'id') { this.i = save; return null; }
    if (NAMESPACE_ROOTS.has(t.t)) {
      // System.Text.Encoding, Newtonsoft.Json.Linq.JObject: the namespace adds nothing.
      do {
        if (!this.is('.')) { this.i = save; return null; }
        this.next();
        t = this.next();
        if (t.k !== 'id') { this.i = save; return null; }
      } while (NAMESPACE_PARTS.has(t.t));
    }
    const base = typeAlias(t.t);
    if (base === undefined) { this.i = save; return null; }
    let name = base;
    if (this.is('<')) {
      const args = this.tryTypeArgs();
      if (args === null) { this.i = save; return null; }
      name += `<${args.join(',')}>`;
    }
    if (this.is('?') && !this.startsOperand(1)) { this.next(); }
    while (this.is('[') && this.is(']', 1)) { this.next(); this.next(); name += '[]'; }
    return name;
  }

  private startsOperand(n: number): boolean {
    const k = this.peek(n);
    return k.k === 'id' || k.k === 'num' || k.k === 'str' || k.k === 'interp' || (k.k === 'op' && k.t === '(');
  }

  /** `<T, U>` after a name; null (position restored) when what follows is not a type list. */
  protected tryTypeArgs(): string[] | null {
    const save = this.i;
    this.next();
    const args: string[] = [];
    for (;;) {
      const t = this.tryType();
      if (t === null) { this.i = save; return null; }
      args.push(t);
      if (this.eat(',')) continue;
      if (this.eat('>')) return args;
      this.i = save;
      return null;
    }
  }

  private postfix(node: Node): Node {
    let n = node;
    for (;;) {
      const t = this.peek();
      if (t.k !== 'op') return n;
      if (t.t === '.' || t.t === '?.') {
        this.next();
        n = this.member(n, t.t === '?.');
      } else if (t.t === '[' || (t.t === '?' && this.is('[', 1))) {
        if (t.t === '?') this.next();
        this.next();
        const args = this.args(']');
        n = { k: 'idx', o: n, args, nc: t.t === '?', p: t.p };
      } else if ((t.t === '++' || t.t === '--') && n.k === 'loc') {
        this.next();
        n = { k: 'inc', target: n, delta: t.t === '++' ? 1 : -1, prefix: false, p: t.p };
      } else if (t.t === '(') {
        this.fail(t, 'only methods can be called (delegates and local functions are outside the subset)');
      } else if (t.t === '!' && n.k !== 'lit' && this.peek(1).k === 'op' && ['.', ')', ';', ','].includes(this.peek(1).t)) {
        this.next(); // the null-forgiving `x!` changes nothing at run time
      } else return n;
    }
  }

  private member(o: Node, nc: boolean): Node {
    const name = this.next();
    if (name.k !== 'id') this.fail(name, `expected a member name, found ${describe(name)}`);
    let targs: string[] = [];
    if (this.is('<')) targs = this.tryTypeArgs() ?? [];
    if (this.is('(')) {
      const known = o.k === 'type' ? isStaticMember(o.name, name.t) : isInstanceMember(name.t);
      if (!known) this.fail(name, `${o.k === 'type' ? `${o.name}.` : ''}${name.t}() is outside the supported subset of policy expressions`);
      this.next();
      const args = this.args(')');
      if (o.k === 'type' && o.name === 'Regex') this.checkPattern(args[1]);
      return { k: 'call', o, name: name.t, targs, args, nc, p: name.p };
    }
    if (targs.length > 0) this.fail(name, `expected "(" after ${name.t}<...>`);
    if (o.k === 'type') {
      if (!isStaticMember(o.name, name.t)) this.fail(name, `${o.name}.${name.t} is outside the supported subset of policy expressions`);
    } else if (!isInstanceMember(name.t)) this.fail(name, `the member "${name.t}" is outside the supported subset of policy expressions`);
    return { k: 'mem', o, name: name.t, nc, p: name.p };
  }

  /** A literal regex pattern is compiled now (Outpost's Pike VM), so a bad one is a compile error. */
  private checkPattern(pattern: Node | undefined): void {
    if (pattern?.k !== 'lit' || typeof pattern.v !== 'string') return;
    try {
      compileRegex(pattern.v, '');
    } catch (err) {
      if (err instanceof RegexSyntaxError) this.fail(pattern.p, `${err.unsupported ? 'pattern refused' : 'invalid pattern'}: ${err.message}`);
      throw err;
    }
  }

  protected args(close: string): Node[] {
    const out: Node[] = [];
    if (this.eat(close)) return out;
    for (;;) {
      if (this.isWord('ref') || this.isWord('in')) this.fail(this.peek(), `"${this.peek().t}" arguments are outside the supported subset`);
      if (this.isWord('out')) { out.push(this.outArg()); if (this.eat(',')) continue; this.expect(close); return out; }
      // Named arguments (`preserveContent: true`) are accepted; the name is dropped (arguments are positional here).
      if (this.peek().k === 'id' && this.is(':', 1)) { this.next(); this.next(); }
      out.push(this.expr());
      if (this.eat(',')) continue;
      this.expect(close);
      return out;
    }
  }

  /** `out var x`, `out string x`, or `out x` (an existing local). */
  private outArg(): Node {
    const t = this.next();
    const first = this.peek();
    if (first.k === 'id' && this.lookup(first.t) !== undefined && !(this.peek(1).k === 'id')) { this.next(); return { k: 'out', slot: this.lookup(first.t)!, p: t.p }; }
    if (this.isWord('var')) this.next(); else this.type();
    const name = this.next();
    if (name.k !== 'id') this.fail(name, `expected a variable name after out, found ${describe(name)}`);
    return { k: 'out', slot: this.declare(name), p: t.p };
  }

  private primary(): Node {
    const t = this.peek();
    switch (t.k) {
      case 'num': this.next(); return { k: 'lit', v: t.num!, int: t.int, p: t.p };
      case 'str': this.next(); return { k: 'lit', v: t.t, p: t.p };
      case 'chr': this.next(); return { k: 'lit', v: t.t, p: t.p };
      case 'interp': this.next(); return this.interp(t);
      case 'end': this.fail(t, 'expected a value, found the end of the expression');
      case 'op':
        if (t.t === '(') {
          this.next();
          this.enter(t);
          const e = this.expr();
          this.expect(')');
          this.leave();
          return e;
        }
        this.fail(t, `expected a value, found ${describe(t)}`);
    }
    this.next();
    switch (t.t) {
      case 'true': return { k: 'lit', v: true, p: t.p };
      case 'false': return { k: 'lit', v: false, p: t.p };
      case 'null': return { k: 'lit', v: null, p: t.p };
      case 'context': return { k: 'ctx', p: t.p };
      case 'new': return this.newExpr(t);
    }
    const slot = this.lookup(t.t);
    if (slot !== undefined) return { k: 'loc', slot, name: t.t, p: t.p };
    this.i--;
    const type = this.tryType();
    if (type !== null && this.is('.')) return { k: 'type', name: type.replace(/<.*$/, ''), p: t.p };
    this.i = this.toks.indexOf(t) + 1;
    this.fail(t, `unknown name "${t.t}" (expressions start from context, a local, a literal or a supported type)`);
  }

  private newExpr(t: Tok): Node {
    if (this.is('[')) { this.next(); this.expect(']'); return { k: 'arr', items: this.initList(), p: t.p }; }
    const typeTok = this.peek();
    const type = this.tryType();
    if (type === null) this.fail(typeTok, `new ${typeTok.t}(...) is outside the supported subset of policy expressions`);
    if (type.endsWith('[]')) return { k: 'arr', items: this.initList(), p: t.p };
    if (this.is('[')) {
      // new string[n]: an array of n default values.
      this.next();
      const size = this.expr();
      this.expect(']');
      return { k: 'new', type: `${type}[]`, args: [size], init: null, p: t.p };
    }
    if (!/^(JObject|JArray|JProperty|JToken|List|Dictionary|Uri|string|DateTime|TimeSpan|Guid|StringBuilder|Regex|KeyValuePair)\b/.test(type)) {
      this.fail(typeTok, `new ${type}(...) is outside the supported subset of policy expressions`);
    }
    const args = this.is('(') ? (this.next(), this.args(')')) : [];
    if (type === 'Regex') this.checkPattern(args[0]);
    let init: Node[][] | null = null;
    if (this.is('{')) {
      init = [];
      this.next();
      while (!this.eat('}')) {
        if (this.is('{')) { this.next(); init.push(this.args('}')); }
        else if (this.is('[')) this.fail(this.peek(), 'index initializers are outside the supported subset');
        else init.push([this.expr()]);
        if (!this.eat(',')) { this.expect('}'); break; }
      }
    }
    return { k: 'new', type, args, init, p: t.p };
  }

  private initList(): Node[] {
    this.expect('{');
    const items: Node[] = [];
    while (!this.eat('}')) {
      items.push(this.expr());
      if (!this.eat(',')) { this.expect('}'); break; }
    }
    return items;
  }

  private interp(t: Tok): Node {
    const parts: Array<string | { e: Node; fmt: string | null }> = [];
    for (const part of t.parts!) {
      if (typeof part === 'string') { parts.push(part); continue; }
      const sub = new ExprParser(this.src, lex(part.src, part.at, this.src));
      sub.scopes = this.scopes;
      sub.slots = this.slots;
      sub.depth = this.depth + 1;
      const e = sub.expr();
      const end = sub.peek();
      if (end.k !== 'end') this.fail(end, `unexpected ${describe(end)} in an interpolated string's hole`);
      this.slots = sub.slots;
      parts.push({ e, fmt: part.fmt });
    }
    return { k: 'interp', parts, p: t.p };
  }
}

export function describe(t: Tok): string {
  switch (t.k) {
    case 'end': return 'the end of the expression';
    case 'str': case 'interp': return 'a string';
    case 'chr': return 'a char';
    case 'num': return `the number ${t.t}`;
    default: return `"${t.t}"`;
  }
}
