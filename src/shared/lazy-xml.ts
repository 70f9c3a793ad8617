/**
 * fast-xml-parser, required on first use: policies written as XML and the XML body policies and
 * expressions need it, but importing it with them cost every compiler thread and worker start
 * ~60 ms for configs that use none of them. Its CommonJS build, so the first use stays
 * synchronous.
 */
import { createRequire } from 'node:module';
import type { X2jOptions, XMLParser } from 'fast-xml-parser';

type FastXmlParser = typeof import('fast-xml-parser');

let loaded: FastXmlParser | null = null;

export function fastXml(): FastXmlParser {
  loaded ??= createRequire(import.meta.url)('fast-xml-parser') as FastXmlParser;
  return loaded;
}

/** A parser with `options`, made on its first call (the package with it). */
export function lazyXmlParser(options: X2jOptions): () => XMLParser {
  let parser: XMLParser | null = null;
  return () => (parser ??= new (fastXml().XMLParser)(options));
}
