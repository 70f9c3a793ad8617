/**
 * XML in expressions, as real policies read it (corpus 014, 015): XDocument.Parse / XElement.Parse
 * with Root, Descendants, Elements, Element, Attribute(s), Value, Name (LocalName, NamespaceName),
 * Parent, HasElements, HasAttributes, ToString(); and the forward-only XmlReader over a
 * StringReader (Read, MoveToContent, EOF, Name, LocalName, NodeType, Value, Depth,
 * IsEmptyElement, IsStartElement, ReadToFollowing, ReadElementContentAsString, GetAttribute) with
 * XNode.ReadFrom(reader). Values are read-only (no element is added or changed). The reader works
 * over the parsed document, so its whole input is parsed and checked once, bounded as
 * cs-xml-model.ts says; an element written `<a></a>` reads as empty (`<a/>`), with no EndElement.
 */
import { declareMembers } from './cs-names.js';
import type { EvalState } from './cs-state.js';
import { NO_MEMBER } from './cs-view.js';
import { CsRuntimeError } from './cs-error.js';
import { csString } from './cs-convert.js';
import { parseXml, toXName, XAttribute, XDocument, XElement, xmlError, XName, xmlText, XText } from './cs-xml-model.js';

declareMembers(['Root', 'Descendants', 'DescendantsAndSelf', 'Elements', 'Element', 'Attribute', 'Attributes', 'LocalName', 'NamespaceName',
  'Parent', 'HasElements', 'HasAttributes', 'IsEmpty', 'Read', 'MoveToContent', 'EOF', 'NodeType', 'Depth', 'IsEmptyElement', 'IsStartElement',
  'ReadToFollowing', 'ReadElementContentAsString', 'GetAttribute', 'Prefix', 'NamespaceURI', 'ReadToEnd', 'Close']);

/** XmlNodeType's values, as .NET numbers them. */
export const XML_NODE_TYPES: Record<string, number> = {
  None: 0, Element: 1, Attribute: 2, Text: 3, CDATA: 4, Comment: 8, Document: 9, Whitespace: 13, SignificantWhitespace: 14, EndElement: 15, XmlDeclaration: 17,
};
const T = XML_NODE_TYPES;

/** `new StringReader(text)`: what XmlReader.Create reads. */
export class CsStringReader {
  readonly csType = 'StringReader';
  constructor(readonly text: string) {}
}

interface XmlEvent { type: number; el: XElement | null; text: string; depth: number; empty: boolean }

/** XmlReader: the nodes of the parsed document in order, and a cursor (-1: not started). */
export class CsXmlReader {
  readonly csType = 'XmlReader';
  private i = -1;
  constructor(private readonly events: XmlEvent[]) {}

  static create(source: unknown, st: EvalState): CsXmlReader {
    if (!(source instanceof CsStringReader)) throw new CsRuntimeError('ArgumentException', 'XmlReader.Create reads a StringReader here (new StringReader(xml)); URLs and files are outside the subset.');
    st.step(source.text.length >> 8);
    const doc = parseXml(source.text, true);
    const events: XmlEvent[] = [];
    if (doc.declaration) events.push({ type: T.XmlDeclaration, el: null, text: '', depth: 0, empty: false });
    flatten(doc.root, 0, events);
    return new CsXmlReader(st.items(events));
  }

  private get cur(): XmlEvent | null { return this.i >= 0 && this.i < this.events.length ? this.events[this.i] : null; }

  prop(name: string): unknown {
    const e = this.cur;
    switch (name) {
      case 'EOF': return this.i >= this.events.length;
      case 'NodeType': return e?.type ?? T.None;
      case 'Name': return e === null ? '' : e.el !== null ? e.el.qualified : e.type === T.XmlDeclaration ? 'xml' : '';
      case 'LocalName': return e === null ? '' : e.el !== null ? e.el.name.local : e.type === T.XmlDeclaration ? 'xml' : '';
      case 'NamespaceURI': return e?.el?.name.ns ?? '';
      case 'Prefix': { const q = e?.el?.qualified ?? ''; const c = q.indexOf(':'); return c < 0 ? '' : q.slice(0, c); }
      case 'Value': return e === null || e.el !== null ? '' : e.text;
      case 'Depth': return e?.depth ?? 0;
      case 'IsEmptyElement': return e?.type === T.Element && e.empty;
    }
    return NO_MEMBER;
  }

