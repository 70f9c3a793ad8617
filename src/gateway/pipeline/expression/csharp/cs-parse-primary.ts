/**
 * Operands of C# expressions: literals, interpolated strings, `context`, locals, static types,
 * `new`, and their postfix chains (`x.y`, `x?.y`, `f(x)`, `a[i]`, `a?[i]`, `x++`). Member names
 * are checked here against the supported subset (cs-names.ts): an unknown member, type or local is
 * a compile error at its line and column; a literal regex pattern is compiled now.
 */
import type { Node } from './cs-ast.js';
import { lex, type Tok } from './cs-lexer.js';
import { isInstanceMember, isStaticMember, NAMESPACE_ROOTS, typeAlias } from './cs-names.js';
import { compileRegex, RegexSyntaxError } from '../regex/index.js';
import { describe, TokenParser } from './cs-parse-base.js';
import { isSettable, settableHint } from './cs-crypto.js';

export abstract class PrimaryParser extends TokenParser {
  abstract expr(): Node;
  /** A parser of the same kind over an interpolated string's hole (shares scopes and slots). */
  protected abstract sub(toks: Tok[]): PrimaryParser;

  protected operand(): Node {
    return this.postfix(this.primary());
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
      case 'unchecked':
        // unchecked(x): C#'s default for run-time values already; the parentheses are all there is.
        if (this.is('(')) { this.next(); const e = this.expr(); this.expect(')'); return e; }
    }
    const slot = this.lookup(t.t);
    if (slot !== undefined) return { k: 'loc', slot, name: t.t, p: t.p };
    if (this.is('(') && typeAlias(t.t) === undefined && !NAMESPACE_ROOTS.has(t.t)) {
      // A local function's call; parseProgram checks that the block declares it.
      this.next();
      const call: Extract<Node, { k: 'lcall' }> = { k: 'lcall', fn: -1, name: t.t, args: this.args(')'), p: t.p };
      this.fns.calls.push(call);
      return call;
    }
    this.i--;
    const type = this.tryType();
    if (type !== null && this.is('.')) return { k: 'type', name: type.replace(/<.*$/, ''), p: t.p };
    this.i = this.toks.indexOf(t) + 1;
    this.fail(t, `unknown name "${t.t}" (expressions start from context, a local, a literal or a supported type)`);
  }

  private newExpr(t: Tok): Node {
    if (this.is('[')) { this.next(); this.expect(']'); return { k: 'arr', items: this.initList(), p: t.p }; }
    if (this.is('{')) return this.anonymousObject(t);
    const typeTok = this.peek();
    const type = this.tryType();
    if (type === null) this.fail(typeTok, `new ${typeTok.t}(...) is outside the supported subset of policy expressions`);
    if (type === 'byte[]') return { k: 'arr', items: this.initList(), bytes: true, p: t.p };
    if (type.endsWith('[]')) return { k: 'arr', items: this.initList(), p: t.p };
    if (this.is('[')) {
      // new string[n]: an array of n default values; new byte[n]: n zero bytes.
      this.next();
      const size = this.expr();
      this.expect(']');
      const elem = typeTok.t === 'byte' || typeTok.t === 'Byte' ? 'byte' : type;
      return { k: 'new', type: `${elem}[]`, args: [size], init: null, p: t.p };
    }
    if (!/^(JObject|JArray|JProperty|JToken|List|Dictionary|Uri|string|DateTime|TimeSpan|Guid|StringBuilder|StringReader|Regex|KeyValuePair|Random|AesManaged|AesCryptoServiceProvider|RijndaelManaged|TripleDESCryptoServiceProvider|HMAC(MD5|SHA1|SHA256|SHA384|SHA512)|SHA(1|256|384|512)Managed)\b/.test(type)) {
      this.fail(typeTok, `new ${type}(...) is outside the supported subset of policy expressions`);
    }
    const args = this.is('(') ? (this.next(), this.args(')')) : [];
    if (type === 'Regex') this.checkPattern(args[0]);
    let init: Node[][] | null = null;
    const index: Array<[Node, Node]> = [];
    const props: Array<[string, Node]> = [];
    if (this.is('{')) {
      init = [];
      this.next();
      while (!this.eat('}')) {
        if (this.peek().k === 'id' && this.is('=', 1)) {
          // `Name = value`: an object initializer, for the settable properties the subset knows.
          const prop = this.next();
          if (!isSettable(type, prop.t)) this.fail(prop, `setting ${type}.${prop.t} in an object initializer is outside the supported subset of policy expressions${settableHint(type)}`);
          this.next();
          props.push([prop.t, this.expr()]);
        } else if (this.is('{')) { this.next(); init.push(this.args('}')); }
        else if (this.is('[')) {
          // `[key] = value`: the indexer's setter (JObject, Dictionary), as `o[key] = value` would.
          if (!/^(JObject|Dictionary)\b/.test(type)) this.fail(this.peek(), `index initializers apply to JObject and Dictionary, not ${type}`);
          this.next();
          const key = this.expr();
          this.expect(']');
          this.expect('=');
          index.push([key, this.expr()]);
        } else init.push([this.expr()]);
        if (!this.eat(',')) { this.expect('}'); break; }
      }
      if ((index.length > 0 ? 1 : 0) + (init.length > 0 ? 1 : 0) + (props.length > 0 ? 1 : 0) > 1) this.fail(t, 'an initializer cannot mix `Name = value`, `[key] = value` and collection elements');
    }
    if (props.length > 0) return { k: 'new', type, args, init: null, props, p: t.p };
    return index.length > 0 ? { k: 'new', type, args, init: null, index, p: t.p } : { k: 'new', type, args, init, p: t.p };
  }

  /**
   * `new { name = expr, local, a.Member, ... }`: args alternate each member's name (a literal) and
   * its value. A member without `name =` takes the local's or the member's name, as in C#.
   */
  private anonymousObject(t: Tok): Node {
    this.expect('{');
    const args: Node[] = [];
    const names = new Set<string>();
    while (!this.eat('}')) {
      const start = this.peek();
      let name: string;
      let value: Node;
      if (start.k === 'id' && this.peek(1).t === '=') {
        this.next();
        this.next();
        name = start.t;
        value = this.expr();
      } else {
        value = this.expr();
        if (value.k === 'loc' || value.k === 'mem') name = value.name;
        else this.fail(start, 'an anonymous object member needs a name (`name = value`)');
      }
      if (names.has(name)) this.fail(start, `the anonymous object already has a member "${name}"`);
      names.add(name);
      args.push({ k: 'lit', v: name, p: start.p }, value);
      if (!this.eat(',')) { this.expect('}'); break; }
    }
    return { k: 'new', type: 'anonymous', args, init: null, p: t.p };
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
      const sub = this.sub(lex(part.src, part.at, this.src));
      sub.scopes = this.scopes;
      sub.fns = this.fns;
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
