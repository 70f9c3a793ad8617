/**
 * mergeScopes: `base` at the start, middle, end or absent at each level (global, product, API,
 * operation), transparent levels, every combination written in YAML and in XML giving the same
 * flat chain, and the errors for a misused `base`.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { parsePolicyDocument, type PolicyDocument } from '../../src/gateway/pipeline/policy-document.js';
import { mergeScopes, type ScopeLevel } from '../../src/gateway/pipeline/merge-scopes.js';
import { PolicyCompileError, type PolicyElement } from '../../src/gateway/pipeline/policy-element.js';

const SCOPES = ['global', 'product "p"', 'api "a"', 'api "a" / operation "o"'];
const PREFIX = ['g', 'p', 'a', 'o'];

/** How a level writes its inbound section: base at the start, middle or end, absent, or no section. */
type Layout = 'start' | 'middle' | 'end' | 'absent' | 'none';
const LAYOUTS: Layout[] = ['start', 'middle', 'end', 'absent', 'none'];

/** The inbound tokens of a level: `B` is base; `g1`, `g2` … are that level's own policies. */
function tokens(layout: Layout, level: number): string[] | null {
  const [one, two] = [`${PREFIX[level]}1`, `${PREFIX[level]}2`];
  switch (layout) {
    case 'start': return ['B', one, two];
    case 'middle': return [one, 'B', two];
    case 'end': return [one, two, 'B'];
    case 'absent': return [one, two];
    case 'none': return null;
  }
}

/** The level's document in YAML form (outbound always present so a doc exists without inbound). */
function yamlDoc(ts: string[] | null, level: number): PolicyDocument {
  const outbound = `outbound:\n  - set-variable: { name: out-${PREFIX[level]}, value: "1" }\n`;
  const inbound = ts === null ? '' : `inbound:\n${ts.map((t) => (t === 'B' ? '  - base\n' : `  - set-variable: { name: ${t}, value: "1" }\n`)).join('')}`;
  return parsePolicyDocument(parseYaml(inbound + outbound), SCOPES[level]);
}

function xmlDoc(ts: string[] | null, level: number): PolicyDocument {
  const inbound = ts === null ? '' : `<inbound>${ts.map((t) => (t === 'B' ? '<base />' : `<set-variable name="${t}" value="1" />`)).join('')}</inbound>`;
  return parsePolicyDocument(`<policies>${inbound}<outbound><set-variable name="out-${PREFIX[level]}" value="1" /></outbound></policies>`, SCOPES[level]);
}

const names = (chain: PolicyElement[]): string[] => chain.map((e) => e.attrs.name ?? e.name);

function inboundChain(layouts: Layout[], form: 'yaml' | 'xml'): string[] {
  const levels: ScopeLevel[] = layouts.map((l, i) => ({
    scope: SCOPES[i], doc: (form === 'yaml' ? yamlDoc : xmlDoc)(tokens(l, i), i),
  }));
  return names(mergeScopes(levels).inbound);
}

/** Reference: the innermost level defining the section decides; its B expands to the levels outside it. */
function expected(layouts: Layout[], upTo = layouts.length - 1): string[] {
  for (let i = upTo; i >= 0; i--) {
    const ts = tokens(layouts[i], i);
    if (ts !== null) return ts.flatMap((t) => (t === 'B' ? expected(layouts, i - 1) : [t]));
  }
  return [];
}

describe('mergeScopes: base at each level', () => {
  const cases: Array<[layouts: Layout[], chain: string]> = [
    [['start', 'start', 'start', 'start'], 'g1 g2 p1 p2 a1 a2 o1 o2'],
    [['end', 'end', 'end', 'end'], 'o1 o2 a1 a2 p1 p2 g1 g2'],
    [['middle', 'middle', 'middle', 'middle'], 'o1 a1 p1 g1 g2 p2 a2 o2'],
    [['start', 'start', 'start', 'absent'], 'o1 o2'],
    [['start', 'start', 'absent', 'start'], 'a1 a2 o1 o2'],
    [['start', 'absent', 'start', 'start'], 'p1 p2 a1 a2 o1 o2'],
    [['absent', 'start', 'start', 'start'], 'g1 g2 p1 p2 a1 a2 o1 o2'],
    [['middle', 'none', 'none', 'none'], 'g1 g2'],
    [['end', 'none', 'start', 'middle'], 'o1 g1 g2 a1 a2 o2'],
    [['none', 'none', 'none', 'none'], ''],
    [['none', 'none', 'none', 'start'], 'o1 o2'],
    [['start', 'absent', 'none', 'end'], 'o1 o2 p1 p2'],
    [['middle', 'end', 'absent', 'none'], 'a1 a2'],
    [['absent', 'middle', 'end', 'start'], 'a1 a2 p1 g1 g2 p2 o1 o2'],
  ];
  for (const [layouts, chain] of cases) {
    test(`${layouts.join(' / ')} → ${chain || '(nothing)'}`, () => {
      const want = chain === '' ? [] : chain.split(' ');
      assert.deepEqual(inboundChain(layouts, 'yaml'), want);
      assert.deepEqual(inboundChain(layouts, 'xml'), want);
      assert.deepEqual(expected(layouts), want);
    });
  }

  test('every combination of layouts: YAML and XML give the same chain as the reference', () => {
    let n = 0;
    for (const g of LAYOUTS) for (const p of LAYOUTS) for (const a of LAYOUTS) for (const o of LAYOUTS) {
      const layouts = [g, p, a, o];
      const want = expected(layouts);
      assert.deepEqual(inboundChain(layouts, 'yaml'), want, layouts.join('/'));
      assert.deepEqual(inboundChain(layouts, 'xml'), want, layouts.join('/'));
      n++;
    }
    assert.equal(n, 625);
  });
});

