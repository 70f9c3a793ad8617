/**
 * Named values: `{{name}}` in attribute values and text, replaced at compile time.
 *
 * - A reference is `{{` + a name of letters, digits, `.`, `_`, `-` + `}}`, as APIM spells them.
 *   Anything else between `{{` and `}}` is an error rather than left as literal text.
 * - Names match exactly (case-sensitive); an unknown name is a PolicyCompileError naming the
 *   element and the attribute, with a hint when only the case differs.
 * - One pass: a value that itself contains `{{other}}` is inserted as written, never expanded.
 * - A non-secret value holding `@(` or `@{` is refused: APIM would evaluate it as a C# policy
 *   expression, which Outpost does not support. A secret is always literal data (a key, a password).
 * - No error message ever contains a value, so a secret cannot leak through one. Policies compile
 *   after substitution and may quote attribute values in their errors: `findSecretUses` says which
 *   elements hold secrets and `redactSecrets` scrubs a message before it is logged.
 */
import { PolicyCompileError, throwCollected, type PolicyElement, type PolicyLocation } from './policy-element.js';
import { childLocation, invalidPolicy, policyLocation, type PolicyDocument } from './policy-document.js';
import { SECTIONS } from './phases.js';

export interface NamedValue {
  value: string;
  secret: boolean;
}
export type NamedValues = Map<string, NamedValue>;

/** An element whose attribute (or text, when `attribute` is null) uses the secret named value `name`. */
export interface SecretUse {
  at: PolicyLocation;
  attribute: string | null;
  name: string;
}

const REFERENCE = /\{\{([^{}]*)\}\}/g;
const NAME = /^[A-Za-z0-9._-]+$/;
const EXPRESSION = /@[({]/;

/** A copy of `doc` with every `{{name}}` replaced; the input is not changed. Throws every problem found. */
export function substituteNamedValues(doc: PolicyDocument, values: NamedValues, scope: string): PolicyDocument {
  const sink: PolicyCompileError[] = [];
  const out = substituteNamedValuesCollecting(doc, values, scope, sink);
  throwCollected(sink);
  return out;
}

/**
 * substituteNamedValues going on past problems: each one goes into `sink`, and a policy with any
 * is replaced by the INVALID_POLICY placeholder (its position kept) so it is not compiled with
 * `{{name}}` left in it.
 */
export function substituteNamedValuesCollecting(doc: PolicyDocument, values: NamedValues, scope: string, sink: PolicyCompileError[]): PolicyDocument {
  let found: PolicyCompileError[] = [];
  const rewrite: Rewrite = (text, at, attribute, liquid = false) => text.replace(REFERENCE, (ref, name: string) => {
    if (liquid && !values.has(name)) return ref;
    try {
      const nv = lookUp(name, values, at, attribute);
      if (!nv.secret && EXPRESSION.test(nv.value)) {
        throw new PolicyCompileError(at, attribute,
          `named value "${name}" holds a C# policy expression (@(…) or @{…}); expressions are not supported`);
      }
      return nv.value;
    } catch (err) {
      if (!(err instanceof PolicyCompileError)) throw err;
      found.push(err);
      return ref;
    }
  });
  const out: PolicyDocument = {};
  for (const section of SECTIONS) {
    const list = doc[section];
    if (!list) continue;
    out[section] = list.map((el, i) => {
      found = [];
      const mapped = mapElement(el, policyLocation(scope, section, i, el.name), rewrite);
      sink.push(...found);
      return found.length > 0 ? invalidPolicy() : mapped;
    });
  }
  return out;
}

/** Every place in `doc` (before substitution) that uses a secret named value, so logs can redact it. */
export function findSecretUses(doc: PolicyDocument, values: NamedValues, scope: string): SecretUse[] {
  const uses: SecretUse[] = [];
  mapDocument(doc, scope, (text, at, attribute) => {
    for (const [, name] of text.matchAll(REFERENCE)) {
      if (values.get(name)?.secret) uses.push({ at, attribute, name });
    }
    return text;
  });
  return uses;
}

/**
 * Every name `doc` (before substitution) refers to as `{{name}}`: a control plane sends a gateway
 * only the named values its policies use. Found where substitution looks, so XML escapes
 * (`&#123;&#123;x}}`) count as references exactly when they would be substituted.
 */
export function namedValueReferences(doc: PolicyDocument, scope: string, into = new Set<string>()): Set<string> {
  mapDocument(doc, scope, (text) => {
    for (const [, name] of text.matchAll(REFERENCE)) into.add(name);
    return text;
  });
  return into;
}

/** `text` with every secret value replaced by `***`, longest first (so one secret inside another goes whole). */
export function redactSecrets(text: string, values: NamedValues): string {
  const secrets = [...values.values()].filter((v) => v.secret && v.value !== '').map((v) => v.value);
  secrets.sort((a, b) => b.length - a.length);
  for (const s of secrets) text = text.split(s).join('***');
  return text;
}

function lookUp(name: string, values: NamedValues, at: PolicyLocation, attribute: string | null): NamedValue {
  if (!NAME.test(name)) {
    throw new PolicyCompileError(at, attribute,
      `"{{${name}}}" is not a named value reference (names use letters, digits, '.', '_' and '-')`);
  }
  const nv = values.get(name);
  if (nv) return nv;
  const near = [...values.keys()].find((k) => k.toLowerCase() === name.toLowerCase());
  throw new PolicyCompileError(at, attribute,
    `named value "${name}" is not defined${near ? ` (names are case-sensitive: did you mean "${near}"?)` : ''}`);
}

/** `liquid`: the text of a set-body template="liquid", where `{{ x }}` not naming a named value is Liquid's own. */
type Rewrite = (text: string, at: PolicyLocation, attribute: string | null, liquid?: boolean) => string;

function mapDocument(doc: PolicyDocument, scope: string, rewrite: Rewrite): PolicyDocument {
  const out: PolicyDocument = {};
  for (const section of SECTIONS) {
    const list = doc[section];
    if (list) out[section] = list.map((el, i) => mapElement(el, policyLocation(scope, section, i, el.name), rewrite));
  }
  return out;
}

/**
 * `inLiquid`: `el` is inside the template of a set-body template="liquid", whose markup the reader
 * parsed into child elements (`<data val="{{ vars['x'] }}" />`): their attributes and text are
 * the template's too, so a `{{ ... }}` there that names no named value is Liquid's, as in APIM.
 */
function mapElement(el: PolicyElement, at: PolicyLocation, rewrite: Rewrite, inLiquid = false): PolicyElement {
  const liquid = inLiquid || (el.name === 'set-body' && el.attrs.template === 'liquid');
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs)) attrs[k] = v.includes('{{') ? rewrite(v, at, k, inLiquid) : v;
  return {
    name: el.name,
    attrs,
    children: el.children.map((c, i) => mapElement(c, childLocation(at, c.name, i), rewrite, liquid)),
    text: el.text.includes('{{') ? rewrite(el.text, at, null, liquid) : el.text,
  };
}
