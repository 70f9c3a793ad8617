/**
 * One representation for policies written as YAML or as APIM policy XML: an element with a name,
 * string attributes, child elements and text. `<set-header name="X"><value>v</value></set-header>`
 * and `- set-header: { name: X, value: v }` both become
 * `{ name: 'set-header', attrs: { name: 'X' }, children: [{ name: 'value', text: 'v' }] }`.
 */
export interface PolicyElement {
  name: string;
  attrs: Record<string, string>;
  children: PolicyElement[];
  text: string;
}

/** An element with nothing in it yet. */
export function emptyElement(name: string): PolicyElement {
  return { name, attrs: {}, children: [], text: '' };
}

/**
 * Stands where a policy with problems was, so the policies after it keep their positions (their
 * `name[i]` in later errors). Compilers skip it; a document holding one never compiles.
 */
export const INVALID_POLICY = '#invalid';

export function invalidPolicy(): PolicyElement {
  return emptyElement(INVALID_POLICY);
}

/** Where a policy sits, for error messages: `api "orders" / operation "get" / inbound / rate-limit[1]`. */
export interface PolicyLocation {
  scope: string;
  section: string;
  index: number;
  element: string;
}

/** Where a top-level policy sits. */
export function policyLocation(scope: string, section: string, index: number, element: string): PolicyLocation {
  return { scope, section, index, element };
}

/** Where a child sits: its path from the policy, and its position among its parent's children. */
export function childLocation(parent: PolicyLocation, name: string, index: number): PolicyLocation {
  return { scope: parent.scope, section: parent.section, index, element: `${parent.element}[${parent.index}]/${name}` };
}

/** A problem with the document itself (a section, the root), located at `policies`. */
export function documentError(scope: string, name: string, index: number, problem: string): PolicyCompileError {
  return new PolicyCompileError(policyLocation(scope, 'policies', index, name), null, problem);
}

export function describeLocation(at: PolicyLocation): string {
  return `${at.scope} / ${at.section} / ${at.element}[${at.index}]`;
}

/** A problem found while compiling policies: names the scope, section, element and attribute. */
export class PolicyCompileError extends Error {
  readonly code = 'OUTPOST_ERR_POLICY_INVALID' as const;
  constructor(readonly at: PolicyLocation, readonly attribute: string | null, problem: string) {
    super(`${describeLocation(at)}${attribute ? ` @${attribute}` : ''}: ${problem}`);
    this.name = 'PolicyCompileError';
  }
}

/**
 * Several problems found in one pass. Compiling goes on past a bad policy, attribute or child so
 * that an author sees every problem at once, not one per `outpost validate` run.
 */
export class PolicyCompileErrors extends Error {
  readonly code = 'OUTPOST_ERR_POLICY_INVALID' as const;
  constructor(readonly errors: readonly PolicyCompileError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'PolicyCompileErrors';
  }
}

/** The compile errors in `err` (one, several, or none when it is some other failure). */
export function compileErrorsOf(err: unknown): readonly PolicyCompileError[] | null {
  if (err instanceof PolicyCompileError) return [err];
  if (err instanceof PolicyCompileErrors) return err.errors;
  return null;
}

/** Runs `fn`; a compile error goes into `sink` (and the result is undefined), anything else is thrown. */
export function collectInto<R>(sink: PolicyCompileError[], fn: () => R): R | undefined {
  try {
    return fn();
  } catch (err) {
    const errors = compileErrorsOf(err);
    if (errors === null) throw err;
    sink.push(...errors);
    return undefined;
  }
}

/** Throws what `sink` holds: nothing, the one error as itself, or all of them together. */
export function throwCollected(sink: readonly PolicyCompileError[]): void {
  if (sink.length === 1) throw sink[0];
  if (sink.length > 1) throw new PolicyCompileErrors(sink);
}

/** `items.map(fn)`, going on past items that fail; then every failure is thrown together. */
export function mapCollecting<T, R>(items: readonly T[], fn: (item: T, index: number) => R): R[] {
  const sink: PolicyCompileError[] = [];
  const out: R[] = [];
  items.forEach((item, i) => collectInto(sink, () => { out.push(fn(item, i)); }));
  throwCollected(sink);
  return out;
}
