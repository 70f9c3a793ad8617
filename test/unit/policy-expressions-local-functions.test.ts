/**
 * Local functions in @{ } blocks (corpus 016, 008): declared anywhere in the block (a call may
 * precede the declaration), typed or void, expression-bodied, recursive with their own frame,
 * bounded by the call depth and the step budget; compile errors name what is wrong.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../support/cs-eval.js';
import { compileCs } from '../../src/gateway/pipeline/expression/csharp/cs-parse.js';
import { ExpressionError } from '../../src/gateway/pipeline/expression/index.js';
import { OutpostError } from '../../src/shared/errors.js';

const block = (source: string) => evaluate(source, undefined, 'block');
function compileError(source: string, kind: 'expr' | 'block' = 'block'): string {
  try { compileCs(source, kind); } catch (err) { assert.ok(err instanceof ExpressionError, String(err)); return err.message; }
  throw new Error(`compiled: ${source}`);
}

describe('local functions', () => {
  test('a typed function, called before and after its declaration', () => {
    assert.equal(block('var a = Twice(2); int Twice(int x) { return x * 2; } return a + Twice(5);'), 14);
  });
  test('expression-bodied, static, and several parameters', () => {
    assert.equal(block('static string Join(string a, string b) => a + "-" + b; return Join("x", "y");'), 'x-y');
  });
  test('void functions change captured locals, as C# closures do', () => {
    assert.equal(block('var total = 0; void Add(int x) { total += x; } Add(2); Add(3); return total;'), 5);
    assert.equal(block('var seen = new List<string>(); void Note(string s) { if (s == "") return; seen.Add(s); } Note("a"); Note(""); return seen.Count;'), 1);
  });
  test('recursion keeps each call\'s parameters and locals', () => {
    assert.equal(block('int Fact(int n) { var m = n; return m <= 1 ? 1 : m * Fact(m - 1); } return Fact(10);'), 3628800);
    assert.equal(block('int Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2); return Fib(15);'), 610);
  });
  test('unbounded recursion stops at the call depth, with the budget error', () => {
    assert.throws(() => block('int F(int n) => F(n + 1); return F(0);'), (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_EXPRESSION_BUDGET');
  });
  test('wide recursion stops at the step budget', () => {
    assert.throws(() => block('int F(int n) => n == 0 ? 0 : F(n - 1) + F(n - 1); return F(40);'), (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_EXPRESSION_BUDGET');
  });
  test('a typed function that ends without return fails at run time', () => {
    assert.throws(() => block('int F(int n) { if (n > 0) { return 1; } } return F(0);'), /ended without returning a value/);
  });
});

describe('local functions: compile errors', () => {
  test('calling a function the block does not declare names it', () => {
    assert.match(compileError('return Missing(1);'), /^at line 1 col 8: unknown name "Missing"/);
    assert.match(compileError('Missing(1)', 'expr'), /^at line 1 col 1: unknown name "Missing"/);
  });
  test('the argument count must match', () => {
    assert.match(compileError('int F(int a) => a; return F(1, 2);'), /^at line 1 col 27: the local function F takes 1 argument\(s\), not 2/);
  });
  test('a name declared twice, ref/out parameters and default values are refused', () => {
    assert.match(compileError('int F() => 1; int F() => 2; return F();'), /the local function "F" is already declared/);
    assert.match(compileError('int F(ref int a) => a; return 1;'), /"ref" parameters are outside the supported subset/);
    assert.match(compileError('int F(int a = 1) => a; return F(1);'), /default parameter values are outside the supported subset/);
  });
  test('a local holding a value still cannot be called', () => {
    assert.match(compileError('var f = 1; return f(2);'), /only methods can be called/);
  });
});
