/**
 * A JSON config read in parts (config/json-parts.ts, native/src/json_parts.c) gives exactly the
 * config the whole-text path gives (JSON.parse or YAML, then validateGatewayConfig), or null: it
 * never accepts a document the whole-text path refuses, and every document it declines still
 * loads, through the whole-text path, with the same result and problems as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadJsonInParts } from '../../src/gateway/config/json-parts.js';
import { loadConfigFile, parseConfigText } from '../../src/gateway/config/load-config.js';
import { validateGatewayConfig, type GatewayConfig } from '../../src/shared/config-schema.js';
import { nativeAddon } from '../../src/gateway/native.js';
import { largeConfig } from '../../bench/large-config-gen.js';
import { mulberry32 } from '../conformance/random-routes.js';
import { testTempDir } from '../support/temp-dir.js';

const skip = nativeAddon() === null ? 'native addon not built' : false;

/** The whole-text path's answer: the config, or null when the text does not load. */
function whole(text: string): GatewayConfig | null {
  const parsed = parseConfigText(text);
  if (!parsed.ok) return null;
  const checked = validateGatewayConfig(parsed.value);
  return checked.ok ? checked.config : null;
}

function inParts(text: string): GatewayConfig | null {
  return loadJsonInParts(Buffer.from(text, 'utf8'))?.config ?? null;
}

/** Same config, and the same JSON text (key order included), as the whole-text path. */
function assertSame(text: string, label: string): void {
  const want = whole(text);
  assert.notEqual(want, null, `${label}: the whole-text path must load it`);
  const got = inParts(text);
  assert.notEqual(got, null, `${label}: the parts path declined`);
  assert.deepStrictEqual(got, want, label);
  assert.equal(JSON.stringify(got), JSON.stringify(want), label);
}

const api = (i: number, extra: Record<string, unknown> = {}) => ({
  id: `a${i}`, name: `API ${i}`, path: `p${i}`, serviceUrl: 'http://127.0.0.1:9', operations: [{ id: 'o', method: 'GET', urlTemplate: '/x' }], ...extra,
});

test('valid JSON configs: the same config as the whole text gives, however they are laid out', { skip }, () => {
  const generated = largeConfig({ apis: 600, serviceUrl: 'http://127.0.0.1:9' });
  assertSame(JSON.stringify(generated), 'generated, compact');
  assertSame(JSON.stringify(generated, null, 1), 'generated, indented');
  assertSame(`\r\n\t ${JSON.stringify(generated, null, '\t')} \n`, 'generated, tabs and outer whitespace');
  assertSame(JSON.stringify({ apis: [] }), 'no APIs');
  assertSame(JSON.stringify({ apis: [api(0)] }), 'one API');
  // apis before, between and after the other members; strings holding brackets, braces, quotes
  // and escapes; non-ASCII values; an operation in the schema's key order and one not.
  assertSame(JSON.stringify({
    apis: [api(1, { name: 'a "quoted" ] } [ { name \\ é ☃' }), api(2, { operations: [{ urlTemplate: '/y', method: 'GET', id: 'o2' }, { id: 'o3', method: 'get', urlTemplate: '/z' }] })],
    gateway: { port: 8081 },
    products: [{ id: 'p', name: 'P ]', apis: ['a1'] }],
    policies: { inbound: [{ 'set-header': { name: 'x-a', value: '}]"[{' } }] },
  }, null, 2), 'mixed members');
  assertSame(`{"gateway":{"port":8082},"apis":[${JSON.stringify(api(3))} , ${JSON.stringify(api(4))}\n]}`, 'spaces around commas');
});

