/**
 * The ground the C# parsers stand on: the token cursor, error reporting with line and column,
 * the nesting bound (MAX_NESTING, so no input can exhaust the stack), the scopes that number
 * locals into frame slots, and type names (`string`, `List<string>`, `string[]`, `int?`,
 * `System.Text.Encoding`), checked against the supported types (cs-names.ts).
 */
import { CsCompileError } from './cs-error.js';
import type { Tok } from './cs-lexer.js';
import type { LocalFn, Node } from './cs-ast.js';
import { NAMESPACE_ROOTS, typeAlias } from './cs-names.js';

export const MAX_NESTING = 64;

/** Integer types narrower than int (or unsigned): a cast to one wraps as C#'s unchecked conversion does. */
export const NARROW_INTS: Record<string, string> = {
  byte: 'byte', Byte: 'byte', sbyte: 'sbyte', SByte: 'sbyte', short: 'short', Int16: 'short', ushort: 'ushort', UInt16: 'ushort', uint: 'uint', UInt32: 'uint',
};
const NAMESPACE_PARTS = new Set(['Text', 'Linq', 'Collections', 'Generic', 'RegularExpressions', 'Net', 'Globalization', 'Security', 'Cryptography', 'Web', 'Json', 'Xml', 'IO']);

export class TokenParser {
  protected i = 0;
  protected depth = 0;
  /** Locals in scope, innermost last: name → slot. */
  protected scopes: Array<Map<string, number>> = [new Map()];
  slots = 0;
  /** Local functions of the block, and the calls waiting for their declaration (C# lets a call precede it). Shared with sub-parsers. */
  fns: { defs: LocalFn[]; byName: Map<string, number>; calls: Array<Extract<Node, { k: 'lcall' }>> } = { defs: [], byName: new Map(), calls: [] };

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
    // byte[] is its own type (a Uint8Array at run time); a lone byte is an int that casts wrap.
    let name = base === 'int' && (t.t === 'byte' || t.t === 'Byte') && this.is('[') && this.is(']', 1) ? 'byte' : base;
    if (this.is('<')) {
      const args = this.tryTypeArgs();
      if (args === null) { this.i = save; return null; }
      name += `<${args.join(',')}>`;
    }
    if (this.is('?') && !this.startsOperand(1)) { this.next(); }
    while (this.is('[') && this.is(']', 1)) { this.next(); this.next(); name += '[]'; }
    return name;
  }

  protected startsOperand(n: number): boolean {
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
