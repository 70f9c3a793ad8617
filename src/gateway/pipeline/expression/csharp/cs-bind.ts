/**
 * Binds a policy expression's tree (cs-ast.ts) into closures, once per generation in a worker.
 * Each closure takes the evaluation's state (cs-state.ts): the request, the frame of locals and
 * the step count. No node is dispatched on its kind per request; names were resolved at parse
 * time (slots for locals, checked member names) and static members here.
 *
 * `a?.b.c` short-circuits the whole chain when `a` is null: members, calls and indexers pass the
 * SHORT marker up their chain and the chain's top turns it into null.
 */
import type { LocalFn, Node, Program, Stmt } from './cs-ast.js';
import { budgetError, EvalState, MAX_CALL_DEPTH } from './cs-state.js';
import { callMethod, getProp, indexGet, indexSet } from './cs-members.js';
import { STATICS } from './cs-statics.js';
import { ContextView } from './cs-context.js';
import { castTo, isOfType, toByte } from './cs-values.js';
import { csString } from './cs-convert.js';
import { arithmetic, bitwise, bool, equality, relational, shift } from './cs-operators.js';
import { CsRuntimeError } from './cs-error.js';
import { OutRef } from './cs-out.js';
import { newObject } from './cs-new.js';
import { fastPath } from './cs-fast.js';
import { setCryptoObjectProp } from './cs-crypto.js';
import { bindStatement, RETURN } from './cs-bind-stmt.js';
import type { RequestContext } from '../../context.js';
import { OutpostError } from '../../../../shared/errors.js';

export type Ev = (st: EvalState) => unknown;
type OpBinder = (args: Ev[], key: string | null, nodes: Node[]) => Ev;

const SHORT: unique symbol = Symbol('null-conditional');
const OPS = new Map<string, OpBinder>();

/** The condition language (../bind.ts) registers its operations here: one evaluator for both. */
export function registerOp(name: string, binder: OpBinder): void {
  OPS.set(name, binder);
}

/** A compiled program as a function of the request. Throws CsRuntimeError or the budget error. */
export function bindProgram(program: Program): (ctx: RequestContext) => unknown {
  const slots = program.slots;
  if (program.kind === 'expr') {
    const e = bindExpr(program.e);
    return (ctx) => run(e, ctx, slots);
  }
  const outer = localFns;
  localFns = [];
  let s: (st: EvalState) => number;
  try {
    for (const def of program.fns ?? []) localFns.push(bindLocalFunction(def));
    s = bindStatement(program.s, bindExpr);
  } finally { localFns = outer; }
  const body: Ev = (st) => {
    if (s(st) !== RETURN) throw new CsRuntimeError('InvalidOperationException', 'The block ended without returning a value.');
    return st.ret;
  };
  return (ctx) => run(body, ctx, slots);
}

function run(e: Ev, ctx: RequestContext, slots: number): unknown {
  const st = new EvalState(ctx, slots === 0 ? EMPTY : new Array<unknown>(slots).fill(null));
  try {
    return e(st);
  } catch (err) {
    throw asCsError(err);
  }
}
const EMPTY: unknown[] = [];

/** Anything but a coded error (a JS TypeError from a bad argument, say) is a .NET exception too. */
export function asCsError(err: unknown): Error {
  if (err instanceof OutpostError) return err;
  if (err instanceof RangeError) return new CsRuntimeError('InsufficientExecutionStackException', 'The expression nests too deeply.');
  return new CsRuntimeError('Exception', err instanceof Error ? err.message : String(err));
}

export function bindExpr(n: Node): Ev {
  const e = bindChain(n);
  if (n.k === 'mem' || n.k === 'call' || n.k === 'idx') return (st) => { const v = e(st); return v === SHORT ? null : v; };
  return e;
}

