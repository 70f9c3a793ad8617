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

/** Where a policy sits, for error messages: `api "orders" / operation "get" / inbound / rate-limit[1]`. */
export interface PolicyLocation {
  scope: string;
  section: string;
  index: number;
  element: string;
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
