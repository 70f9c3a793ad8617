/**
 * Policy expressions (APIM's C# subset): a table per construct, each evaluated as the gateway
 * does (compiled, sent through msgpack, bound, run) over one example request.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../support/cs-eval.js';
import { JObject } from '../../src/gateway/pipeline/expression/csharp/cs-values.js';

type Case = [source: string, expected: unknown];

function table(title: string, cases: Case[], kind: 'expr' | 'block' = 'expr'): void {
  describe(title, () => {
    for (const [source, expected] of cases) test(source, () => assert.deepEqual(evaluate(source, undefined, kind), expected));
  });
}

table('literals', [
  ['42', 42], ['-7', -7], ['1.5', 1.5], ['10L', 10], ['2.5m', 2.5], ['1e3', 1000], ['0x1F', 31],
  ['"a\\tb"', 'a\tb'], ['@"C:\\path ""q"""', 'C:\\path "q"'], ["'x'", 'x'], ["'\\n'", '\n'],
  ['$"n={1 + 1}, {{literal}}"', 'n=2, {literal}'], ['$@"v{2}\\"', 'v2\\'], ['$"{(true ? "y" : "n")}"', 'y'],
  ['true', true], ['null', null],
]);

table('operators and precedence', [
  ['1 + 2 * 3', 7], ['(1 + 2) * 3', 9], ['7 / 2', 3], ['7.0 / 2', 3.5], ['-7 / 2', -3], ['7 % 3', 1], ['2 - 3 - 4', -5],
  ['1 < 2 && 2 < 3 || false', true], ['!(1 == 1)', false], ['true ^ true', false], ['6 & 3', 2], ['6 | 3', 7],
  ['null ?? "d"', 'd'], ['"v" ?? "d"', 'v'], ['1 > 2 ? "a" : 2 > 1 ? "b" : "c"', 'b'],
  ['"a" + 1 + 2', 'a12'], ['1 + 2 + "a"', '3a'], ['"x" + null', 'x'], ['"b" == "b"', true], ['"B" != "b"', true],
  ['(int)3.9', 3], ['(string)null', null], ['(double)2', 2], ['"s" is string', true], ['5 is string', false],
  ['(object)"s" as string', 's'], ['(object)5 as string', null], ['null is null', true], ['1 is not null', true],
]);

table('strings', [
  ['"Hello".ToUpper()', 'HELLO'], ['"Hello".ToLowerInvariant()', 'hello'], ['"Hello".Length', 5],
  ['"Hello".Contains("ell")', true], ['"Hello".StartsWith("he", StringComparison.OrdinalIgnoreCase)', true],
  ['"Hello".EndsWith("LO")', false], ['"Hello".Substring(1, 3)', 'ell'], ['"Hello".IndexOf("l")', 2], ['"Hello".LastIndexOf("l")', 3],
  ['"a,b,,c".Split(\',\')', ['a', 'b', '', 'c']], ['"a,b,,c".Split(new[] {\',\'}, StringSplitOptions.RemoveEmptyEntries)', ['a', 'b', 'c']],
  ['"  x  ".Trim()', 'x'], ['"xxaxx".TrimStart(\'x\')', 'axx'], ['"a-b".Replace("-", "+")', 'a+b'], ['"7".PadLeft(3, \'0\')', '007'],
  ['string.IsNullOrEmpty("")', true], ['String.IsNullOrWhiteSpace(" ")', true], ['string.Join(",", new[] {"a", "b"})', 'a,b'],
  ['string.Format("{0}-{1}", "a", 2)', 'a-2'], ['string.Concat("a", "b", 3)', 'ab3'], ['"abc".Equals("ABC", StringComparison.OrdinalIgnoreCase)', true],
  ['"abc"[1]', 'b'], ['true.ToString()', 'True'], ['(1.5).ToString()', '1.5'], ['12.ToString("D4")', '0012'],
]);

table('context', [
  ['context.Request.Method', 'POST'], ['context.Request.IpAddress', '10.1.2.3'],
  ['context.Request.Headers.GetValueOrDefault("X-Tier", "")', 'gold'], ['context.Request.Headers.GetValueOrDefault("x-none", "d")', 'd'],
  ['context.Request.Headers.GetValueOrDefault("accept")', 'text/html,application/json'], ['context.Request.Headers["accept"].Length', 2],
  ['context.Request.Headers.ContainsKey("X-TIER")', true], ['context.Request.Url.Path', '/orders/42'], ['context.Request.Url.Host', 'api.example.com'],
  ['context.Request.Url.Query.GetValueOrDefault("tag", "")', 'a,b'], ['context.Request.Url.QueryString', '?page=2&tag=a&tag=b'],
  ['context.Request.Url.ToString()', 'http://api.example.com/orders/42?page=2&tag=a&tag=b'],
  ['context.Request.MatchedParameters["id"]', '42'], ['context.Api.Id', 'shop'], ['context.Operation.Id', 'create-order'],
  ['context.Subscription.Id', 's-1'], ['context.Product.Id', 'gold'], ['context.User == null', true], ['context.User?.Email ?? "anon"', 'anon'],
  ['context.Variables["count"]', 5], ['context.Variables.GetValueOrDefault<int>("count", 0) + 1', 6], ['context.Variables.GetValueOrDefault<string>("x", "d")', 'd'],
  ['context.Variables.ContainsKey("name")', true], ['(string)context.Variables["name"]', 'outpost'], ['context.Response.StatusCode', 0],
  ['context.LastError == null', true], ['context.Elapsed.TotalMilliseconds >= 0', true], ['context.RequestId.Length', 36],
  ['context.Request.Body.As<string>(preserveContent: true).Length > 10', true],
  ['context.Request.Body.As<JObject>()["order"]["id"].Value<int>()', 7],
  ['(string)context.Request.Body.As<JObject>(true).SelectToken("order.items[1].sku")', 'b'],
]);

table('JSON (Newtonsoft basics)', [
  ['JObject.Parse("{\\"a\\":1}")["a"]', 1], ['JObject.Parse("{\\"a\\":1}")["missing"] == null', true],
  ['new JObject(new JProperty("x", 1), new JProperty("y", "z")).ToString(Formatting.None)', '{"x":1,"y":"z"}'],
  ['new JObject(new JProperty("x", 1)).ToString()', '{\n  "x": 1\n}'], ['JArray.Parse("[1,2,3]").Count', 3],
  ['JArray.Parse("[1,2,3]").Select(x => (int)x * 2).Sum()', 12], ['JObject.Parse("{\\"a\\":{\\"b\\":true}}").Property("a") != null', true],
  ['JObject.Parse("{\\"a\\":\\"1\\"}").Value<string>("a")', '1'],
  ['JObject.Parse("{\\"constructor\\":{\\"x\\":1}}")["constructor"]["x"]', 1], ['(string)JObject.Parse("{\\"b\\":true}")["b"]', 'True'], ['JObject.Parse("{\\"a\\":1,\\"b\\":2}").Properties().Select(p => p.Name).ToArray()', ['a', 'b']],
]);

table('LINQ', [
  ['new[] {3, 1, 2}.OrderBy(x => x).ToList()', [1, 2, 3]], ['new[] {3, 1, 2}.OrderByDescending(x => x).First()', 3],
  ['new[] {1, 2, 3}.Where(x => x > 1).Count()', 2], ['new[] {1, 2, 3}.Any(x => x > 2)', true], ['new[] {1, 2, 3}.All(x => x > 2)', false],
  ['new[] {"a", "b"}.FirstOrDefault(x => x == "z")', null], ['new[] {1, 2, 3}.Last()', 3], ['new[] {1, 2, 3}.Skip(1).Take(1).ToArray()', [2]],
  ['new[] {1, 2}.Concat(new[] {3}).Contains(3)', true], ['new[] {1, 2, 2}.Distinct().Count()', 2], ['new[] {1, 5, 2}.Max()', 5],
  ['new[] {"a", "bb"}.ToDictionary(x => x, x => x.Length)["bb"]', 2], ['new List<string> {"a", "b"}.Count', 2],
  ['"a,b".Split(\',\').Select((x, i) => x + i).ToArray()', ['a0', 'b1']],
]);

table('JWT and Basic', [
  ['context.Request.Headers.GetValueOrDefault("Authorization", "").AsJwt()?.Subject', 'alice'],
  ['context.Request.Headers.GetValueOrDefault("Authorization", "").AsJwt().Claims.GetValueOrDefault("roles", "")', 'admin,ops'],
  ['context.Request.Headers.GetValueOrDefault("Authorization", "").AsJwt().Claims["roles"].Contains("ops")', true],
  ['context.Request.Headers.GetValueOrDefault("Authorization", "").AsJwt().Audiences.First()', 'orders'],
  ['context.Request.Headers.GetValueOrDefault("Authorization", "").AsJwt().ExpirationTime.Value.Year', 2023],
  ['"not a jwt".AsJwt() == null', true], ['"Basic dXNlcjpwYXNz".AsBasic().UserId', 'user'], ['"Basic dXNlcjpwYXNz".AsBasic().Password', 'pass'],
]);

table('.NET statics', [
  ['Convert.ToBase64String(Encoding.UTF8.GetBytes("user:pass"))', 'dXNlcjpwYXNz'], ['Encoding.UTF8.GetString(Convert.FromBase64String("aGk="))', 'hi'],
  ['Convert.ToInt32("12") + 1', 13], ['int.Parse("-5")', -5], ['Math.Max(2, 9)', 9], ['Math.Round(2.5)', 2], ['Math.Abs(-3)', 3],
  ['DateTime.UtcNow.AddMinutes(1) > DateTime.UtcNow', true], ['new DateTime(2024, 2, 3).ToString("yyyy-MM-dd")', '2024-02-03'],
  ['DateTime.Parse("2024-01-02T03:04:05Z").ToString("o")', '2024-01-02T03:04:05.0000000Z'], ['TimeSpan.FromMinutes(2).TotalSeconds', 120],
  ['Guid.NewGuid().ToString().Length', 36], ['Regex.IsMatch("abc123", "^[a-z]+\\\\d+$")', true], ['Regex.IsMatch("ABC", "^abc$", RegexOptions.IgnoreCase)', true],
  ['Regex.Match("x9", "\\\\d").Success', true], ['Uri.EscapeDataString("a b&c")', 'a%20b%26c'], ['new Uri("https://h.io:8443/p?q=1").Port', 8443],
  ['bool.Parse("True")', true], ['System.Text.Encoding.UTF8.GetBytes("ab").Length', 2],
]);

table('blocks', [
  ['var total = 0; foreach (var x in new[] {1, 2, 3}) { if (x == 2) { continue; } total += x; } return total;', 4],
  ['string tier = context.Request.Headers.GetValueOrDefault("x-tier", ""); switch (tier) { case "gold": return 100; case "silver": return 10; default: return 1; }', 100],
  ['int n; if (int.TryParse("41", out n)) { return n + 1; } return 0;', 42],
  ['if (int.TryParse("x", out var n)) { return n; } else { return -1; }', -1],
  ['for (var i = 0; i < 3; i++) { if (i == 1) return i; } return -1;', 1],
  ['var body = context.Request.Body.As<JObject>(); var qty = 0; foreach (var item in (JArray)body["order"]["items"]) { qty += (int)item["qty"]; } return qty;', 5],
  ['var o = new JObject(); o["k"] = "v"; o.Add("n", 1); return o.ToString(Formatting.None);', '{"k":"v","n":1}'],
  ['try { return "x".Substring(5); } catch (Exception e) { return "caught"; }', 'caught'],
  ['var list = new List<int>(); list.Add(1); list.Add(2); return list.Sum();', 3],
  ['JToken t = null; return t?.ToString() ?? "none";', 'none'],
], 'block');

test('set-variable values keep their .NET types (a JObject stays a JObject)', () => {
  assert.ok(evaluate('new JObject(new JProperty("a", 1))') instanceof JObject);
});
