/**
 * The LINQ to XML values expressions read (XDocument, XElement, XAttribute, XName), parsed once
 * from text by fast-xml-parser (the policy reader's parser) with namespaces resolved as .NET
 * does: an element's name is {namespace}local, an unprefixed attribute has no namespace. A DTD
 * is refused, as .NET's XmlReader refuses it by default (no entity expansion, no external
 * fetch); size and depth are bounded. The members are in cs-xml.ts.
 */
import { fastXml, lazyXmlParser } from '../../../../shared/lazy-xml.js';
import { CsRuntimeError } from './cs-error.js';
import { MAX_STRING } from './cs-state.js';

/** Deepest element nesting a parsed document may have (conversion and serialization recurse). */
export const MAX_XML_DEPTH = 128;
const XMLNS = 'http://www.w3.org/2000/xmlns/';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export const xmlError = (detail: string) => new CsRuntimeError('XmlException', detail);

export class XName {
  readonly csType = 'XName';
  constructor(readonly local: string, readonly ns: string) {}
  /** .NET's expanded form: `{namespace}local`, or `local` without a namespace. */
  text(): string { return this.ns === '' ? this.local : `{${this.ns}}${this.local}`; }
}

/** A name argument (`"local"` or `"{ns}local"`, C#'s implicit string → XName) as an XName. */
export function toXName(v: unknown): XName {
  if (v instanceof XName) return v;
  if (typeof v !== 'string' || v === '') throw new CsRuntimeError('ArgumentNullException', "Value cannot be null. (Parameter 'name')");
  const m = /^\{([^}]*)\}(.+)$/.exec(v);
  return m === null ? new XName(v, '') : new XName(m[2], m[1]);
}

export class XAttribute {
  readonly csType = 'XAttribute';
  constructor(readonly name: XName, readonly qualified: string, readonly value: string, readonly parent: XElement) {}
}

export class XText {
  constructor(readonly text: string, readonly cdata: boolean) {}
}

export class XElement {
  readonly csType = 'XElement';
  readonly attrs: XAttribute[] = [];
  readonly nodes: Array<XElement | XText> = [];
  constructor(readonly name: XName, readonly qualified: string, public parent: XElement | null) {}

  /** Element.Value: the text of every descendant, in document order. */
  value(): string {
    let out = '';
    const walk = (e: XElement): void => { for (const n of e.nodes) { if (n instanceof XText) out += n.text; else walk(n); } };
    walk(this);
    return out;
  }

  elements(): XElement[] { return this.nodes.filter((n): n is XElement => n instanceof XElement); }

  descendants(into: XElement[] = []): XElement[] {
    for (const n of this.nodes) if (n instanceof XElement) { into.push(n); n.descendants(into); }
    return into;
  }

  /** A detached deep copy (XNode.ReadFrom builds a new element; its Parent is null). */
  clone(parent: XElement | null = null): XElement {
    const c = new XElement(this.name, this.qualified, parent);
    for (const a of this.attrs) c.attrs.push(new XAttribute(a.name, a.qualified, a.value, c));
    for (const n of this.nodes) c.nodes.push(n instanceof XElement ? n.clone(c) : n);
    return c;
  }
}

export class XDocument {
  readonly csType = 'XDocument';
  constructor(readonly root: XElement, readonly declaration: boolean) {}
}

const parser = lazyXmlParser({
  preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false,
  trimValues: false, processEntities: false, ignoreDeclaration: true, ignorePiTags: true, commentPropName: '#comment', cdataPropName: '#cdata',
});

type Raw = Record<string, unknown>;

/** Parses `text` into a document (XDocument.Parse, XElement.Parse, XmlReader.Create). Throws XmlException. */
export function parseXml(text: unknown, keepWhitespace = false): XDocument {
  if (typeof text !== 'string') throw new CsRuntimeError('ArgumentNullException', "Value cannot be null. (Parameter 'text')");
  if (text.length > MAX_STRING) throw xmlError(`The XML is longer than ${MAX_STRING} characters.`);
  if (/<!DOCTYPE/i.test(text)) throw xmlError('For security reasons DTD is prohibited in this XML document.');
  if (nestingDepth(text) > MAX_XML_DEPTH) throw xmlError(`The XML nests elements more than ${MAX_XML_DEPTH} levels deep.`);
  const valid = fastXml().XMLValidator.validate(text);
  if (valid !== true) throw xmlError(`${valid.err.msg} Line ${valid.err.line}, position ${valid.err.col}.`);
  const raw = parser().parse(text) as Raw[];
  const roots = raw.filter((r) => elementName(r) !== null);
  if (roots.length !== 1) throw xmlError(roots.length === 0 ? 'Root element is missing.' : 'There are multiple root elements.');
  return new XDocument(build(roots[0], null, new Map([['xml', XML_NS], ['xmlns', XMLNS]]), keepWhitespace), /^\s*<\?xml\s/.test(text));
}

