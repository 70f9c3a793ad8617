/**
 * Statements of `@{ ... }` blocks (declarations, if/else, return, foreach, for, while, switch,
 * try/catch, break/continue, using, unchecked blocks, local functions, expression statements) on
 * top of the expression parser, and the entry point: compileCs turns the text of `@(...)` or
 * `@{...}` into a Program (plain data). Local function calls are resolved once the whole block
 * is parsed (C# lets a call precede the declaration).
 */
import type { LocalFn, Node, Program, Stmt } from './cs-ast.js';
import { lex } from './cs-lexer.js';
import { describe, ExprParser } from './cs-parse-expr.js';
import { CsCompileError } from './cs-error.js';
import './cs-runtime.js'; // registers the supported members (cs-names.ts) before anything is parsed

/** Longest expression source accepted (a policy document holds many; each is bounded). */
export const MAX_SOURCE = 16_384;

/**
 * Deepest tree accepted. Left-associative chains (`1+1+1…`, `a.b.c…`) are parsed in loops, not
 * by recursion, so MAX_NESTING does not bound them; binding, evaluating and msgpack all recurse
 * over the tree, so its depth is measured here (without recursion) and bounded.
 */
export const MAX_TREE_DEPTH = 200;

/** `source` is the expression body: the text between `@(` and `)`, or between `@{` and `}`. */
export function compileCs(source: string, kind: 'expr' | 'block'): Program {
  const program = parseProgram(source, kind);
  const deep = deepestNode(program);
  if (deep !== null) throw new CsCompileError(source, deep.p, `the expression is nested more than ${MAX_TREE_DEPTH} levels deep (split it with variables in a @{...} block)`);
  return program;
}

/** Where a node deeper than MAX_TREE_DEPTH is, or null. An explicit stack: the tree may be deeper than the call stack allows. */
function deepestNode(root: unknown): { p: number } | null {
  const stack: Array<[unknown, number, number]> = [[root, 0, 0]];
  while (stack.length > 0) {
    const [v, depth, near] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    // Arrays and helper objects have no position: report the nearest node above them.
    const p = typeof (v as { p?: unknown }).p === 'number' ? (v as { p: number }).p : near;
    if (depth > MAX_TREE_DEPTH) return { p };
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1, p]);
  }
  return null;
}

function parseProgram(source: string, kind: 'expr' | 'block'): Program {
  if (source.length > MAX_SOURCE) throw new CsCompileError(source, 0, `an expression is at most ${MAX_SOURCE} characters, this one has ${source.length}`);
  const p = new StmtParser(source, lex(source));
  if (kind === 'expr') {
    const e = p.expr();
    p.atEnd();
    p.resolveCalls();
    if (e.k === 'lam') throw new CsCompileError(source, e.p, 'a lambda is not a value (lambdas are arguments of LINQ methods)');
    return { kind: 'expr', e, slots: p.slots };
  }
  const body = p.statements();
  p.atEnd();
  p.resolveCalls();
  if (!endsWithReturn(body)) throw new CsCompileError(source, source.length, 'a @{...} block must end with a return statement');
  const fns = p.fns.defs;
  return fns.length === 0 ? { kind: 'block', s: { k: 'block', body, p: 0 }, slots: p.slots } : { kind: 'block', s: { k: 'block', body, p: 0 }, slots: p.slots, fns };
}

function endsWithReturn(body: Stmt[]): boolean {
  const last = body[body.length - 1];
  if (last === undefined) return false;
  if (last.k === 'return') return true;
  if (last.k === 'if') return last.else !== null && endsWithReturn([last.then]) && endsWithReturn([last.else]);
  if (last.k === 'block') return endsWithReturn(last.body);
  if (last.k === 'switch' || last.k === 'try' || last.k === 'foreach' || last.k === 'while' || last.k === 'for') return true; // checked at run time
  return false;
}

/** Most local functions one block may declare, and most parameters each. */
export const MAX_LOCAL_FUNCTIONS = 32;
const MAX_PARAMS = 16;

class StmtParser extends ExprParser {
  /** Points each local function call at its declaration; a name the block never declares is unknown. */
  resolveCalls(): void {
    for (const call of this.fns.calls) {
      const id = this.fns.byName.get(call.name);
      if (id === undefined) this.fail(call.p, `unknown name "${call.name}" (expressions start from context, a local, a literal or a supported type; a call needs a method of one, or a local function of the block)`);
      const def = this.fns.defs[id];
      if (def.params.length !== call.args.length) this.fail(call.p, `the local function ${call.name} takes ${def.params.length} argument(s), not ${call.args.length}`);
      call.fn = id;
    }
  }