/** Binds a receiver: may return SHORT (a null-conditional link found null). */
function bindChain(n: Node): Ev {
  const fast = fastPath(n, bindExpr);
  if (fast !== null) return fast;
  switch (n.k) {
    case 'lit': { const v = n.v; return () => v; }
    case 'ctx': return (st) => new ContextView(st.ctx);
    case 'loc': { const slot = n.slot; return (st) => st.slots[slot]; }
    case 'type': throw new Error(`a type (${n.name}) is not a value`);
    case 'out': { const slot = n.slot; return (st) => new OutRef(st, slot); }
    case 'mem': {
      if (n.o.k === 'type') {
        const member = STATICS[`${n.o.name}.${n.name}`];
        return member.get!;
      }
      const o = bindChain(n.o);
      const name = n.name;
      const nc = n.nc;
      return (st) => {
        st.step();
        const r = o(st);
        if (r === SHORT || (nc && (r === null || r === undefined))) return SHORT;
        if (name === 'HasValue') return r !== null && r !== undefined; // Nullable<T>.HasValue
        return getProp(r, name);
      };
    }
    case 'call': return bindCall(n);
    case 'lcall': return bindLocalCall(n);
    case 'idx': {
      const o = bindChain(n.o);
      const args = n.args.map(bindExpr);
      const nc = n.nc;
      return (st) => {
        st.step();
        const r = o(st);
        if (r === SHORT || (nc && (r === null || r === undefined))) return SHORT;
        return indexGet(r, args.map((a) => a(st)));
      };
    }
    case 'new': return newObject(n, bindExpr);
    case 'arr': {
      const items = n.items.map(bindExpr);
      if (n.bytes === true) return (st) => Uint8Array.from(items, (i) => toByte(i(st)));
      return (st) => items.map((i) => i(st));
    }
    case 'un': return bindUnary(n.op, bindExpr(n.a));
    case 'inc': {
      if (n.target.k !== 'loc') throw new Error('++ on a non-local');
      const slot = n.target.slot;
      const { delta, prefix } = n;
      return (st) => {
        const old = st.slots[slot];
        if (typeof old !== 'number') throw new CsRuntimeError('RuntimeBinderException', '++/-- applies to numbers');
        st.slots[slot] = old + delta;
        return prefix ? old + delta : old;
      };
    }
    case 'bin': return bindBinary(n.op === '/' && (isDouble(n.a) || isDouble(n.b)) ? '/.' : n.op, bindExpr(n.a), bindExpr(n.b));
    case 'cond': {
      const c = bindExpr(n.c); const a = bindExpr(n.a); const b = bindExpr(n.b);
      return (st) => (bool(c(st), 'the condition of ?:') ? a(st) : b(st));
    }
    case 'cast': { const a = bindExpr(n.a); const type = n.type; return (st) => castTo(a(st), type); }
    case 'as': { const a = bindExpr(n.a); const type = n.type; return (st) => { const v = a(st); return isOfType(v, type) ? v : null; }; }
    case 'is': {
      const a = bindExpr(n.a);
      const { type, slot, not } = n;
      if (type === 'null') return (st) => { const v = a(st); return not ? v !== null && v !== undefined : v === null || v === undefined; };
      return (st) => {
        const v = a(st);
        const ok = isOfType(v, type);
        if (ok && slot !== null) st.slots[slot] = v;
        return not ? !ok : ok;
      };
    }
    case 'lam': return bindLambda(n.params, n.body);
    case 'interp': {
      const parts = n.parts.map((p) => (typeof p === 'string' ? p : { e: bindExpr(p.e), fmt: p.fmt }));
      return (st) => {
        let out = '';
        for (const p of parts) out += typeof p === 'string' ? p : csString(p.e(st), p.fmt);
        return st.str(out);
      };
    }
    case 'asg': return bindAssign(n);
    case 'op': {
      const binder = OPS.get(n.name);
      if (binder === undefined) throw new Error(`unknown operation ${n.name}`);
      return binder(n.args.map(bindExpr), n.key, n.args);
    }
  }
}

/** The local functions of the block being bound (binding is synchronous; calls capture the table). */
type LocalCall = (st: EvalState, args: unknown[]) => unknown;
let localFns: LocalCall[] | null = null;

/**
 * A local function: its own slots are saved before the call and restored after, so a recursive
 * call cannot clobber its caller's parameters and locals; outer locals it captures are shared,
 * as in C#.
 */
function bindLocalFunction(def: LocalFn): LocalCall {
  const body = bindStatement(def.body, bindExpr);
  const { params, first, end, isVoid, name } = def;
  return (st, args) => {
    if (st.depth >= MAX_CALL_DEPTH) throw budgetError(`recursed more than ${MAX_CALL_DEPTH} local function calls deep`);
    st.depth++;
    const saved = st.slots.slice(first, end);
    try {
      for (let i = 0; i < params.length; i++) st.slots[params[i]] = args[i];
      if (body(st) === RETURN) return isVoid ? null : st.ret;
      if (!isVoid) throw new CsRuntimeError('InvalidOperationException', `The local function ${name} ended without returning a value.`);
      return null;
    } finally {
      for (let i = 0; i < saved.length; i++) st.slots[first + i] = saved[i];
      st.depth--;
    }
  };
}

function bindLocalCall(n: Extract<Node, { k: 'lcall' }>): Ev {
  const table = localFns;
  if (table === null) throw new Error(`local function ${n.name} outside a block`);
  const id = n.fn;
  const args = n.args.map(bindExpr);
  return (st) => { st.step(); return table[id](st, args.map((a) => a(st))); };
}

