/**
 * Smaller .NET members real documents use: object initializers (`new HMACSHA256 { Key = ... }`,
 * corpus 037), Body.AsFormUrlEncodedContent() (052), JArray.FromObject (233), and C#'s
 * Unicode white space (U+00A0 pasted into corpus 012).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { evaluate, exampleContext } from '../support/cs-eval.js';
import { compileCs } from '../../src/gateway/pipeline/expression/csharp/cs-parse.js';
import { CsRuntimeError } from '../../src/gateway/pipeline/expression/csharp/cs-error.js';
import { ExpressionError } from '../../src/gateway/pipeline/expression/index.js';

describe('object initializers', () => {
  test('new HMACSHA256 { Key = ... } signs with that key (the Cosmos DB signature of corpus 037)', () => {
    const key = Buffer.from('cosmos-master-key').toString('base64');
    const got = evaluate(`var h = new System.Security.Cryptography.HMACSHA256 { Key = Convert.FromBase64String("${key}") };
      return Convert.ToBase64String(h.ComputeHash(System.Text.Encoding.UTF8.GetBytes("post\\ndocs\\n\\n")));`, undefined, 'block');
    assert.equal(got, createHmac('sha256', Buffer.from('cosmos-master-key')).update('post\ndocs\n\n').digest('base64'));
    assert.equal(evaluate('new HMACSHA1 { Key = new byte[] { 1, 2 } }.Key.Length'), 2);
  });
  test('an empty key is a key (corpus 037 with its empty master key)', () => {
    assert.equal(evaluate('Convert.ToBase64String(new HMACSHA256 { Key = Convert.FromBase64String("") }.ComputeHash(new byte[0]))'), createHmac('sha256', Buffer.alloc(0)).digest('base64'));
  });
  test('a null key is ArgumentNullException; a property outside the subset is a compile error naming it', () => {
    assert.throws(() => evaluate('new HMACSHA256 { Key = null }'), (err: unknown) => err instanceof CsRuntimeError && err.type === 'ArgumentNullException');
    assert.throws(() => compileCs('new HMACSHA256 { Foo = 1 }', 'expr'), (err: unknown) => err instanceof ExpressionError && /at line 1 col 18: setting HMACSHA256\.Foo in an object initializer is outside the supported subset.*\(settable: Key\)/.test(err.message));
    assert.throws(() => compileCs('new Uri("http://a") { Port = 1 }', 'expr'), /setting Uri\.Port in an object initializer is outside the supported subset/);
  });
});

describe('Body.AsFormUrlEncodedContent', () => {
  test('fields by name, values decoded, repeated names kept in order', () => {
    const ctx = exampleContext();
    ctx.requestBody = Buffer.from('code=abc%2B1&state=x+y&scope=a&scope=b');
    assert.equal(evaluate('context.Request.Body.AsFormUrlEncodedContent(preserveContent: true)["code"].Single()', ctx), 'abc+1');
    assert.equal(evaluate('context.Request.Body.AsFormUrlEncodedContent()["state"].Single()', ctx), 'x y');
    assert.deepEqual(evaluate('context.Request.Body.AsFormUrlEncodedContent()["scope"]', ctx), ['a', 'b']);
    assert.equal(evaluate('context.Request.Body.AsFormUrlEncodedContent().ContainsKey("nope")', ctx), false);
    assert.throws(() => evaluate('context.Request.Body.AsFormUrlEncodedContent()["nope"]', ctx), (err: unknown) => err instanceof CsRuntimeError && err.type === 'KeyNotFoundException');
  });
});

describe('JArray.FromObject and JObject.FromObject', () => {
  test('a sequence becomes a JArray; anything else is ArgumentException', () => {
    assert.equal(evaluate('JArray.FromObject(new[] { "internal-a", "internal-b" }).Count'), 2);
    assert.equal(evaluate('JArray.FromObject(context.Request.Headers.Keys.Where(h => h.StartsWith("x-", StringComparison.OrdinalIgnoreCase))).ToString(Formatting.None)'), '["x-tier"]');
    assert.throws(() => evaluate('JArray.FromObject("x")'), (err: unknown) => err instanceof CsRuntimeError && err.type === 'ArgumentException');
    assert.equal(evaluate('JObject.FromObject(new Dictionary<string, int> { ["a"] = 1 }).ToString(Formatting.None)'), '{"a":1}');
    assert.throws(() => evaluate('JObject.FromObject(new[] { 1 })'), /Object serialized to Array\. JObject instance expected/);
  });
});

describe('white space', () => {
  test('U+00A0 and other Unicode spaces separate tokens, as in C#', () => {
    assert.equal(evaluate('1\u00a0+\u20032', undefined, 'expr'), 3);
    assert.equal(evaluate(' \u00a0\n string s = "a";\u00a0 return s;\u00a0', undefined, 'block'), 'a');
  });
});
