/**
 * Policy expressions that must not run: compile errors name the construct with its line and
 * column; run-time exceptions are CsRuntimeError (OUTPOST_ERR_EXPRESSION_FAILED, with .NET's
 * exception name); the step and string budgets stop any evaluation (OUTPOST_ERR_EXPRESSION_BUDGET).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCs } from '../../src/gateway/pipeline/expression/csharp/cs-parse.js';
import { CsRuntimeError } from '../../src/gateway/pipeline/expression/csharp/cs-error.js';
import { ExpressionError } from '../../src/gateway/pipeline/expression/index.js';
import { OutpostError } from '../../src/shared/errors.js';
import { evaluate } from '../support/cs-eval.js';

function compileError(source: string, kind: 'expr' | 'block' = 'expr'): string {
  try { compileCs(source, kind); } catch (err) {
    assert.ok(err instanceof ExpressionError, String(err));
    return err.message;
  }
  throw new Error(`compiled: ${source}`);
}

describe('policy expressions: compile errors name the problem and where it is', () => {
  const cases: Array<[string, RegExp, ('expr' | 'block')?]> = [
    ['context.Request.Bogus', /^at line 1 col 17: the member "Bogus" is outside the supported subset/],
    ['context.Request.Headers.Frobnicate("x")', /^at line 1 col 25: Frobnicate\(\) is outside the supported subset/],
    ['System.IO.File.ReadAllText("/etc/passwd")', /^at line 1 col 1: unknown name "System"/],
    ['Environment.GetEnvironmentVariable("X")', /Environment\.GetEnvironmentVariable\(\) is outside the supported subset/],
    ['new System.Net.WebClient()', /new WebClient|outside the supported subset|expected a type/],
    ['foo + 1', /^at line 1 col 1: unknown name "foo"/],
    ['1 +', /expected a value, found the end of the expression/],
    ['(1 + 2', /expected "\)"/],
    ['"unterminated', /unterminated string/],
    ['$"{1 + }"', /expected a value/],
    ['1 2', /unexpected the number 2 after a complete expression/],
    ['x => x', /^at line 1 col 1: a lambda is not a value/],
    ['var a = 1;\nvar b = ;\nreturn a;', /^at line 2 col 9: expected a value/, 'block'],
    ['var a = 1;', /must end with a return statement/, 'block'],
    ['var a = 1; var a = 2; return a;', /"a" is already declared/, 'block'],
    ['throw new Exception("x");', /"throw" is outside the supported subset/, 'block'],
    ['context.Variables.TryGetValue("a", ref x)', /"ref" arguments are outside the supported subset/],
    ['"a".Foo()', /Foo\(\) is outside the supported subset/],
    ['Regex.IsMatch("a", "(a")', /^at line 1 col 20: invalid pattern/],
    ['Regex.IsMatch("a", @"(a)\\1")', /^at line 1 col 20: pattern refused/],
    ['Regex.Replace("a", "a", "b")', /Regex\.Replace\(\) is outside the supported subset/],
    [`${'('.repeat(200)}1${')'.repeat(200)}`, /nested more than 64 levels deep/],
    [`1${'+1'.repeat(5000)}`, /nested more than 200 levels deep/],
    [`context${'.Request'.repeat(1500)}`, /nested more than 200 levels deep/],
    [`"a"${'.ToString()'.repeat(1400)}`, /nested more than 200 levels deep/],
  ];
  for (const [source, pattern, kind] of cases) {
    test(source.slice(0, 60), () => assert.match(compileError(source, kind), pattern));
  }
  test('an expression longer than the bound is refused before it is read', () => {
    assert.match(compileError(`"${'a'.repeat(20_000)}"`), /at most 16384 characters/);
  });
});

function runtimeError(source: string, kind: 'expr' | 'block' = 'expr'): CsRuntimeError {
  try { evaluate(source, undefined, kind); } catch (err) {
    assert.ok(err instanceof CsRuntimeError, String(err));
    assert.equal(err.code, 'OUTPOST_ERR_EXPRESSION_FAILED');
    assert.match(err.message, /^Expression evaluation failed\. /);
    return err;
  }
  throw new Error(`ran: ${source}`);
}

describe('policy expressions: run-time exceptions', () => {
  const cases: Array<[string, string]> = [
    ['context.User.Email', 'NullReferenceException'],
    ['context.Variables["missing"]', 'KeyNotFoundException'],
    ['context.Request.Headers["x-missing"]', 'KeyNotFoundException'],
    ['(int)"abc"', 'InvalidCastException'],
    ['int.Parse("abc")', 'FormatException'],
    ['JObject.Parse("{oops")', 'JsonReaderException'],
    ['1 / 0', 'DivideByZeroException'],
    ['new[] {1}.First(x => x > 5)', 'InvalidOperationException'],
    ['"abc".Substring(2, 5)', 'ArgumentException'],
    ['Convert.FromBase64String("***")', 'FormatException'],
    ['context.Request.Method.Count', 'RuntimeBinderException'],
  ];
  for (const [source, type] of cases) {
    test(`${source} → ${type}`, () => assert.equal(runtimeError(source).type, type));
  }
  test('a condition that is not a bool is an exception, not a guess', () => {
    assert.equal(runtimeError('if ("yes") { return 1; } return 0;', 'block').type, 'InvalidCastException');
  });
});

function budgetError(source: string, kind: 'expr' | 'block' = 'expr'): void {
  assert.throws(() => evaluate(source, undefined, kind), (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_EXPRESSION_BUDGET');
}

describe('policy expressions: the budget', () => {
  test('an endless loop stops at the step budget', () => budgetError('while (true) { } return 1;', 'block'));
  test('a for loop counting far stops at the step budget', () => budgetError('var n = 0; for (var i = 0; i < 100000000; i++) { n++; } return n;', 'block'));
  test('nested LINQ over a large range stops', () => budgetError('new string(\'a\', 100000).Select(c => new string(\'b\', 1000).Count(d => d == \'b\')).Sum()'));
  test('doubling a string stops at the string bound', () => budgetError('var s = "ab"; for (var i = 0; i < 40; i++) { s = s + s; } return s.Length;', 'block'));
  test('a try/catch cannot swallow the budget', () => budgetError('try { while (true) { } } catch (Exception e) { return 0; } return 1;', 'block'));
  test('a regex step budget applies inside expressions too', () => {
    const long = 'a'.repeat(4000);
    budgetError(`Regex.IsMatch("${long}", "(a?){200}b")`);
  });
  test('ordinary expressions use little of it', () => {
    assert.equal(evaluate('var n = 0; foreach (var x in new[] {1, 2, 3}) { n += x; } return n;', undefined, 'block'), 6);
  });
});