  /**
   * `T Name(T a, T b) { ... }`, `void Name(...)`, `static ...`, or `=> expr;` bodied: a local
   * function. Its statement is empty; its body goes to Program.fns. Recursion is allowed, bounded
   * by the step budget and the call depth (cs-bind.ts).
   */
  private tryLocalFunction(): Stmt | null {
    const save = this.i;
    const start = this.peek();
    if (this.isWord('static')) this.next();
    const isVoid = this.isWord('void');
    if (isVoid) this.next();
    else if (this.tryType() === null) { this.i = save; return null; }
    const name = this.peek();
    if (name.k !== 'id' || !this.is('(', 1) || this.lookup(name.t) !== undefined) { this.i = save; return null; }
    this.next();
    this.next();
    if (this.fns.byName.has(name.t)) this.fail(name, `the local function "${name.t}" is already declared`);
    if (this.fns.defs.length >= MAX_LOCAL_FUNCTIONS) this.fail(name, `a block declares at most ${MAX_LOCAL_FUNCTIONS} local functions`);
    const id = this.fns.defs.length;
    this.fns.byName.set(name.t, id);
    const first = this.slots;
    this.scopes.push(new Map());
    const params: number[] = [];
    if (!this.eat(')')) {
      for (;;) {
        if (this.isWord('ref') || this.isWord('out') || this.isWord('in') || this.isWord('params')) this.fail(this.peek(), `"${this.peek().t}" parameters are outside the supported subset`);
        this.type();
        const param = this.next();
        if (param.k !== 'id') this.fail(param, `expected a parameter name, found ${describe(param)}`);
        if (this.is('=')) this.fail(this.peek(), 'default parameter values are outside the supported subset');
        params.push(this.declare(param));
        if (params.length > MAX_PARAMS) this.fail(param, `a local function takes at most ${MAX_PARAMS} parameters`);
        if (this.eat(',')) continue;
        this.expect(')');
        break;
      }
    }
    const def: LocalFn = { name: name.t, params, first, end: first, body: { k: 'block', body: [], p: name.p }, isVoid, p: name.p };
    this.fns.defs.push(def);
    if (this.is('=>')) {
      const arrow = this.next();
      const e = this.expr();
      this.expect(';');
      def.body = isVoid ? { k: 'expr', e, p: arrow.p } : { k: 'return', e, p: arrow.p };
    } else {
      if (!this.is('{')) this.fail(this.peek(), `expected the body of the local function ${name.t} ("{" or "=>"), found ${describe(this.peek())}`);
      def.body = this.block();
    }
    this.scopes.pop();
    def.end = this.slots;
    return { k: 'block', body: [], p: start.p };
  }

  atEnd(): void {
    const t = this.peek();
    if (t.k !== 'end') this.fail(t, `unexpected ${describe(t)} after a complete ${this.i === 0 ? 'expression' : 'expression'}`);
  }

  statements(): Stmt[] {
    const out: Stmt[] = [];
    while (this.peek().k !== 'end') out.push(this.statement());
    return out;
  }

  protected override lambdaBlock(): Stmt { return this.block(); }

  private block(): Stmt {
    const open = this.expect('{');
    this.scopes.push(new Map());
    const body: Stmt[] = [];
    while (!this.is('}')) {
      if (this.peek().k === 'end') this.fail(open, 'unclosed "{"');
      body.push(this.statement());
    }
    this.next();
    this.scopes.pop();
    return { k: 'block', body, p: open.p };
  }

  private statement(): Stmt {
    const t = this.peek();
    this.enter(t);
    try { return this.statementInner(); } finally { this.leave(); }
  }

  private statementInner(): Stmt {
    const t = this.peek();
    if (t.k === 'op' && t.t === '{') return this.block();
    if (t.k === 'op' && t.t === ';') { this.next(); return { k: 'block', body: [], p: t.p }; }
    if (t.k === 'id') {
      switch (t.t) {
        case 'return': {
          this.next();
          const e = this.is(';') ? null : this.expr();
          this.expect(';');
          return { k: 'return', e, p: t.p };
        }
        case 'if': {
          this.next();
          const c = this.paren();
          const then = this.scoped();
          const otherwise = this.isWord('else') ? (this.next(), this.scoped()) : null;
          return { k: 'if', c, then, else: otherwise, p: t.p };
        }
        case 'foreach': return this.foreach();
        case 'for': return this.forLoop();
        case 'while': { this.next(); const c = this.paren(); return { k: 'while', c, body: this.scoped(), p: t.p }; }
        case 'switch': return this.switchStmt();
        case 'try': return this.tryStmt();
        case 'using': return this.usingStmt();
        // Arithmetic here is C#'s default, unchecked: the block is just a block. (`checked` overflow checks are not modelled.)
        case 'unchecked': if (this.is('{', 1)) { this.next(); return this.block(); } break;
        case 'break': case 'continue': this.next(); this.expect(';'); return { k: t.t, p: t.p };
        case 'throw': case 'goto': case 'do': case 'lock': case 'yield': case 'await':
          this.fail(t, `"${t.t}" is outside the supported subset of policy expressions`);
      }
      const fn = this.tryLocalFunction();
      if (fn) return fn;
      const decl = this.tryDeclaration();
      if (decl) { this.expect(';'); return decl; }
    }
    const e = this.expr();
    if (e.k !== 'asg' && e.k !== 'call' && e.k !== 'inc' && e.k !== 'lcall') this.fail(t, 'only assignments, calls, ++ and -- can be statements');
    this.expect(';');
    return { k: 'expr', e, p: t.p };
  }

