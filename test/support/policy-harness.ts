/** Compiling one policy from YAML or XML and running it on a RequestContext built directly (unit tests). */
import assert from 'node:assert/strict';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { SharedGauges } from '../../src/gateway/pipeline/shared-gauges.js';
import type { PolicyFactory, PolicyInstance } from '../../src/gateway/pipeline/policy-contract.js';
import type { Section } from '../../src/gateway/pipeline/phases.js';

/** `policy` is the YAML value (`{ name: x }`, or a scalar for text) or a whole XML element string. */
export function compileOne(factory: PolicyFactory<unknown>, policy: unknown, section: Section = factory.sections[0]): unknown {
  const doc = typeof policy === 'string' && policy.startsWith('<')
    ? parsePolicyDocument(`<policies><${section}>${policy}</${section}></policies>`, 'api "t"')
    : parsePolicyDocument({ [section]: [{ [factory.name]: policy }] }, 'api "t"');
  const el = doc[section]![0];
  return factory.compile(el, policyLocation('api "t"', section, 0, el.name));
}

export function instanceOf(factory: PolicyFactory<unknown>, policy: unknown, section?: Section): PolicyInstance {
  const services = { counters: new SharedCounters(SharedCounters.allocate(16)), gauges: new SharedGauges(SharedGauges.allocate(1, 16), 0), now: Date.now };
  return factory.create(compileOne(factory, policy, section), services);
}

/** The attribute a compile error names (null: the element); fails if it compiles. */
export function compileErrorAttribute(factory: PolicyFactory<unknown>, policy: unknown, section?: Section): string | null {
  try { compileOne(factory, policy, section); } catch (err) {
    assert.ok(err instanceof PolicyCompileError, String(err));
    return err.attribute;
  }
  throw new Error('compiled without error');
}

export function newContext(init: { method?: string; path?: string; query?: string; headers?: string[]; params?: Record<string, string> } = {}): RequestContext {
  return new RequestContext(init.method ?? 'GET', init.path ?? '/items/7', init.query ?? '', init.headers ?? ['host', 'backend:80'], '10.0.0.1', 'a', 'o', init.params ?? {});
}
