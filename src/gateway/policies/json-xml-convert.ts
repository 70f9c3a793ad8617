/**
 * JSON ↔ XML for json-to-xml and xml-to-json. Pure functions over strings: the policies decide
 * when to convert and where the result goes (message-body.ts).
 *
 * JSON → XML follows the shape APIM (Newtonsoft's JSON-to-XML) gives: an object with exactly one
 * property holding an object becomes that element as the root; anything else is wrapped in
 * <Document>. Array items repeat their property's element (items of a top-level array are <item>).
 * A name that is not an XML name is encoded as .NET's XmlConvert.EncodeName does (`_x0020_`).
 *
 * XML → JSON parses with fast-xml-parser: "direct" keeps the document's structure as Newtonsoft's
 * SerializeXmlNode shows it (attributes as "@name", text beside attributes as "#text", the XML
 * declaration as "?xml"); "javascript-friendly" drops the declaration and the "@" of attribute
 * names. Values stay strings (XML has no types). A DOCTYPE is refused: no entity is ever expanded.
 *
 * Both directions bound nesting (MAX_DEPTH) so a hostile body cannot exhaust the stack.
 */
import type { XMLParser } from 'fast-xml-parser';
import { fastXml } from '../../shared/lazy-xml.js';

export const MAX_DEPTH = 64;

/** The body is not the JSON or XML the policy converts; the policy maps it to its coded error. */
export class ConversionError extends Error {
  constructor(message: string) { super(message); this.name = 'ConversionError'; }
}

export interface JsonToXmlOptions {
  /** Replaced by ":" in property names (prefix<sep>local → prefix:local); null: names are taken as written. */
  namespaceSeparator: string | null;
  /** Properties whose names start with it become attributes (namespace declarations, usually "xmlns"). */
  namespacePrefix: string | null;
  /** A property with this name holds the element's attributes (e.g. "#attrs"). */
  attributeBlockName: string | null;
}

export function jsonToXml(text: string, options: JsonToXmlOptions): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConversionError(`the body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const out: string[] = [];
  const keys = isObject(value) ? Object.keys(value) : [];
  if (isObject(value) && keys.length === 1 && isObject(value[keys[0]]) && !isAttributeKey(keys[0], options)) {
    writeElement(out, keys[0], value[keys[0]], options, 1);
  } else if (Array.isArray(value)) {
    out.push('<Document>');
    for (const item of value) writeElement(out, 'item', item, options, 2);
    out.push('</Document>');
  } else {
    writeElement(out, 'Document', value, options, 1);
  }
  return out.join('');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isAttributeKey(key: string, o: JsonToXmlOptions): boolean {
  return (o.attributeBlockName !== null && key === o.attributeBlockName) || (o.namespacePrefix !== null && key.startsWith(o.namespacePrefix));
}

function writeElement(out: string[], rawName: string, value: unknown, o: JsonToXmlOptions, depth: number): void {
  if (depth > MAX_DEPTH) throw new ConversionError(`the JSON nests deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    for (const item of value) writeElement(out, rawName, item, o, depth + 1);
    return;
  }
  const name = xmlName(rawName, o);
  if (value === null || value === undefined) { out.push(`<${name} />`); return; }
  if (!isObject(value)) { out.push(`<${name}>${escapeText(scalarText(value))}</${name}>`); return; }
  let attrs = '';
  const children: Array<[string, unknown]> = [];
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (o.attributeBlockName !== null && key === o.attributeBlockName && isObject(v)) {
      for (const a of Object.keys(v)) attrs += ` ${xmlName(a, o)}="${escapeAttr(scalarText(v[a]))}"`;
    } else if (o.namespacePrefix !== null && key.startsWith(o.namespacePrefix) && !isObject(v) && !Array.isArray(v)) {
      attrs += ` ${xmlName(key, o)}="${escapeAttr(scalarText(v))}"`;
    } else {
      children.push([key, v]);
    }
  }
  if (children.length === 0) { out.push(`<${name}${attrs} />`); return; }
  out.push(`<${name}${attrs}>`);
  for (const [key, v] of children) writeElement(out, key, v, o, depth + 1);
  out.push(`</${name}>`);
}

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

const NAME_START = /[A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;
const NAME_CHAR = /[-.0-9\u00B7\u0300-\u036F\u203F\u2040A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;

/** A property name as an XML name: the namespace separator becomes ":", anything else invalid is `_xHHHH_`. */
function xmlName(raw: string, o: JsonToXmlOptions): string {
  let prefix = '';
  let local = raw;
  const sep = o.namespaceSeparator;
  const at = sep === null || sep === '' ? -1 : raw.indexOf(sep);
  if (at > 0 && at + sep!.length < raw.length) {
    prefix = `${encodeName(raw.slice(0, at))}:`;
    local = raw.slice(at + sep!.length);
  }
  return prefix + encodeName(local);
}

function encodeName(raw: string): string {
  if (raw === '') return '_';
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    const ok = i === 0 ? NAME_START.test(ch) : NAME_CHAR.test(ch);
    out += ok ? ch : `_x${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`;
  }
  return out;
}

function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function escapeAttr(s: string): string {
  return s.replace(/[&<>"\r\n\t]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface XmlToJsonOptions {
  kind: 'direct' | 'javascript-friendly';
  /** Every child element becomes an array, even a single one. */
  alwaysArrayChildren: boolean;
}

const parsers = new Map<string, XMLParser>();

function parserFor(o: XmlToJsonOptions): XMLParser {
  const key = `${o.kind}|${o.alwaysArrayChildren}`;
  let p = parsers.get(key);
  if (p === undefined) {
    p = new (fastXml().XMLParser)({
      ignoreAttributes: false,
      attributeNamePrefix: o.kind === 'direct' ? '@' : '',
      textNodeName: '#text',
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      // direct keeps the declaration and processing instructions, as SerializeXmlNode shows them.
      ignoreDeclaration: o.kind !== 'direct',
      ignorePiTags: o.kind !== 'direct',
      maxNestedTags: MAX_DEPTH,
      jPath: true,
      // The root stays an object; below it every element is an array when asked.
      ...(o.alwaysArrayChildren ? { isArray: (_name: string, jpath: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute && typeof jpath === 'string' && jpath.includes('.') } : {}),
    });
    parsers.set(key, p);
  }
  return p;
}

export function xmlToJson(text: string, options: XmlToJsonOptions): string {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new ConversionError('the XML declares a DOCTYPE or entities, which are refused');
  const valid = fastXml().XMLValidator.validate(text);
  if (valid !== true) throw new ConversionError(`the body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let tree: unknown;
  try {
    tree = parserFor(options).parse(text);
  } catch (err) {
    throw new ConversionError(`the XML could not be converted: ${err instanceof Error ? err.message : String(err)}`);
  }
  return JSON.stringify(tree);
}
