/**
 * Expressions as real APIM policies write them (shapes taken from Microsoft's policy samples and
 * snippets: JWT claims, headers, variables, bodies, LastError) compile as whole attribute values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate } from '../../src/gateway/pipeline/expression/index.js';

const REAL: string[] = [
  '@(context.Request.Headers.GetValueOrDefault("Authorization","").Split(\' \')[1].AsJwt()?.Claims.GetValueOrDefault("email", ""))',
  '@((string)context.Variables["isMobile"] == "true")',
  '@{ var jwt = context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt(); return jwt?.Claims.GetValueOrDefault("appid", "none"); }',
  '@(context.Request.Body.As<JObject>(preserveContent: true)["prompt"].ToString())',
  '@(String.Concat(context.Request.IpAddress, "-", context.Subscription?.Id))',
  '@(context.Variables.GetValueOrDefault<JObject>("resp")["x"])',
  '@((int)context.Response.StatusCode >= 500)',
  '@(context.Request.Headers.Any(h => h.Key == "x"))',
  '@(DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"))',
  '@(context.Request.OriginalUrl.Path)',
  '@{ string[] parts = context.Request.Url.Path.Split(\'/\'); return parts[parts.Length - 1]; }',
  '@(context.Variables.ContainsKey("x") && (bool)context.Variables["x"])',
  '@(context.Request.Headers.GetValueOrDefault("Accept","").Contains("json") ? "application/json" : "text/xml")',
  '@(context.Subscription.Key)',
  '@(context.Request.Url.Query.ContainsKey("debug"))',
  '@(context.User.Email)',
  '@((context.Variables.GetValueOrDefault<int>("remaining", 0)).ToString())',
  '@{ var body = context.Request.Body.As<JObject>(preserveContent: true); body["stream"] = false; return body.ToString(); }',
  '@(new JObject(new JProperty("error", context.LastError.Message)).ToString())',
  '@(context.Request.Headers.GetValueOrDefault("X-Forwarded-For","").Split(\',\').First().Trim())',
  '@(context.Request.Url.Path.TrimEnd(\'/\').EndsWith("/health"))',
  '@(context.Request.Method.Equals("GET", StringComparison.OrdinalIgnoreCase))',
  '@(context.Response.Body.As<JObject>()["value"].Count())',
  '@(((JArray)context.Response.Body.As<JObject>()["items"]).Count)',
  '@(context.Variables["token"] as string)',
  '@(context.Request.IpAddress.StartsWith("10."))',
  '@(Guid.NewGuid().ToString("N"))',
  '@(context.Timestamp.ToString("o"))',
  '@(context.Elapsed.TotalMilliseconds.ToString())',
  '@(context.Api.Name + "/" + context.Operation.Name)',
  '@(context.Request.Headers.GetValueOrDefault("Authorization", "scheme param").Split(\' \').Last())',
  '@(System.Net.WebUtility.UrlEncode("a b"))',
  '@(context.Request.Body?.As<string>(true) ?? "")',
  '@{ JObject o = new JObject(); o.Add("a", 1); return o; }',
  '@(context.Request.MatchedParameters["id"].Length > 3)',
];

test('expressions shaped like real policies compile', () => {
  const refused = REAL.filter((source) => {
    try { return compileTemplate(source).k !== 'code'; } catch { return true; }
  });
  assert.deepEqual(refused, []);
  assert.equal(REAL.length, 35);
});
