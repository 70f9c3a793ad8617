/**
 * Compiles one policy element by its factory: an unknown name, or a policy outside the sections
 * it may run in, is a compile error at the element. Shared by the scope compiler and by policies
 * that hold policies (choose); the factory lookup is passed in so this file needs no registry.
 */
import type { Section } from './phases.js';
import type { PolicyFactory } from './policy-contract.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from './policy-element.js';

export type FactoryLookup = (name: string) => PolicyFactory<unknown> | undefined;

export function compileElement(lookup: FactoryLookup, element: PolicyElement, at: PolicyLocation): unknown {
  const factory = lookup(element.name);
  if (!factory) throw new PolicyCompileError(at, null, `unknown policy "${element.name}"`);
  if (!factory.sections.includes(at.section as Section)) {
    throw new PolicyCompileError(at, null, `"${element.name}" cannot be used in ${at.section} (allowed: ${factory.sections.join(', ')})`);
  }
  return factory.compile(element, at);
}