  /** The body of if/else/loops gets a scope of its own, as in C#. */
  private scoped(): Stmt {
    this.scopes.push(new Map());
    const s = this.statement();
    this.scopes.pop();
    return s;
  }

  private paren(): Node {
    this.expect('(');
    const c = this.expr();
    this.expect(')');
    return c;
  }

  /** `var x = e`, `string x = e, y`, `JObject body = ...`: a type (or var) then a name. */
  private tryDeclaration(): Stmt | null {
    const save = this.i;
    const t = this.peek();
    if (t.t === 'var' || t.t === 'dynamic') this.next();
    else if (this.tryType() === null) return null;
    if (this.peek().k !== 'id' || !(this.is('=', 1) || this.is(';', 1) || this.is(',', 1))) { this.i = save; return null; }
    const slots: number[] = [];
    const inits: Array<Node | null> = [];
    do {
      const name = this.next();
      if (name.k !== 'id') this.fail(name, `expected a variable name, found ${describe(name)}`);
      const init = this.eat('=') ? this.expr() : null;
      if (init === null && t.t === 'var') this.fail(name, 'a var declaration needs a value');
      slots.push(this.declare(name));
      inits.push(init);
    } while (this.eat(','));
    return { k: 'decl', slots, inits, p: t.p };
  }

  /**
   * `using (var x = ...) body` and `using var x = ...;`. Nothing an expression can hold needs
   * disposing (hashes, readers and builders are plain values here), so a using is its
   * declaration and its body.
   */
  private usingStmt(): Stmt {
    const t = this.next();
    if (!this.is('(')) {
      const decl = this.tryDeclaration();
      if (decl === null) this.fail(this.peek(), 'using needs a declaration of a supported type (`using var x = ...;`)');
      this.expect(';');
      return decl;
    }
    this.next();
    this.scopes.push(new Map());
    const decl = this.tryDeclaration();
    if (decl === null) this.fail(this.peek(), 'using needs a declaration of a supported type (`using (var x = ...)`)');
    this.expect(')');
    const body = this.statement();
    this.scopes.pop();
    return { k: 'block', body: [decl, body], p: t.p };
  }

  private foreach(): Stmt {
    const t = this.next();
    this.expect('(');
    if (this.isWord('var')) this.next(); else this.type();
    const name = this.next();
    if (name.k !== 'id') this.fail(name, `expected a variable name, found ${describe(name)}`);
    if (!this.isWord('in')) this.fail(this.peek(), 'expected "in"');
    this.next();
    const of = this.expr();
    this.expect(')');
    this.scopes.push(new Map());
    const slot = this.declare(name);
    const body = this.statement();
    this.scopes.pop();
    return { k: 'foreach', slot, of, body, p: t.p };
  }

  private forLoop(): Stmt {
    const t = this.next();
    this.expect('(');
    this.scopes.push(new Map());
    let init: Stmt | null = null;
    if (!this.is(';')) {
      init = this.tryDeclaration();
      if (init === null) { const e = this.expr(); init = { k: 'expr', e, p: e.p }; }
    }
    this.expect(';');
    const c = this.is(';') ? null : this.expr();
    this.expect(';');
    const step: Node[] = [];
    while (!this.is(')')) { step.push(this.expr()); if (!this.eat(',')) break; }
    this.expect(')');
    const body = this.statement();
    this.scopes.pop();
    return { k: 'for', init, c, step, body, p: t.p };
  }

  private switchStmt(): Stmt {
    const t = this.next();
    const on = this.paren();
    this.expect('{');
    const cases: Array<{ labels: Array<Node | null>; body: Stmt[] }> = [];
    this.scopes.push(new Map());
    while (!this.eat('}')) {
      const labels: Array<Node | null> = [];
      while (this.isWord('case') || this.isWord('default')) {
        const l = this.next();
        labels.push(l.t === 'case' ? this.expr() : null);
        this.expect(':');
      }
      if (labels.length === 0) this.fail(this.peek(), `expected "case" or "default", found ${describe(this.peek())}`);
      const body: Stmt[] = [];
      while (!this.isWord('case') && !this.isWord('default') && !this.is('}')) {
        if (this.peek().k === 'end') this.fail(t, 'unclosed switch');
        body.push(this.statement());
      }
      cases.push({ labels, body });
    }
    this.scopes.pop();
    return { k: 'switch', on, cases, p: t.p };
  }

  private tryStmt(): Stmt {
    const t = this.next();
    const body = this.block();
    if (!this.isWord('catch')) this.fail(this.peek(), 'try needs a catch (finally is outside the supported subset)');
    this.next();
    this.scopes.push(new Map());
    let slot: number | null = null;
    if (this.eat('(')) {
      const typeTok = this.next();
      if (typeTok.k !== 'id' || !/Exception$/.test(typeTok.t)) this.fail(typeTok, 'expected an exception type');
      if (this.peek().k === 'id') slot = this.declare(this.next());
      this.expect(')');
    }
    const handler = this.block();
    this.scopes.pop();
    return { k: 'try', body, slot, handler, p: t.p };
  }
}
