/**
 * The APIM policy file reader: C# expressions with raw quotes, `<` and `&&` parse, and the value
 * after parsing is exactly what the author wrote; C# literals and comments do not end an
 * expression; the escaped export form reads the same; errors point at the author's line and column.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromXml } from '../../src/gateway/pipeline/apim-xml/policy-xml.js';
import { escapeExpressions } from '../../src/gateway/pipeline/apim-xml/expression-escape.js';
import { MAX_NESTING } from '../../src/gateway/pipeline/apim-xml/csharp-scan.js';
import type { PolicyDocument } from '../../src/gateway/pipeline/policy-document.js';
import { readdirSync, readFileSync } from 'node:fs';
import { PolicyCompileError, PolicyCompileErrors, type PolicyElement } from '../../src/gateway/pipeline/policy-element.js';

function read(xml: string): PolicyDocument {
  const sink: PolicyCompileError[] = [];
  const doc = fromXml(xml, 'policies', sink);
  assert.deepEqual(sink.map((e) => e.message), []);
  return doc;
}

function inbound(body: string): PolicyElement[] {
  return read(`<policies><inbound>${body}</inbound></policies>`).inbound!;
}

function readError(xml: string): string {
  assert.throws(() => fromXml(xml, 'policies', []), (err: Error) => { message = err.message; return true; });
  return message;
}
let message = '';

test('an attribute expression with raw quotes, < and && is the text the author wrote', () => {
  const expr = '@(context.Request.Headers.GetValueOrDefault("x","") != "" && context.Request.Body.As<JObject>(true)["n"] < 3)';
  const [choose] = inbound(`<choose><when condition="${expr}"><set-status code="400" /></when></choose>`);
  assert.equal(choose.children[0].attrs.condition, expr);
});

test('a single-quoted attribute holds char literals; a double-quoted one holds strings', () => {
  const single = "@(context.Request.Method == 'G' ? \"a\" : 'b'.ToString())";
  const [el] = inbound(`<set-variable name='v' value='${single}' />`);
  assert.equal(el.attrs.value, single);
});

test('element text expressions: strings, verbatim and interpolated strings, char literals and comments hold brackets', () => {
  const block = [
    '@{',
    '  var close = "}"; var open = \'{\'; // a comment with } and <tag> and &',
    '  /* ) } */ var v = @"C:\\dir ""}"" ";',
    '  var i = $"{close}}}{{ {(open == \'{\' ? "x}" : $@"{{y}}{v}")}";',
    '  if (close.Length < 2 && i != null) { return i; }',
    '  return "an entity the author wrote (&amp;) is decoded, as in any XML";',
    '}',
  ].join('\n');
  const [el] = inbound(`<set-body>${block}</set-body>`);
  assert.equal(el.text, block.replace('&amp;', '&'));
});

test('the escaped export form reads the same: entities are decoded and read as the characters they are', () => {
  const [choose] = inbound('<choose><when condition="@(a == &quot;)&quot; &amp;&amp; b &lt; 2)"><set-status code="400" /></when></choose>');
  assert.equal(choose.children[0].attrs.condition, '@(a == ")" && b < 2)');
});

test('plain values, comments, CDATA and a later expression on the same element are unchanged', () => {
  const doc = read([
    '<policies>',
    '  <!-- a comment @( with an unbalanced expression -->',
    '  <inbound>',
    '    <base />',
    '    <!-- comments inside sections are ignored -->',
    '    <set-header name="x-mail" exists-action="override"><value>a@b.example &amp; c</value></set-header>',
    '    <set-body><![CDATA[@( not read as an expression <here> ]]></set-body>',
    '    <set-header name="x-expr"><value>@("<" + "&")</value><value>{{named}}</value></set-header>',
    '  </inbound>',
    '</policies>',
  ].join('\n'));
  const [base, mail, body, expr] = doc.inbound!;
  assert.equal(base.name, 'base');
  assert.equal(mail.children[0].text, 'a@b.example & c');
  assert.equal(body.text, '@( not read as an expression <here> ');
  assert.deepEqual(expr.children.map((c) => c.text), ['@("<" + "&")', '{{named}}']);
});

test('an XML error after an expression points at the author\'s line and column, not the escaped text', () => {
  const line2 = '  <inbound><set-header name="@("a" + "<" + "&&")" bad></set-header></inbound>';
  const msg = readError(`<policies>\n${line2}\n</policies>`);
  const column = line2.indexOf('bad') + 1;
  assert.match(msg, new RegExp(`malformed policy XML at line 2, column ${column}:`), msg);
});

test('an expression that never ends is an error at the construct that stays open', () => {
  const line3 = '      var s = "never closed;';
  const msg = readError(`<policies>\n<inbound><set-body>@{\n${line3}\n}</set-body></inbound></policies>`);
  assert.match(msg, new RegExp(`at line 3, column ${line3.indexOf('"') + 1}: a policy expression @\\{… never ends.*string literal is never closed`), msg);
  assert.match(readError('<policies><inbound><set-body>@(a(b)</set-body></inbound></policies>'), /at line 1, column 30: a policy expression @\(… never ends/);
});

test('deeply nested interpolated strings are refused, not a stack overflow', () => {
  const deep = '@(' + '$"{'.repeat(MAX_NESTING * 50);
  assert.match(readError(`<policies><inbound><set-body>${deep}</set-body></inbound></policies>`), /nest more than/);
  // A long flat expression is read in linear time.
  const long = `@(${'"a" + '.repeat(50_000)}"b")`;
  assert.equal(escapeExpressions(`<v>${long}</v>`).xml.length, long.length + 7);
});

test('fuzz: mutated real documents are read or refused with a compile error, never a crash or a hang', () => {
  const corpus = new URL('../../../test/corpus/apim-policies/docs/', import.meta.url);
  const docs = readdirSync(corpus).sort().slice(0, 60).map((f) => readFileSync(new URL(f, corpus), 'utf8'));
  const rng = mulberry32(0x5eed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)];
  const PIECES = ['"', '\'', '(', ')', '{', '}', '@(', '@{', '$"', '@"', '<', '&', '&quot;', '//', '/*', '\n', '<!--', ']]>', '\\'];
  let read = 0;
  for (let round = 0; round < 1500; round++) {
    let text = pick(docs);
    for (let m = 0, n = 1 + Math.floor(rng() * 4); m < n; m++) {
      const at = Math.floor(rng() * (text.length + 1));
      text = rng() < 0.5 ? text.slice(0, at) + pick(PIECES) + text.slice(at) : text.slice(0, at) + text.slice(at + 1 + Math.floor(rng() * 3));
    }
    try {
      fromXml(text, 'policies', []);
      read++;
    } catch (err) {
      if (!(err instanceof PolicyCompileError || err instanceof PolicyCompileErrors)) throw err;
      assert.match(err.message, /policies/);
    }
  }
  assert.ok(read > 0 && read < 1500, `read ${read} of 1500 mutated documents`);
});

/** mulberry32: a tiny seeded PRNG, so a failing input can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
