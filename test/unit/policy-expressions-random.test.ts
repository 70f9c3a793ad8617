/**
 * System.Random in policy expressions (APIM allows it; real policies pick a backend or mock values
 * with it): .NET's ranges for Next/NextDouble, its argument checks as run-time exceptions, the same
 * sequence for the same seed, and the real corpus patterns; GetHashCode, which seeds it there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../support/cs-eval.js';
import { CsRuntimeError } from '../../src/gateway/pipeline/expression/csharp/cs-error.js';

test('Next and NextDouble stay in .NET\'s ranges', () => {
  const values = evaluate('var r = new Random(); var l = new List<int>(); for (var i = 0; i < 200; i++) { l.Add(r.Next(1, 3)); } return l;', undefined, 'block') as number[];
  assert.ok(values.every((v) => v === 1 || v === 2), 'Next(1, 3) gives 1 or 2 (the maximum is exclusive)');
  assert.ok(values.includes(1) && values.includes(2));
  const n = evaluate('new Random().Next(10)') as number;
  assert.ok(Number.isInteger(n) && n >= 0 && n < 10);
  const d = evaluate('new Random().NextDouble()') as number;
  assert.ok(d >= 0 && d < 1);
  assert.equal(evaluate('new Random().Next(5, 5)'), 5, 'min == max gives min');
  const big = evaluate('new Random().Next()') as number;
  assert.ok(Number.isInteger(big) && big >= 0 && big < 2_147_483_647);
});

test('the same seed gives the same sequence; the corpus\' seeded pattern compiles and runs', () => {
  const seq = '@{ var r = new Random(42); return r.Next(1000) + "," + r.Next(1000) + "," + r.NextDouble(); }';
  const a = evaluate(seq.slice(2, -1), undefined, 'block');
  assert.equal(evaluate(seq.slice(2, -1), undefined, 'block'), a);
  const pick = evaluate('new Random(context.RequestId.GetHashCode()).Next(1, 3)') as number;
  assert.ok(pick === 1 || pick === 2);
});

test('bad arguments throw .NET\'s ArgumentOutOfRangeException at run time', () => {
  for (const source of ['new Random().Next(-1)', 'new Random().Next(3, 1)']) {
    assert.throws(() => evaluate(source), (err: unknown) => err instanceof CsRuntimeError && err.type === 'ArgumentOutOfRangeException', source);
  }
});

test('members Random lacks are compile errors naming them', () => {
  assert.throws(() => evaluate('new Random().NextGaussian()'), /NextGaussian/);
});

test('GetHashCode: an int stable within the process; an int hashes to itself, as in .NET', () => {
  const h = evaluate('context.RequestId.GetHashCode()') as number;
  assert.ok(Number.isInteger(h) && h >= -2_147_483_648 && h <= 2_147_483_647);
  assert.equal(evaluate('"abc".GetHashCode() == "abc".GetHashCode()'), true);
  assert.equal(evaluate('(42).GetHashCode()'), 42);
});