test('documents the scan does not vouch for are declined, and still load through the whole text', { skip }, () => {
  const deep = (n: number): unknown => (n === 0 ? 'x' : { k: deep(n - 1) });
  const wide = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
  const declined: Array<[string, string]> = [
    ['duplicate key in an operation', '{"apis":[{"id":"a","name":"A","path":"p","serviceUrl":"http://x","operations":[{"id":"o","id":"o","method":"GET","urlTemplate":"/x"}]}]}'],
    ['duplicate top-level key', '{"apis":[],"apis":[]}'],
    // In a JSON schema document, where any key is allowed: only the scan stands between it and JSON.parse.
    ['__proto__ key', '{"apis":[],"schemas":[{"id":"s","document":{"type":"object","__proto__":{"a":1}}}]}'],
    ['escaped key', '{"apis":[],"g\\u0061teway":{}}'],
    ['non-ASCII key', '{"apis":[],"gatewäy":{}}'],
    ['no apis', '{"gateway":{"port":8080}}'],
    ['empty document', '{}'],
    ['apis not an array', '{"apis":{}}'],
    ['trailing bytes', '{"apis":[]} x'],
    ['two documents', '{"apis":[]}{}'],
    ['byte order mark', '\ufeff{"apis":[]}'],
    ['top level not an object', '[{"apis":[]}]'],
    ['nesting deeper than the scan goes', JSON.stringify({ apis: [], namedValues: [], gateway: {}, x: deep(60) })],
    ['an object with 65 keys', JSON.stringify({ apis: [], x: wide })],
    ['more than 1,000,000 APIs', `{"apis":[${'1,'.repeat(1_000_000)}1]}`],
    ['missing comma between APIs', `{"apis":[${JSON.stringify(api(1))} ${JSON.stringify(api(2))}]}`],
    ['unclosed string', '{"apis":[{"id":"a}]}'],
    ['mismatched brackets', '{"apis":[{"id":"a"]]}'],
    ['YAML', 'apis: []\n'],
  ];
  for (const [label, text] of declined) assert.equal(inParts(text), null, label);
  // The element bound itself: 1,000,000 are scanned (then refused by validation, not by the scan).
  const bound = nativeAddon()!.jsonConfigParts(Buffer.from(`{"apis":[${'1,'.repeat(999_999)}1]}`));
  assert.equal(bound?.length, 2 + 2 * 1_000_000);
});