describe('mergeScopes: sections and transparent levels', () => {
  const doc = (yaml: string, scope: string): PolicyDocument => parsePolicyDocument(parseYaml(yaml), scope);
  const set = (name: string) => ({ name: 'set-variable', attrs: { name, value: '1' }, children: [], text: '' });

  test('each section merges on its own; every section is present and no base is left', () => {
    const merged = mergeScopes([
      { scope: 'global', doc: doc('inbound: [{ set-variable: { name: g-in, value: "1" } }]\noutbound: [{ set-variable: { name: g-out, value: "1" } }]\non-error: [base]', 'global') },
      { scope: 'product "p"', doc: undefined },
      { scope: 'api "a"', doc: doc('outbound: [base, { set-variable: { name: a-out, value: "1" } }]', 'api "a"') },
      { scope: 'operation "o"', doc: doc('inbound: [{ set-variable: { name: o-in, value: "1" } }]\nbackend: [base]', 'operation "o"') },
    ]);
    assert.deepEqual(merged, {
      inbound: [set('o-in')],
      backend: [],
      outbound: [set('g-out'), set('a-out')],
      'on-error': [],
    });
  });

  test('no document, an empty document and a document without the section are all transparent', () => {
    const global = doc('inbound: [{ set-variable: { name: g, value: "1" } }]', 'global');
    for (const inner of [undefined, {}, doc('backend: [forward-request]', 'api')]) {
      const merged = mergeScopes([{ scope: 'global', doc: global }, { scope: 'api', doc: inner }, { scope: 'op', doc: inner }]);
      assert.deepEqual(merged.inbound, [set('g')]);
    }
  });

  test('an empty section drops the enclosing policies', () => {
    const global = doc('inbound: [{ set-variable: { name: g, value: "1" } }]', 'global');
    assert.deepEqual(mergeScopes([{ scope: 'global', doc: global }, { scope: 'op', doc: doc('inbound: []', 'op') }]).inbound, []);
    const xml = parsePolicyDocument('<policies><inbound /></policies>', 'op');
    assert.deepEqual(mergeScopes([{ scope: 'global', doc: global }, { scope: 'op', doc: xml }]).inbound, []);
  });

  test('no level is an empty chain in every section; the result does not alias the inputs', () => {
    assert.deepEqual(mergeScopes([]), { inbound: [], backend: [], outbound: [], 'on-error': [] });
    const only = doc('inbound: [{ set-variable: { name: g, value: "1" } }]', 'global');
    const merged = mergeScopes([{ scope: 'global', doc: only }]);
    merged.inbound.push(set('extra'));
    assert.equal(only.inbound?.length, 1);
  });
});

describe('mergeScopes: misused base', () => {
  const mergeOne = (d: PolicyDocument) => mergeScopes([{ scope: 'global', doc: undefined }, { scope: 'api "a"', doc: d }]);
  const compileError = (fn: () => unknown): PolicyCompileError => {
    try { fn(); } catch (err) { if (err instanceof PolicyCompileError) return err; throw err; }
    assert.fail('expected a PolicyCompileError');
  };

  test('two bases in a section, in YAML and XML', () => {
    const yaml = compileError(() => mergeOne(parsePolicyDocument(parseYaml('outbound: [base, forward-request, base]'), 'api "a"')));
    const xml = compileError(() => mergeOne(parsePolicyDocument('<policies><outbound><base/><forward-request/><base/></outbound></policies>', 'api "a"')));
    for (const err of [yaml, xml]) {
      assert.deepEqual(err.at, { scope: 'api "a"', section: 'outbound', element: 'base', index: 2 });
    }
  });

  test('base with an attribute, a child or text', () => {
    const attr = compileError(() => mergeOne(parsePolicyDocument('<policies><inbound><base x="1"/></inbound></policies>', 'api "a"')));
    assert.deepEqual([attr.at.index, attr.attribute], [0, 'x']);
    const child = compileError(() => mergeOne(parsePolicyDocument(parseYaml('inbound: [{ base: { forward-request: {} } }]'), 'api "a"')));
    assert.deepEqual([child.at.element, child.at.section], ['base', 'inbound']);
    compileError(() => mergeOne(parsePolicyDocument('<policies><inbound><base>x</base></inbound></policies>', 'api "a"')));
  });
});
