/**
 * APIM policy XML → PolicyElement trees. The file is read as APIM reads it: C# policy expressions
 * are made XML-safe first (expression-escape.ts), so raw quotes, `<` and `&&` inside them parse,
 * and every position in an error is the author's line and column.
 */
import { fastXml, lazyXmlParser } from '../../../shared/lazy-xml.js';
import { SECTIONS, type Section } from '../phases.js';
import { collectInto, documentError, emptyElement, PolicyCompileError, type PolicyElement } from '../policy-element.js';
import type { PolicyDocument } from '../policy-document.js';
import { notASection } from '../policy-yaml.js';
import { escapeExpressions, ExpressionSyntaxError, type EscapedXml } from './expression-escape.js';
import { lineColumnOf } from './source-positions.js';

type XmlNode = Record<string, unknown>;

const parser = lazyXmlParser({
  preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false,
  parseTagValue: false, trimValues: true, cdataPropName: '#cdata', ignoreDeclaration: true,
  ignorePiTags: true, allowBooleanAttributes: false,
  // Decodes character references (&#64;); the pre-scan below has already refused any entity
  // other than the five XML ones, so no HTML entity is ever decoded.
  htmlEntities: true,
});
const XML_ENTITY = /&(?!(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)[^;\s<&]*;?/;

export function fromXml(input: string, scope: string, sink: PolicyCompileError[]): PolicyDocument {
  const fail = (problem: string): never => { throw documentError(scope, 'policies', 0, problem); };
  const where = (p: { line: number; column: number }): string => `line ${p.line}, column ${p.column}`;
  let escaped: EscapedXml;
  try {
    escaped = escapeExpressions(input);
  } catch (err) {
    if (!(err instanceof ExpressionSyntaxError)) throw err;
    return fail(`malformed policy XML at ${where(lineColumnOf(input, err.offset))}: ${err.message}`);
  }
  const { xml, positions } = escaped;
  // Outside CDATA and comments (blanked, keeping offsets), nothing may declare or use an entity
  // beyond XML's own five.
  const markup = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g, (m) => m.replace(/[^\n]/g, ' '));
  if (/<!(DOCTYPE|ENTITY)/i.test(markup)) fail('DOCTYPE and entity declarations are not allowed in policy XML');
  const entity = XML_ENTITY.exec(markup);
  if (entity) {
    fail(`malformed policy XML at ${where(lineColumnOf(input, positions.inputOffset(entity.index)))}: "${entity[0]}" is not an XML entity (only &lt; &gt; &amp; &quot; &apos; and &#…; are; write & as &amp;)`);
  }
  const valid = fastXml().XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    // At the end of the input the validator reports the open elements as a JSON list, at 1:1.
    const open = /^Invalid '\[(.*)\]' found\.$/s.exec(msg);
    if (open) fail(`malformed policy XML: the input ends inside ${open[1].split(',').map((n) => `<${n.trim().replace(/^"|"$/g, '')}>`).join(' ')}`);
    fail(`malformed policy XML${line ? ` at ${where(positions.inputLineColumn(xml, input, line, col || 1))}` : ''}: ${msg}`);
  }
  let nodes: XmlNode[];
  try {
    nodes = parser().parse(xml) as XmlNode[];
  } catch (err) {
    return fail(`malformed policy XML: ${(err as Error).message}`);
  }
  const roots = nodes.filter((n) => tagOf(n) !== null);
  if (roots.length !== 1 || tagOf(roots[0]) !== 'policies') {
    fail(`the root element must be <policies>, found ${roots.map((n) => `<${tagOf(n)}>`).join(' ') || 'none'}`);
  }
  const root = xmlElement(roots[0]);
  if (Object.keys(root.attrs).length > 0) fail('<policies> takes no attributes');
  if (root.text !== '') fail('text outside a section');
  const doc: PolicyDocument = {};
  root.children.forEach((section, i) => collectInto(sink, () => {
    const name = section.name;
    if (!(SECTIONS as readonly string[]).includes(name)) throw notASection(scope, name, i);
    if (doc[name as Section]) throw documentError(scope, name, i, `section ${name} appears twice`);
    if (Object.keys(section.attrs).length > 0) throw documentError(scope, name, i, 'a section takes no attributes');
    if (section.text !== '') throw documentError(scope, name, i, 'text in a section, outside any policy');
    doc[name as Section] = section.children;
  }));
  return doc;
}

/** The element name of a preserveOrder node, or null for text and CDATA. */
function tagOf(node: XmlNode): string | null {
  for (const key of Object.keys(node)) if (key !== ':@' && key !== '#text' && key !== '#cdata') return key;
  return null;
}

function xmlElement(node: XmlNode): PolicyElement {
  const el = emptyElement(tagOf(node) as string);
  const attrs = node[':@'] as Record<string, string> | undefined;
  if (attrs) for (const [k, v] of Object.entries(attrs)) el.attrs[k] = String(v);
  for (const child of node[el.name] as XmlNode[]) {
    if ('#text' in child) el.text += String(child['#text']);
    else if ('#cdata' in child) for (const t of child['#cdata'] as XmlNode[]) el.text += String(t['#text'] ?? '');
    else el.children.push(xmlElement(child));
  }
  return el;
}