  call(name: string, args: unknown[], st: EvalState): unknown {
    st.step();
    switch (name) {
      case 'Read': this.i = Math.min(this.i + 1, this.events.length); return this.i < this.events.length;
      case 'MoveToContent': return this.moveToContent();
      case 'IsStartElement': return this.moveToContent() === T.Element && (args[0] === undefined || this.cur!.el!.qualified === csString(args[0]));
      case 'ReadToFollowing': {
        const want = csString(args[0]);
        while (++this.i < this.events.length) { st.step(); const e = this.events[this.i]; if (e.type === T.Element && e.el!.qualified === want) return true; }
        this.i = this.events.length;
        return false;
      }
      case 'ReadElementContentAsString': {
        const e = this.cur;
        if (e?.type !== T.Element) throw xmlError(`The ReadElementContentAsString method is not supported on node type ${nodeTypeName(e?.type ?? 0)}.`);
        if (e.el!.elements().length > 0) throw xmlError('ReadElementContentAsString method is not supported on node type Element (the element has child elements).');
        this.skipElement();
        return e.el!.value();
      }
      case 'GetAttribute': {
        const e = this.cur;
        if (e?.type !== T.Element) return null;
        const a = e.el!.attrs.find((x) => x.qualified === csString(args[0]));
        return a?.value ?? null;
      }
      case 'Dispose': case 'Close': return null;
    }
    return NO_MEMBER;
  }

  /** XNode.ReadFrom(reader): the current element as a new XElement; the reader moves past its end. */
  readElement(): XElement {
    const e = this.cur;
    if (e?.type !== T.Element) throw new CsRuntimeError('InvalidOperationException', `The XmlReader should be on a node of type Element instead of a node of type ${nodeTypeName(e?.type ?? 0)}.`);
    this.skipElement();
    return e.el!.clone();
  }

  /** From an Element, to the node after its EndElement (or after it, when empty). */
  private skipElement(): void {
    const start = this.events[this.i];
    if (!start.empty) {
      while (++this.i < this.events.length) { const x = this.events[this.i]; if (x.type === T.EndElement && x.el === start.el) break; }
    }
    this.i = Math.min(this.i + 1, this.events.length);
  }

  private moveToContent(): number {
    if (this.i < 0) this.i = 0;
    while (this.i < this.events.length) {
      const t = this.events[this.i].type;
      if (t === T.Element || t === T.EndElement || t === T.Text || t === T.CDATA) return t;
      this.i++;
    }
    return T.None;
  }
}

function nodeTypeName(type: number): string {
  return Object.keys(T).find((k) => T[k] === type) ?? 'None';
}

function flatten(el: XElement, depth: number, out: XmlEvent[]): void {
  const empty = el.nodes.length === 0;
  out.push({ type: T.Element, el, text: '', depth, empty });
  for (const n of el.nodes) {
    if (n instanceof XElement) flatten(n, depth + 1, out);
    else out.push({ type: n.cdata ? T.CDATA : /^[ \t\r\n]*$/.test(n.text) ? T.Whitespace : T.Text, el: null, text: n.text, depth: depth + 1, empty: false });
  }
  if (!empty) out.push({ type: T.EndElement, el, text: '', depth, empty: false });
}

const named = (list: XElement[], name: unknown): XElement[] => {
  if (name === undefined) return list;
  const n = toXName(name);
  return list.filter((e) => e.name.local === n.local && e.name.ns === n.ns);
};

