/**
 * The JSON fast path for config files gives exactly what the YAML parser gives, and leaves every
 * case where they could differ (duplicate keys, `__proto__`, non-objects, YAML) to the YAML parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { parseJsonConfig } from '../../src/gateway/config/json-fast-path.js';
import { parseConfigText } from '../../src/gateway/config/load-config.js';

const yamlValue = (text: string): unknown => parseDocument(text, { uniqueKeys: true }).toJS();

test('JSON configs parse to the same value as through the YAML parser', () => {
  const docs = [
    '{}',
    '  \n{"gateway": {"port": 8080, "name": "a\\"b:c", "x": 1.5e3, "t": true, "n": null}}',
    JSON.stringify({ apis: [{ id: 'a', name: 'x": "y', path: 'p', operations: [{ id: 'o', method: 'get', urlTemplate: '/a/{id}' }] }], products: [] }, null, 2),
    '{"policies": "<policies><inbound /></policies>", "s": "\\u00e9\\n\\t/\\/"}',
  ];
  for (const text of docs) {
    const fast = parseJsonConfig(text);
    assert.notEqual(fast, null, text);
    assert.deepStrictEqual(fast, yamlValue(text), text);
  }
});

test('duplicate keys, __proto__, arrays and YAML are left to the YAML parser', () => {
  for (const text of ['{"a": 1, "a": 2}', '{"x": {"k": 1, "k": 1}}', '{"__proto__": {"a": 1}}', '[1, 2]', 'gateway:\n  port: 1\n', '{"a": 1', '"s"']) {
    assert.equal(parseJsonConfig(text), null, text);
  }
  const dup = parseConfigText('{"gateway": {"port": 1, "port": 2}}');
  assert.equal(dup.ok, false);
  if (!dup.ok) assert.match(dup.problems[0].message, /DUPLICATE_KEY/);
});
