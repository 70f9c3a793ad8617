/**
 * Named values inside a set-body template="liquid" (corpus 015): the reader parses the
 * template's markup into child elements, and their attributes and text are the template's too,
 * so `{{ vars['x'] }}` there (no named value's name) is Liquid's and stays as written, while a
 * real `{{name}}` is still substituted. Outside a liquid template it is still an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyElement } from '../../src/gateway/pipeline/policy-element.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { substituteNamedValues, type NamedValues } from '../../src/gateway/pipeline/named-values.js';

const el = (name: string, attrs: Record<string, string> = {}, children: PolicyElement[] = [], text = ''): PolicyElement => ({ name, attrs, children, text });
const values: NamedValues = new Map([['host', { value: 'api.internal', secret: false }]]);

test('{{ ... }} in the child elements of a liquid set-body is left to Liquid; named values there are substituted', () => {
  const doc = { inbound: [el('return-response', {}, [el('set-body', { template: 'liquid' }, [
    el('message3', {}, [el('data', { val1: "{{ vars['value1'] }}", host: '{{host}}' }, [], '{{body.x}} {{ vars["y"] }}')]),
  ])])] };
  const out = substituteNamedValues(doc, values, 'api "a"');
  const data = out.inbound![0].children[0].children[0].children[0];
  assert.equal(data.attrs.val1, "{{ vars['value1'] }}");
  assert.equal(data.attrs.host, 'api.internal');
  assert.equal(data.text, '{{body.x}} {{ vars["y"] }}');
});

test('outside a liquid template, {{ vars[\'x\'] }} is still not a named value reference', () => {
  const doc = { inbound: [el('set-body', {}, [el('data', { val1: "{{ vars['value1'] }}" })])] };
  assert.throws(() => substituteNamedValues(doc, values, 'api "a"'), (err: unknown) => {
    const list = err instanceof AggregateError ? err.errors : [err];
    return list.some((e) => e instanceof PolicyCompileError && /is not a named value reference/.test(e.message));
  });
});