function elementName(r: Raw): string | null {
  for (const k of Object.keys(r)) if (k !== ':@' && k !== '#text' && k !== '#comment' && k !== '#cdata') return k;
  return null;
}

/** `keepWhitespace`: keep white-space-only text (XmlReader reports it; XDocument.Parse drops it, LoadOptions.None). */
function build(r: Raw, parent: XElement | null, scope: ReadonlyMap<string, string>, keepWhitespace: boolean): XElement {
  const qualified = elementName(r)!;
  const attrs = (r[':@'] ?? {}) as Record<string, string>;
  let inner: Map<string, string> | null = null;
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) { inner ??= new Map(scope); inner.set(k === 'xmlns' ? '' : k.slice(6), v); }
  }
  const ns = inner ?? scope;
  const resolve = (q: string, isAttr: boolean): XName => {
    const colon = q.indexOf(':');
    if (colon < 0) return new XName(q, isAttr ? (q === 'xmlns' ? XMLNS : '') : ns.get('') ?? '');
    const prefix = q.slice(0, colon);
    const uri = ns.get(prefix);
    if (uri === undefined) throw xmlError(`'${prefix}' is an undeclared prefix.`);
    return new XName(q.slice(colon + 1), uri);
  };
  const el = new XElement(resolve(qualified, false), qualified, parent);
  for (const [k, v] of Object.entries(attrs)) el.attrs.push(new XAttribute(resolve(k, true), k, decode(v), el));
  for (const child of (r[qualified] ?? []) as Raw[]) {
    if ('#text' in child) { const t = decode(String(child['#text'])); if (keepWhitespace || !/^[ \t\r\n]*$/.test(t)) el.nodes.push(new XText(t, false)); }
    else if ('#cdata' in child) el.nodes.push(new XText(((child['#cdata'] as Raw[])[0]?.['#text'] as string | undefined) ?? '', true));
    else if (elementName(child) !== null) el.nodes.push(build(child, el, ns, keepWhitespace));
  }
  return el;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML's five entities and character references, in one pass (so `&amp;#65;` stays `&#65;`); any other entity is undeclared. */
function decode(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][\w.-]*);/g, (_m, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      if (!(code === 9 || code === 10 || code === 13 || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0x10ffff && (code < 0xfffe || code > 0xffff)))) throw xmlError(`Invalid character reference '&${ref};'.`);
      return String.fromCodePoint(code);
    }
    const v = ENTITIES[ref];
    if (v === undefined) throw xmlError(`Reference to undeclared entity '${ref}'.`);
    return v;
  });
}

/** The deepest element nesting, by a scan of start and end tags (comments and CDATA may only overcount). */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (const m of text.matchAll(/<(\/?)[A-Za-z_][^>]*?(\/?)>/g)) {
    if (m[1] === '/') depth--;
    else if (m[2] !== '/') { depth++; if (depth > max) max = depth; }
  }
  return max;
}

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, '&quot;');

/** XElement.ToString(): .NET's indented form (two spaces; an element holding text stays on one line). */
export function xmlText(e: XElement, indent = ''): string {
  const attrs = e.attrs.map((a) => ` ${a.qualified}="${escapeAttr(a.value)}"`).join('');
  if (e.nodes.length === 0) return `${indent}<${e.qualified}${attrs} />`;
  if (e.nodes.some((n) => n instanceof XText)) {
    const inner = e.nodes.map((n) => (n instanceof XText ? (n.cdata ? `<![CDATA[${n.text}]]>` : escapeText(n.text)) : xmlText(n))).join('');
    return `${indent}<${e.qualified}${attrs}>${inner}</${e.qualified}>`;
  }
  const children = e.nodes.map((n) => xmlText(n as XElement, `${indent}  `)).join('\r\n');
  return `${indent}<${e.qualified}${attrs}>\r\n${children}\r\n${indent}</${e.qualified}>`;
}
