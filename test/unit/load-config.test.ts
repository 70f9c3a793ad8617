/** Reading a config file: YAML syntax errors and unreadable files are coded, with line and column. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigFile, parseConfigText } from '../../src/gateway/config/load-config.js';
import { problemsCode } from '../../src/shared/config-schema.js';

test('a YAML syntax error gives OUTPOST_ERR_CONFIG_UNREADABLE with its line and column', () => {
  const text = 'gateway:\n  port: 8080\napis:\n  - id: a\n    name: x: y\n';
  const result = parseConfigText(text);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.ok(result.problems.length >= 1);
  for (const p of result.problems) assert.equal(p.code, 'OUTPOST_ERR_CONFIG_UNREADABLE');
  assert.deepEqual([result.problems[0].line, result.problems[0].column], [5, 11]);
});

test('a duplicate key and a tab indent are reported where they are', () => {
  const dup = parseConfigText('gateway:\n  port: 1\n  port: 2\n');
  assert.ok(!dup.ok && dup.problems[0].line === 3 && dup.problems[0].column === 3, JSON.stringify(dup));
  const tab = parseConfigText('apis:\n\t- id: a\n');
  assert.ok(!tab.ok && tab.problems[0].line === 2, JSON.stringify(tab));
});

test('every YAML error is reported, not only the first', () => {
  const result = parseConfigText('a: 1\na: 2\nb: 1\nb: 2\n');
  assert.ok(!result.ok);
  assert.deepEqual(result.problems.map((p) => p.line), [2, 4]);
});

test('a file that cannot be read is OUTPOST_ERR_CONFIG_UNREADABLE', async () => {
  const result = await loadConfigFile('/nonexistent/outpost.yaml');
  assert.ok(!result.ok);
  assert.equal(problemsCode(result.problems), 'OUTPOST_ERR_CONFIG_UNREADABLE');
});

test('problemsCode: a shared code, else OUTPOST_ERR_CONFIG_INVALID', () => {
  assert.equal(problemsCode([{ path: 'a', message: 'x' }]), 'OUTPOST_ERR_CONFIG_INVALID');
  assert.equal(problemsCode([{ path: 'a', message: 'x', code: 'OUTPOST_ERR_POLICY_INVALID' }]), 'OUTPOST_ERR_POLICY_INVALID');
  assert.equal(problemsCode([{ path: 'a', message: 'x', code: 'OUTPOST_ERR_POLICY_INVALID' }, { path: 'b', message: 'y' }]), 'OUTPOST_ERR_CONFIG_INVALID');
});
