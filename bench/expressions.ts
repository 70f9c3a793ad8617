/**
 * Micro-bench of policy expression evaluation: ns per evaluation of typical conditions and
 * values, each compiled once (as at config load) and bound once (as in a worker), then run on
 * one request context in a loop. Target: a header-reading condition under 1 µs.
 *   npm run bench:expressions   (EXPR_BENCH_MS=… per case, default 1000)
 */
import { RequestContext } from '../src/gateway/pipeline/context.js';
import { bindConditionProgram, bindStringTemplate, compileConditionProgram, compileTemplate } from '../src/gateway/pipeline/expression/index.js';

const CASES: Array<[title: string, source: string, kind: 'condition' | 'value']> = [
  ['header condition (C#)', '@(context.Request.Headers.GetValueOrDefault("x-tier","") == "gold")', 'condition'],
  ['header condition (Outpost sugar)', "request.headers['x-tier'] == 'gold'", 'condition'],
  ['variable + interpolation', '@($"{context.Variables.GetValueOrDefault<string>("name", "")}-{context.Request.Method}")', 'value'],
  ['JWT claim', '@(context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Subject ?? "anon")', 'value'],
];

function context(): RequestContext {
  const claims = Buffer.from(JSON.stringify({ sub: 'alice' })).toString('base64url');
  const ctx = new RequestContext('GET', '/orders/7', 'a=1', ['host', 'h', 'x-tier', 'gold', 'accept', '*/*', 'user-agent', 'bench',
    'authorization', `Bearer eyJhbGciOiJIUzI1NiJ9.${claims}.sig`], '10.0.0.1', 'api', 'op', {});
  ctx.setVariable('name', 'outpost');
  return ctx;
}

const ms = Number(process.env.EXPR_BENCH_MS ?? 1000);
const ctx = context();
for (const [title, source, kind] of CASES) {
  const run = kind === 'condition' ? bindConditionProgram(compileConditionProgram(source)) : bindStringTemplate(compileTemplate(source));
  for (let i = 0; i < 20_000; i++) run(ctx); // warm up (optimising compiler)
  let n = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 1000; i++) { const v = run(ctx); sink += v === true || (typeof v === 'string' && v.length > 0) ? 1 : 0; }
    n += 1000;
    now = process.hrtime.bigint();
  }
  const ns = Number(now - start) / n;
  console.log(JSON.stringify({ bench: 'expression', case: title, nsPerEvaluation: Math.round(ns * 10) / 10, evaluations: n, sink: sink > 0 }));
}