function bindCall(n: Extract<Node, { k: 'call' }>): Ev {
  const args = n.args.map(bindExpr);
  const { name, targs, nc } = n;
  if (n.o.k === 'type') {
    const call = STATICS[`${n.o.name}.${name}`].call!;
    return (st) => { st.step(); return call(args.map((a) => a(st)), st, targs); };
  }
  const o = bindChain(n.o);
  return (st) => {
    st.step();
    const r = o(st);
    if (r === SHORT || (nc && (r === null || r === undefined))) return SHORT;
    const values = args.length === 0 ? EMPTY : args.map((a) => a(st));
    return callMethod(r, name, values, targs, st);
  };
}

function bindLambda(params: number[], body: Node | Stmt): Ev {
  let f: Ev;
  if (body.k === 'block') {
    const s = bindStatement(body, bindExpr);
    f = (st) => (s(st) === RETURN ? st.ret : null);
  } else {
    f = bindExpr(body as Node);
  }
  return (st) => (...xs: unknown[]) => {
    st.step();
    for (let i = 0; i < params.length; i++) st.slots[params[i]] = xs[i] ?? null;
    return f(st);
  };
}

/**
 * Whether a node is statically a double: JS numbers do not say whether 2 is an int or a double,
 * so `7.0 / 2` is known from its literal (or a cast) to divide as doubles; values whose type only
 * the run time knows divide as ints when both are whole (documented in the README).
 */
function isDouble(n: Node): boolean {
  switch (n.k) {
    case 'lit': return typeof n.v === 'number' && n.int === false;
    case 'cast': return n.type === 'double';
    case 'un': return isDouble(n.a);
    case 'bin': return ['+', '-', '*', '/', '%'].includes(n.op) && (isDouble(n.a) || isDouble(n.b));
    case 'mem': return /^Total/.test(n.name);
    case 'call': return n.o.k === 'type' && (n.name === 'ToDouble' || (n.o.name === 'double' && n.name === 'Parse'));
    default: return false;
  }
}

function bindUnary(op: string, a: Ev): Ev {
  switch (op) {
    case '!': return (st) => !bool(a(st), 'the operand of !');
    case '-': return (st) => { const v = a(st); if (typeof v !== 'number') throw new CsRuntimeError('RuntimeBinderException', 'unary - applies to numbers'); return -v; };
    case '~': return (st) => ~Number(a(st));
    default: return a;
  }
}

function bindBinary(op: string, a: Ev, b: Ev): Ev {
  switch (op) {
    case '&&': return (st) => bool(a(st), 'the left of &&') && bool(b(st), 'the right of &&');
    case '||': return (st) => bool(a(st), 'the left of ||') || bool(b(st), 'the right of ||');
    case '??': return (st) => { const v = a(st); return v === null || v === undefined ? b(st) : v; };
    case '==': case '!=': return (st) => equality(op, a(st), b(st));
    case '<': case '<=': case '>': case '>=': return (st) => relational(op, a(st), b(st));
    case '&': case '|': case '^': return (st) => bitwise(op, a(st), b(st));
    case '<<': case '>>': return (st) => shift(op, a(st), b(st));
    default: return (st) => arithmetic(op, a(st), b(st), st);
  }
}

function bindAssign(n: Extract<Node, { k: 'asg' }>): Ev {
  const value = bindExpr(n.value);
  const op = n.op === '=' ? null : n.op.slice(0, -1);
  const current = bindExpr(n.target);
  const compute: Ev = op === null ? value : op === '??'
    ? (st) => { const v = current(st); return v === null || v === undefined ? value(st) : v; }
    : (st) => arithmetic(op, current(st), value(st), st);
  const t = n.target;
  if (t.k === 'loc') { const slot = t.slot; return (st) => (st.slots[slot] = compute(st)); }
  if (t.k === 'idx') {
    const o = bindExpr(t.o);
    const keys = t.args.map(bindExpr);
    return (st) => { const v = compute(st); indexSet(o(st), keys.map((k) => k(st)), v); return v; };
  }
  if (t.k === 'mem' && t.o.k !== 'type' && op === null) {
    // A crypto object's Key and IV (`aes.Key = key;`) are the settable properties; the rest is read-only.
    const o = bindExpr(t.o);
    const name = t.name;
    return (st) => {
      const v = value(st);
      if (!setCryptoObjectProp(o(st), name, v)) throw new CsRuntimeError('InvalidOperationException', 'Properties of context and .NET objects are read-only in policy expressions.');
      return v;
    };
  }
  return () => { throw new CsRuntimeError('InvalidOperationException', 'Properties of context and .NET objects are read-only in policy expressions.'); };
}
