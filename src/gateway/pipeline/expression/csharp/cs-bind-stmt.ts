/**
 * Statements of `@{...}` blocks as closures returning how they ended: NORMAL, BREAK, CONTINUE or
 * RETURN (the value in st.ret). Every loop iteration counts against the step budget.
 */
import type { Node, Stmt } from './cs-ast.js';
import type { EvalState } from './cs-state.js';
import { bool } from './cs-operators.js';
import { csEquals } from './cs-convert.js';
import { enumerate } from './cs-linq.js';
import { CsRuntimeError } from './cs-error.js';
import { NO_MEMBER, View } from './cs-view.js';
import { OutpostError } from '../../../../shared/errors.js';

export const NORMAL = 0;
export const BREAK = 1;
export const CONTINUE = 2;
export const RETURN = 3;
type Exec = (st: EvalState) => number;
type BindExpr = (n: Node) => (st: EvalState) => unknown;

export function bindStatement(s: Stmt, expr: BindExpr): Exec {
  switch (s.k) {
    case 'block': {
      const body = s.body.map((x) => bindStatement(x, expr));
      return (st) => {
        for (const b of body) { const r = b(st); if (r !== NORMAL) return r; }
        return NORMAL;
      };
    }
    case 'decl': {
      const inits = s.inits.map((i) => (i === null ? null : expr(i)));
      const slots = s.slots;
      return (st) => {
        for (let i = 0; i < slots.length; i++) st.slots[slots[i]] = inits[i] === null ? null : inits[i]!(st);
        return NORMAL;
      };
    }
    case 'expr': { const e = expr(s.e); return (st) => { e(st); return NORMAL; }; }
    case 'return': {
      const e = s.e === null ? null : expr(s.e);
      return (st) => { st.ret = e === null ? null : e(st); return RETURN; };
    }
    case 'if': {
      const c = expr(s.c);
      const then = bindStatement(s.then, expr);
      const otherwise = s.else === null ? null : bindStatement(s.else, expr);
      return (st) => (bool(c(st), 'the condition of if') ? then(st) : otherwise === null ? NORMAL : otherwise(st));
    }
    case 'foreach': {
      const of = expr(s.of);
      const body = bindStatement(s.body, expr);
      const slot = s.slot;
      return (st) => {
        const v = of(st);
        if (v === null || v === undefined) throw new CsRuntimeError('NullReferenceException', 'foreach over null.');
        const items = enumerate(v);
        if (items === null) throw new CsRuntimeError('RuntimeBinderException', 'foreach over a value that is not enumerable.');
        for (const item of items.slice()) {
          st.step();
          st.slots[slot] = item;
          const r = body(st);
          if (r === BREAK) break;
          if (r === RETURN) return r;
        }
        return NORMAL;
      };
    }
    case 'for': case 'while': {
      const init = s.k === 'for' && s.init !== null ? bindStatement(s.init, expr) : null;
      const cond = s.c === null ? null : expr(s.c);
      const steps = s.k === 'for' ? s.step.map(expr) : [];
      const body = bindStatement(s.body, expr);
      return (st) => {
        if (init !== null) init(st);
        while (cond === null || bool(cond(st), 'the loop condition')) {
          st.step();
          const r = body(st);
          if (r === BREAK) break;
          if (r === RETURN) return r;
          for (const x of steps) x(st);
        }
        return NORMAL;
      };
    }
    case 'switch': {
      const on = expr(s.on);
      const cases = s.cases.map((c) => ({ labels: c.labels.map((l) => (l === null ? null : expr(l))), body: bindStatement({ k: 'block', body: c.body, p: s.p }, expr) }));
      return (st) => {
        const v = on(st);
        let chosen = cases.find((c) => c.labels.some((l) => l !== null && csEquals(l(st), v)));
        chosen ??= cases.find((c) => c.labels.includes(null));
        if (chosen === undefined) return NORMAL;
        const r = chosen.body(st);
        return r === BREAK ? NORMAL : r;
      };
    }
    case 'break': return () => BREAK;
    case 'continue': return () => CONTINUE;
    case 'try': {
      const body = bindStatement(s.body, expr);
      const handler = bindStatement(s.handler, expr);
      const slot = s.slot;
      return (st) => {
        try {
          return body(st);
        } catch (err) {
          // The budget is not an exception the expression may swallow.
          if (err instanceof OutpostError && err.code === 'OUTPOST_ERR_EXPRESSION_BUDGET') throw err;
          if (slot !== null) st.slots[slot] = new ExceptionValue(err);
          return handler(st);
        }
      };
    }
  }
}

/** A caught exception: `ex.Message`. */
export class ExceptionValue extends View {
  readonly csType = 'Exception';
  constructor(readonly err: unknown) { super(); }
  get(name: string): unknown {
    return name === 'Message' ? (this.err instanceof Error ? this.err.message : String(this.err)) : NO_MEMBER;
  }
}
