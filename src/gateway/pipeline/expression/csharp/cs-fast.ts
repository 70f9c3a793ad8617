/**
 * Bind-time shortcuts for the context reads policies make most: `context.Request.Headers.
 * GetValueOrDefault("name", default)` (and the Response's), `context.Request.Method`, `.IpAddress`
 * and `context.Variables.GetValueOrDefault(...)` without type arguments. The general path builds
 * a view object per step (ContextView → RequestView → HeadersView); these read the
 * RequestContext directly, with the header name lowercased once here. Same results; the tests
 * of context members run through these paths.
 */
import type { Node } from './cs-ast.js';
import type { EvalState } from './cs-state.js';
import { castTo } from './cs-values.js';

type Ev = (st: EvalState) => unknown;

/** `context.A.B` as a path of member names, or null when the node is not such a chain. */
function contextPath(n: Node): string[] | null {
  const names: string[] = [];
  let cur = n;
  while (cur.k === 'mem' && !cur.nc) { names.unshift(cur.name); cur = cur.o; }
  return cur.k === 'ctx' ? names : null;
}

function joinedHeader(list: readonly string[], name: string): string | null {
  let out: string | null = null;
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) out = out === null ? list[i + 1] : `${out},${list[i + 1]}`;
  return out;
}

export function fastPath(n: Node, bindExpr: (n: Node) => Ev): Ev | null {
  if (n.k === 'mem') {
    const path = contextPath(n);
    if (path === null || path.length !== 2 || path[0] !== 'Request') return null;
    if (path[1] === 'Method') return (st) => { st.step(2); return st.ctx.method; };
    if (path[1] === 'IpAddress') return (st) => { st.step(2); return st.ctx.clientIp; };
    return null;
  }
  if (n.k !== 'call' || n.name !== 'GetValueOrDefault' || n.nc || n.targs.length > 1 || n.args.length < 1 || n.args.length > 2) return null;
  const path = contextPath(n.o);
  if (path === null) return null;
  const key = n.args[0];
  const fallback = n.args.length === 2 ? bindExpr(n.args[1]) : () => null;
  if (path.length === 2 && path[1] === 'Headers' && n.targs.length === 0 && (path[0] === 'Request' || path[0] === 'Response') && key.k === 'lit' && typeof key.v === 'string') {
    const name = key.v.toLowerCase();
    if (path[0] === 'Request') return (st) => { st.step(3); return joinedHeader(st.ctx.headers, name) ?? fallback(st); };
    return (st) => { st.step(3); const r = st.ctx.response; return (r === null ? null : joinedHeader(r.headers, name)) ?? fallback(st); };
  }
  if (path.length === 1 && path[0] === 'Variables') {
    const name = bindExpr(key);
    const type = n.targs.length === 1 ? n.targs[0] : null;
    return (st) => {
      st.step(2);
      const vars = st.ctx.variables;
      const k = String(name(st) ?? '');
      if (vars === null || !vars.has(k)) return fallback(st);
      return type === null ? vars.get(k) : castTo(vars.get(k), type);
    };
  }
  return null;
}
