/**
 * fast-xml-parser, required on first use: policies written as XML and the XML body policies and
 * expressions need it, but importing it with them cost every compiler thread and worker start
 * ~60 ms for configs that use none of them. Its CommonJS build, so the first use stays
 * synchronous.
 */
import { createRequire } from 'node:module';

type FastXmlParser = typeof import('fast-xml-parser');

let loaded: FastXmlParser | null = null;

export function fastXml(): FastXmlParser {
  loaded ??= createRequire(import.meta.url)('fast-xml-parser') as FastXmlParser;
  return loaded;
}