export function xmlProp(recv: unknown, name: string): unknown {
  if (recv instanceof XDocument) return name === 'Root' ? recv.root : NO_MEMBER;
  if (recv instanceof XElement) {
    switch (name) {
      case 'Name': return recv.name;
      case 'Value': return recv.value();
      case 'Parent': return recv.parent;
      case 'HasElements': return recv.elements().length > 0;
      case 'HasAttributes': return recv.attrs.length > 0;
      case 'IsEmpty': return recv.nodes.length === 0;
    }
    return NO_MEMBER;
  }
  if (recv instanceof XAttribute) return name === 'Name' ? recv.name : name === 'Value' ? recv.value : name === 'Parent' ? recv.parent : NO_MEMBER;
  if (recv instanceof XName) return name === 'LocalName' ? recv.local : name === 'NamespaceName' ? recv.ns : NO_MEMBER;
  if (recv instanceof CsXmlReader) return recv.prop(name);
  return NO_MEMBER;
}

export function xmlMethod(recv: unknown, name: string, args: unknown[], st: EvalState): unknown {
  if (recv instanceof XDocument) {
    switch (name) {
      case 'Descendants': return st.items(named(recv.root.descendants([recv.root]), args[0]));
      case 'Elements': return named([recv.root], args[0]);
      case 'Element': return named([recv.root], args[0])[0] ?? null;
      case 'ToString': return st.str(xmlText(recv.root));
    }
    return NO_MEMBER;
  }
  if (recv instanceof XElement) {
    switch (name) {
      case 'Descendants': return st.items(named(recv.descendants(), args[0]));
      case 'DescendantsAndSelf': return st.items(named(recv.descendants([recv]), args[0]));
      case 'Elements': return named(recv.elements(), args[0]);
      case 'Element': return named(recv.elements(), args[0])[0] ?? null;
      case 'Attributes': { if (args[0] === undefined) return recv.attrs.slice(); const n = toXName(args[0]); return recv.attrs.filter((a) => a.name.local === n.local && a.name.ns === n.ns); }
      case 'Attribute': { const n = toXName(args[0]); return recv.attrs.find((a) => a.name.local === n.local && a.name.ns === n.ns) ?? null; }
      case 'ToString': return st.str(xmlText(recv));
    }
    return NO_MEMBER;
  }
  if (recv instanceof XAttribute && name === 'ToString') return `${recv.qualified}="${recv.value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`;
  if (recv instanceof XName && name === 'ToString') return recv.text();
  if (recv instanceof CsXmlReader) return recv.call(name, args, st);
  if (recv instanceof CsStringReader) return name === 'ReadToEnd' ? recv.text : name === 'Dispose' || name === 'Close' ? null : NO_MEMBER;
  return NO_MEMBER;
}

/** The statics: XDocument.Parse, XElement.Parse, XmlReader.Create, XNode.ReadFrom, XmlNodeType.*. */
export function xmlStatics(): Record<string, { call?: (args: unknown[], st: EvalState) => unknown; get?: () => unknown }> {
  const out: Record<string, { call?: (args: unknown[], st: EvalState) => unknown; get?: () => unknown }> = {
    'XDocument.Parse': { call: ([text], st) => { st.step(String(text ?? '').length >> 8); return parseXml(text); } },
    'XElement.Parse': { call: ([text], st) => { st.step(String(text ?? '').length >> 8); return parseXml(text).root; } },
    'XmlReader.Create': { call: ([source], st) => CsXmlReader.create(source, st) },
    'XNode.ReadFrom': { call: ([reader]) => { if (!(reader instanceof CsXmlReader)) throw new CsRuntimeError('ArgumentNullException', "Value cannot be null. (Parameter 'reader')"); return reader.readElement(); } },
  };
  for (const [k, v] of Object.entries(XML_NODE_TYPES)) out[`XmlNodeType.${k}`] = { get: () => v };
  return out;
}

export { XDocument, XElement, XAttribute, XName, XText };
