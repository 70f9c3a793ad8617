/**
 * Fuzzing the policy expression compiler: random token soups and mutations (insert, delete,
 * swap, duplicate) of a seed corpus of expressions written as real APIM policies write them.
 * Every input must either compile or fail with an ExpressionError (never a crash, a TypeError or
 * a stack overflow: long repetitions probe the depth bounds); what compiles must run to a value, a CsRuntimeError or the budget error.
 * A fixed seed (FUZZ_SEED to vary it) and a bounded number of inputs keep the run short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCs } from '../../src/gateway/pipeline/expression/csharp/cs-parse.js';
import { bindProgram } from '../../src/gateway/pipeline/expression/csharp/cs-bind.js';
import { CsRuntimeError } from '../../src/gateway/pipeline/expression/csharp/cs-error.js';
import { ExpressionError } from '../../src/gateway/pipeline/expression/index.js';
import { OutpostError } from '../../src/shared/errors.js';
import { exampleContext } from '../support/cs-eval.js';

const SEEDS: Array<[string, 'expr' | 'block']> = [
  ['context.Request.Headers.GetValueOrDefault("x-tier","") == "gold"', 'expr'],
  ['context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Claims.GetValueOrDefault("sub", "")', 'expr'],
  ['(string)context.Variables["name"] ?? "none"', 'expr'],
  ['context.Variables.GetValueOrDefault<int>("count", 0) > 3 ? "many" : "few"', 'expr'],
  ['$"{context.Request.Method} {context.Request.Url.Path}?{context.Request.Url.QueryString}"', 'expr'],
  ['context.Request.Body.As<JObject>(preserveContent: true)["order"]["items"].Select(i => (int)i["qty"]).Sum()', 'expr'],
  ['new JObject(new JProperty("id", context.RequestId), new JProperty("at", DateTime.UtcNow.ToString("o"))).ToString()', 'expr'],
  ['Convert.ToBase64String(Encoding.UTF8.GetBytes(context.Subscription.Id + ":" + "x"))', 'expr'],
  ['Regex.IsMatch(context.Request.IpAddress, @"^10\\.\\d+\\.\\d+\\.\\d+$")', 'expr'],
  ['context.Request.Url.Query.GetValueOrDefault("tag", "").Split(\',\').Where(t => t.Length > 0).Count()', 'expr'],
  ['var body = context.Request.Body.As<JObject>(); if (body["note"] == null) { body["note"] = "none"; } return body.ToString(Formatting.None);', 'block'],
  ['string tier = context.Request.Headers.GetValueOrDefault("x-tier", ""); switch (tier) { case "gold": return 100; default: return 1; }', 'block'],
  ['var n = 0; foreach (var c in "abc") { n++; } for (var i = 0; i < 3; i++) { n += i; } return n;', 'block'],
  ['int v; if (int.TryParse(context.Request.MatchedParameters["id"], out v)) { return v * 2; } return -1;', 'block'],
  ['try { return JObject.Parse("{").ToString(); } catch (Exception e) { return e.Message; }', 'block'],
];

const TOKENS = ['context', '.', 'Request', 'Headers', 'Variables', 'GetValueOrDefault', '(', ')', '[', ']', '{', '}', '"s"', "'c'", '$"{x}"',
  '@"v"', '1', '2.5', 'x', '=>', '?', ':', '??', '?.', '&&', '||', '!', '==', '<', '>', '+', '-', '*', '/', ',', ';', 'var', 'new', 'JObject',
  'string', 'int', 'is', 'as', 'null', 'true', 'return', 'if', 'else', 'foreach', 'in', 'switch', 'case', 'default', 'out', 'Select', 'Where',
  '$"{', '"', '@', '$', '\\', '/*', '//', '\n', 'Convert', 'Regex', 'IsMatch', 'AsJwt', 'Claims', 'for', 'while', 'try', 'catch'];

/** mulberry32: a small seeded PRNG, so a failure is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function mutate(source: string, rnd: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  let s = source;
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(rnd() * (s.length + 1));
    const j = Math.min(s.length, i + Math.floor(rnd() * 8));
    switch (Math.floor(rnd() * 5)) {
      case 0: s = s.slice(0, i) + pick(TOKENS) + s.slice(i); break;
      case 1: s = s.slice(0, i) + s.slice(j); break;
      case 2: s = s.slice(0, i) + s.slice(j) + s.slice(i, j); break;
      case 3: s = s.slice(0, i) + s.slice(i, j) + s.slice(i); break;
      default: s = s.slice(0, i) + String.fromCharCode(Math.floor(rnd() * 128)) + s.slice(i + 1);
    }
  }
  return s;
}

function randomSoup(rnd: () => number): string {
  const n = 1 + Math.floor(rnd() * 30);
  let s = '';
  for (let i = 0; i < n; i++) s += TOKENS[Math.floor(rnd() * TOKENS.length)] + (rnd() < 0.5 ? ' ' : '');
  return s;
}

/** Long repetitions (deep left-leaning chains, many parentheses): the shapes that overflow recursion. */
const REPEATED = ['+1', '.ToString()', '?.Length', '[0]', '(', ' ?? null', '!', '-'];
function longChain(rnd: () => number): string {
  const unit = REPEATED[Math.floor(rnd() * REPEATED.length)];
  return `1${unit.repeat(Math.floor(rnd() * (16_000 / unit.length)))}`;
}

function check(source: string, kind: 'expr' | 'block', seed: number): 'compiled' | 'refused' {
  let program;
  try {
    program = compileCs(source, kind);
  } catch (err) {
    assert.ok(err instanceof ExpressionError, `seed ${seed}: ${JSON.stringify(source)} threw ${String(err)}`);
    return 'refused';
  }
  try {
    bindProgram(program)(exampleContext());
  } catch (err) {
    const expected = err instanceof CsRuntimeError || (err instanceof OutpostError && err.code === 'OUTPOST_ERR_EXPRESSION_BUDGET');
    assert.ok(expected, `seed ${seed}: ${JSON.stringify(source)} ran into ${String(err)}`);
  }
  return 'compiled';
}

test('the compiler never crashes on random and mutated expressions', () => {
  const seed = Number(process.env.FUZZ_SEED ?? 12_345);
  const rnd = prng(seed);
  const outcomes = { compiled: 0, refused: 0 };
  for (const [source, kind] of SEEDS) assert.equal(check(source, kind, seed), 'compiled', source);
  for (let i = 0; i < 3000; i++) {
    const [seedSource, kind] = SEEDS[Math.floor(rnd() * SEEDS.length)];
    const source = i % 100 === 99 ? longChain(rnd) : i % 3 === 0 ? randomSoup(rnd) : mutate(seedSource, rnd);
    outcomes[check(source, rnd() < 0.5 ? kind : 'block', seed)]++;
  }
  // Both kinds of outcome occur: the mutations are not all trivially refused.
  assert.ok(outcomes.compiled > 50 && outcomes.refused > 50, JSON.stringify(outcomes));
  console.log(`fuzz seed ${seed}: ${JSON.stringify(outcomes)}`);
});