test('an invalid API or a cross-field problem: null, and the file gets the whole validation\'s problems', { skip }, async () => {
  const dir = testTempDir('outpost-json-parts-');
  try {
    const cases: Array<[string, unknown, string]> = [
      ['bad template', { apis: [api(0), api(1, { operations: [{ id: 'o', method: 'GET', urlTemplate: 'x' }] })] }, 'apis[1].operations[0].urlTemplate'],
      ['duplicate API id', { apis: [api(0), { ...api(1), id: 'a0' }] }, 'apis[1].id'],
      ['unknown field in the shell', { apis: [api(0)], gateway: { porrt: 1 } }, 'gateway.porrt'],
      ['product naming no API', { apis: [api(0)], products: [{ id: 'p', name: 'P', apis: ['nope'] }] }, 'products[0].apis[0]'],
    ];
    for (const [label, config, path] of cases) {
      const text = JSON.stringify(config);
      assert.equal(inParts(text), null, label);
      const file = join(dir, 'c.json');
      writeFileSync(file, text);
      const loaded = await loadConfigFile(file);
      assert.equal(loaded.ok, false, label);
      if (!loaded.ok) assert.ok(loaded.problems.some((p) => p.path === path), `${label}: ${JSON.stringify(loaded.problems)}`);
    }
    // A valid file loads through the parts path, with its timings.
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(largeConfig({ apis: 300, serviceUrl: 'http://127.0.0.1:9' })));
    const loaded = await loadConfigFile(file);
    assert.ok(loaded.ok);
    if (loaded.ok) {
      assert.equal(loaded.config.apis.length, 300);
      assert.ok(loaded.timings !== undefined && loaded.timings.parseMs > 0 && loaded.timings.validateMs > 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Every byte of a small config mutated: deleted, doubled, or replaced by a structural byte. The
 * parts path must give the whole-text path's config or null, never another config and never a
 * config where the whole text has none.
 */
test('mutated documents: never a different answer than the whole text (random, bounded)', { skip }, () => {
  const base = JSON.stringify({
    gateway: { port: 8080 },
    apis: [api(0), api(1, { hostnames: ['h.example'] }), api(2, { operations: [{ id: 'o', method: 'GET', urlTemplate: '/{id}' }, { id: 'p', method: 'POST', urlTemplate: '/x' }] })],
    products: [{ id: 'p', name: 'P', apis: ['a0'] }],
  }, null, 1);
  const swaps = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', '1', 'a', '\u0000', '"a":1,', 'é'];
  const r = mulberry32(7);
  let accepted = 0;
  let cases = 0;
  const check = (text: string) => {
    cases++;
    const got = inParts(text);
    if (got === null) return;
    accepted++;
    const want = whole(text);
    assert.notEqual(want, null, `accepted what the whole text refuses: ${JSON.stringify(text)}`);
    assert.deepStrictEqual(got, want, JSON.stringify(text));
  };
  for (let at = 0; at < base.length; at++) {
    check(base.slice(0, at) + base.slice(at + 1));
    check(base.slice(0, at) + base[at] + base.slice(at));
    check(base.slice(0, at) + swaps[Math.floor(r() * swaps.length)] + base.slice(at + 1));
  }
  for (let k = 0; k < 1500; k++) {
    let text = base;
    for (let m = 0; m < 3; m++) {
      const at = Math.floor(r() * text.length);
      text = text.slice(0, at) + swaps[Math.floor(r() * swaps.length)] + text.slice(at + Math.floor(r() * 2));
    }
    check(text);
  }
  assert.ok(cases > 3000);
  // Whitespace-only and value-only changes keep documents valid: some of them must be accepted.
  assert.ok(accepted > 50, `only ${accepted} mutated documents were accepted`);
});

/**
 * The scan itself over random JSON: documents of random values (nested objects and arrays,
 * strings with quotes, backslashes, brackets, escapes and non-ASCII text, numbers, literals),
 * written with random whitespace. Each element's slice parses to that element, and the document
 * with `[]` in the array's place parses to the document without its APIs.
 */
test('the scan: element and array offsets exact over random JSON documents (random, bounded)', { skip }, () => {
  const addon = nativeAddon()!;
  const r = mulberry32(11);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const pieces = ['a', '"', '\\', '[', ']', '{', '}', ',', ':', ' ', '/', 'é', '☃', '\u0001', '\u2028', '😀'];
  const randomString = () => Array.from({ length: Math.floor(r() * 8) }, () => pick(pieces)).join('');
  let keyCount = 0;
  const value = (depth: number): unknown => {
    const kind = depth > 4 ? Math.floor(r() * 4) : Math.floor(r() * 6);
    if (kind === 0) return randomString();
    if (kind === 1) return pick([0, -1.5, 1e21, 123456789, 0.001]);
    if (kind === 2) return pick([true, false, null]);
    if (kind === 3) return '';
    if (kind === 4) return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1));
    // Keys unique within an object (and plain: the scan declines escaped ones), values anything.
    return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, () => [`k${keyCount++}`, value(depth + 1)]));
  };
  const ws = () => pick(['', '', ' ', '\n', '\t', '\r\n  ']);
  /** JSON.stringify's text with random whitespace between tokens (outside strings). */
  const spaced = (v: unknown): string => {
    if (Array.isArray(v)) return `[${ws()}${v.map((x) => `${spaced(x)}${ws()}`).join(`,${ws()}`)}]`;
    if (v !== null && typeof v === 'object') return `{${ws()}${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${ws()}:${ws()}${spaced(x)}${ws()}`).join(`,${ws()}`)}}`;
    return JSON.stringify(v);
  };
  let elements = 0;
  for (let doc = 0; doc < 400; doc++) {
    const apis = Array.from({ length: Math.floor(r() * 6) }, () => value(1));
    const before = Object.fromEntries(Array.from({ length: Math.floor(r() * 3) }, (_, i) => [`b${i}`, value(1)]));
    const after = Object.fromEntries(Array.from({ length: Math.floor(r() * 3) }, (_, i) => [`c${i}`, value(1)]));
    const text = `${ws()}{${ws()}${[...Object.entries(before).map(([k, v]) => `"${k}":${ws()}${spaced(v)}`), `"apis"${ws()}:${ws()}${spaced(apis)}`,
      ...Object.entries(after).map(([k, v]) => `"${k}":${spaced(v)}`)].join(`${ws()},${ws()}`)}${ws()}}${ws()}`;
    const bytes = Buffer.from(text, 'utf8');
    const parts = addon.jsonConfigParts(bytes);
    assert.notEqual(parts, null, text);
    if (parts === null) continue;
    assert.equal(parts.length, 2 + apis.length * 2, text);
    const whole = JSON.parse(text) as Record<string, unknown>;
    assert.deepStrictEqual(JSON.parse(`${bytes.toString('utf8', 0, parts[0])}[]${bytes.toString('utf8', parts[1])}`), { ...whole, apis: [] }, text);
    for (let i = 0; i < apis.length; i++) {
      assert.deepStrictEqual(JSON.parse(bytes.toString('utf8', parts[2 + i * 2], parts[3 + i * 2])), apis[i], `${text} [${i}]`);
      elements++;
    }
  }
  assert.ok(elements > 600, `only ${elements} elements`);
});
