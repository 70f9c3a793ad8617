/**
 * Anonymous objects and JsonConvert.SerializeObject, as real policies use them to answer with JSON
 * (the MCP and Copilot labs' protected-resource metadata): members in written order, Newtonsoft's
 * compact output by default and two-space indentation with Formatting.Indented, projection
 * initializers, index initializers, C#'s ToString,
 * JObject.FromObject; unnamed members and reading a member back are compile errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../support/cs-eval.js';

const METADATA = `return JsonConvert.SerializeObject(new {
    resource = "https://cognitiveservices.azure.com",
    authorization_servers = new[] { $"https://login.microsoftonline.com/{context.Api.Id}/v2.0" },
    bearer_methods_supported = new[] { "header" },
    count = 2,
    enabled = true,
    missing = (string)null,
});`;

test('JsonConvert.SerializeObject(new { ... }) gives Newtonsoft\'s compact JSON, members in order', () => {
  assert.equal(evaluate(METADATA, undefined, 'block'),
    '{"resource":"https://cognitiveservices.azure.com","authorization_servers":["https://login.microsoftonline.com/shop/v2.0"],'
    + '"bearer_methods_supported":["header"],"count":2,"enabled":true,"missing":null}');
});

test('Formatting.Indented, nesting, strings and JTokens', () => {
  assert.equal(evaluate('JsonConvert.SerializeObject(new { a = new { b = 1 } }, Formatting.Indented)'), '{\n  "a": {\n    "b": 1\n  }\n}');
  assert.equal(evaluate('JsonConvert.SerializeObject("say \\"hi\\"")'), '"say \\"hi\\""');
  assert.equal(evaluate('JsonConvert.SerializeObject(new JObject(new JProperty("x", 1)))'), '{"x":1}');
  assert.equal(evaluate('JObject.FromObject(new { id = 7, tags = new[] { "a" } })["tags"][0].ToString()'), 'a');
});

test('ToString is C#\'s anonymous type text', () => {
  assert.equal(evaluate('new { a = 1, b = "x" }.ToString()'), '{ a = 1, b = x }');
});

test('projection initializers take the local\'s or the member\'s name, as in C#', () => {
  assert.equal(evaluate('var exp = 1700000000; var username = "john_doe"; return JsonConvert.SerializeObject(new { exp, username, context.Api.Id });', undefined, 'block'),
    '{"exp":1700000000,"username":"john_doe","Id":"shop"}');
});

test('unnamed or repeated members, and reading a member back, are compile errors', () => {
  assert.throws(() => evaluate('new { 1 + 2 }'), /needs a name/);
  assert.throws(() => evaluate('var a = 1; return new { a, a };', undefined, 'block'), /already has a member "a"/);
  assert.throws(() => evaluate('new { a = 1, a = 2 }'), /already has a member "a"/);
  assert.throws(() => evaluate('new { zzq = 1 }.zzq'), /zzq/);
});

test('index initializers: new JObject { ["k"] = v } and Dictionary, as the OAuth sample builds its error body', () => {
  const body = evaluate('return new JObject { ["error"] = "invalid_request", ["error_description"] = "missing " + context.Request.Method, ["n"] = 2 }.ToString(Formatting.None);', undefined, 'block');
  assert.equal(body, '{"error":"invalid_request","error_description":"missing POST","n":2}');
  assert.equal(evaluate('new Dictionary<string, int> { ["a"] = 1, ["a"] = 2 }["a"]'), 2, 'the indexer replaces, as in C#');
  assert.throws(() => evaluate('new List<int> { [0] = 1 }'), /apply to JObject and Dictionary/);
  assert.throws(() => evaluate('new JObject { ["a"] = 1, new JProperty("b", 2) }'), /cannot mix/);
});
