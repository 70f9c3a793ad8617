/**
 * XML in expressions (corpus 014, 015): XDocument.Parse with namespaces resolved as .NET does,
 * Descendants/Elements/Element/Attribute/Value/Name, ToString's indented form; the XmlReader loop
 * of corpus 014 with XNode.ReadFrom; DTDs, malformed XML and undeclared prefixes are
 * XmlException; the reader only reads a StringReader.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../support/cs-eval.js';
import { CsRuntimeError } from '../../src/gateway/pipeline/expression/csharp/cs-error.js';
import { MAX_XML_DEPTH } from '../../src/gateway/pipeline/expression/csharp/cs-xml-model.js';

const block = (source: string) => evaluate(source, undefined, 'block');
const q = (xml: string) => JSON.stringify(xml);
function runtimeType(source: string, kind: 'expr' | 'block' = 'expr'): string {
  try { evaluate(source, undefined, kind); } catch (err) { assert.ok(err instanceof CsRuntimeError, String(err)); return err.type; }
  throw new Error(`ran: ${source}`);
}

const SOAP = '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
  + '<SomeCustomElement><SomeCustomNestedElement>ABCDEF123456789</SomeCustomNestedElement></SomeCustomElement></soap:Body></soap:Envelope>';
const DOC = '<r xmlns="urn:x" xmlns:p="urn:p"><a k="1" p:k="2">v1</a>\n  <b><conditionValue>true</conditionValue><value1>M1</value1></b></r>';

describe('XDocument and XElement', () => {
  const cases: Array<[string, unknown]> = [
    [`XDocument.Parse(${q(DOC)}).Descendants().Where(r => r.Name.LocalName == "conditionValue").First().Value`, 'true'],
    [`XDocument.Parse(${q(DOC)}).Root.Name.NamespaceName`, 'urn:x'],
    [`XDocument.Parse(${q(DOC)}).Root.Name.LocalName`, 'r'],
    [`XDocument.Parse(${q(DOC)}).Root.Name.ToString()`, '{urn:x}r'],
    [`XDocument.Parse(${q(DOC)}).Descendants("a").Count()`, 0],
    [`XDocument.Parse(${q(DOC)}).Descendants("{urn:x}a").Count()`, 1],
    [`XDocument.Parse(${q(DOC)}).Descendants().Count()`, 5],
    [`XDocument.Parse(${q(DOC)}).Root.Elements().First().Attribute("k").Value`, '1'],
    [`XDocument.Parse(${q(DOC)}).Root.Elements().First().Attribute("{urn:p}k").Value`, '2'],
    [`XDocument.Parse(${q(DOC)}).Root.Elements().First().Attribute("nope") == null`, true],
    [`XDocument.Parse(${q(DOC)}).Root.Element("{urn:x}b").Value`, 'trueM1'],
    [`XDocument.Parse(${q(DOC)}).Root.Element("b") == null`, true],
    [`XDocument.Parse(${q(DOC)}).Root.Element("{urn:x}b").Parent.Name.LocalName`, 'r'],
    [`XDocument.Parse(${q(DOC)}).Root.HasElements`, true],
    ['XElement.Parse("<a>x<b>y</b>z</a>").Value', 'xyz'],
    ['(string)XElement.Parse("<a>x<b>y</b></a>").Element("b")', 'y'],
    ['XElement.Parse("<a t=\\"1 &amp; 2\\">&lt;&#65;</a>").Attribute("t").Value + XElement.Parse("<a>&lt;&#65;</a>").Value', '1 & 2<A'],
    ['XElement.Parse("<a><![CDATA[<raw>]]></a>").Value', '<raw>'],
    ['XElement.Parse("<a><b>t</b><c/></a>").ToString()', '<a>\r\n  <b>t</b>\r\n  <c />\r\n</a>'],
  ];
  for (const [source, expected] of cases) test(source.slice(0, 120), () => assert.deepEqual(evaluate(source), expected));

  test('corpus 015: values of a SOAP-like reply into a JObject', () => {
    const got = block(`var doc = XDocument.Parse(${q(DOC)});
      var obj = new JObject();
      obj["conditionValue"] = doc.Descendants().Where(r=>r.Name.LocalName == "conditionValue").First().Value;
      obj["value1"] = doc.Descendants().Where(r=>r.Name.LocalName == "value1").First().Value;
      return obj.ToString(Formatting.None);`);
    assert.equal(got, '{"conditionValue":"true","value1":"M1"}');
  });

  test('malformed XML, DTDs, undeclared prefixes and several roots are XmlException', () => {
    assert.equal(runtimeType('XDocument.Parse("<a><b></a>")'), 'XmlException');
    assert.equal(runtimeType('XDocument.Parse("<!DOCTYPE x [<!ENTITY e \\"b\\">]><x>&e;</x>")'), 'XmlException');
    assert.equal(runtimeType('XDocument.Parse("<p:a/>")'), 'XmlException');
    assert.equal(runtimeType('XDocument.Parse("<a/><b/>")'), 'XmlException');
    assert.equal(runtimeType('XDocument.Parse("")'), 'XmlException');
    assert.equal(runtimeType('XDocument.Parse("<a>&foo;</a>")'), 'XmlException');
    assert.equal(evaluate('XElement.Parse("<a>&amp;#65;</a>").Value'), '&#65;');
    assert.equal(runtimeType(`XDocument.Parse(${q('<a>'.repeat(MAX_XML_DEPTH + 1) + '</a>'.repeat(MAX_XML_DEPTH + 1))})`), 'XmlException');
  });
});

describe('XmlReader', () => {
  test('corpus 014: read forward to an element, XNode.ReadFrom it, take its Value', () => {
    const got = block(`var xml = ${q(SOAP)};
      var ret = "";
      using (XmlReader reader = XmlReader.Create(new StringReader(xml)))
      {
          reader.MoveToContent();
          reader.Read();
          while (!reader.EOF && ret == "")
          {
              if (reader.Name == "SomeCustomNestedElement")
              {
                  var el = XNode.ReadFrom(reader) as XElement;
                  ret = el == null ? "" : el.Value;
              } else {
                  reader.Read();
              }
          }
      }
      return ret;`);
    assert.equal(got, 'ABCDEF123456789');
  });

  test('node types, names, depth, and moving past an element', () => {
    assert.equal(block(`var r = XmlReader.Create(new StringReader(${q(SOAP)}));
      var seen = new List<string>();
      while (r.Read()) seen.Add(r.NodeType + ":" + r.Name + ":" + r.Depth);
      return string.Join(",", seen);`), '17:xml:0,1:soap:Envelope:0,1:soap:Body:1,1:SomeCustomElement:2,1:SomeCustomNestedElement:3,3::4,15:SomeCustomNestedElement:3,15:SomeCustomElement:2,15:soap:Body:1,15:soap:Envelope:0');
    assert.equal(block(`var r = XmlReader.Create(new StringReader("<a><b x=\\"1\\">t</b><c/></a>"));
      r.ReadToFollowing("b");
      var x = r.GetAttribute("x");
      var t = r.ReadElementContentAsString();
      return x + t + r.Name + r.IsEmptyElement + (r.NodeType == XmlNodeType.Element);`), '1tcTrueTrue');
    assert.equal(block('var r = XmlReader.Create(new StringReader("<a/>")); r.Read(); r.Read(); return r.EOF;'), true);
  });

  test('ReadFrom off an element is InvalidOperationException; Create takes only a StringReader', () => {
    assert.equal(runtimeType('var r = XmlReader.Create(new StringReader("<a/>")); return XNode.ReadFrom(r);', 'block'), 'InvalidOperationException');
    assert.equal(runtimeType('XmlReader.Create("http://example.com/x.xml")'), 'ArgumentException');
  });
});
