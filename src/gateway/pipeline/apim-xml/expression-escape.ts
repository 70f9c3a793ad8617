/**
 * APIM's policy file format is XML except inside C# policy expressions: there, authors write raw
 * `"`, `<` and `&&` (`condition="@(context.Request.Headers.GetValueOrDefault("x","") != "")"`),
 * which no XML parser accepts. APIM reads such files; so does this pre-pass. It finds each
 * expression where APIM looks for one (an attribute value or an element's text that begins with
 * `@(` or `@{`), finds its end by C# rules (balanced parentheses or braces, skipping string, verbatim,
 * interpolated and char literals and comments), and entity-encodes inside it the characters XML
 * would misread: `<`, a bare `&`, and the quote that delimits the attribute. After XML parsing the
 * value is exactly the text the author wrote.
 *
 * Entities the author already wrote (`&quot;`, `&lt;`, `&amp;`, `&#34;`: the escaped form APIM's
 * management API exports) are kept and decoded as usual; the C# scanner reads them as the
 * character they stand for, so `&quot;)&quot;` is a string literal, not a closing parenthesis.
 *
 * Everything else passes through unchanged (comments, CDATA, processing instructions, markup), and
 * `positions` maps a position in the output back to the author's file, so XML errors point there.
 */
import { SourcePositions } from './source-positions.js';
import { scanExpression, UnterminatedExpression } from './csharp-scan.js';

export interface EscapedXml {
  xml: string;
  positions: SourcePositions;
}

/** Thrown for an expression that never ends; `offset` is where its `@` stands in the input. */
export class ExpressionSyntaxError extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
    this.name = 'ExpressionSyntaxError';
  }
}

/** The markup that is copied as it stands, by how it opens and how it closes. */
const OPAQUE: ReadonlyArray<readonly [string, string]> = [['<!--', '-->'], ['<![CDATA[', ']]>'], ['<?', '?>'], ['<!', '>'], ['</', '>']];

export function escapeExpressions(input: string): EscapedXml {
  const positions = new SourcePositions();
  const out: string[] = [];
  let outLength = 0;
  let copiedTo = 0;
  /** Replaces input[from, to), an expression, by its escaped text, recording the offset shifts. */
  const emitExpression = (from: number, to: number, quote: string | null): void => {
    const before = input.slice(copiedTo, from);
    const expression = encodeExpression(input, from, to, quote, positions, outLength + before.length);
    out.push(before, expression);
    outLength += before.length + expression.length;
    copiedTo = to;
  };
  let i = 0;
  let textStart = true; // only whitespace since the last markup: an expression may begin here
  while (i < input.length) {
    const c = input[i];
    if (c === '<') {
      const opaque = OPAQUE.find(([open]) => input.startsWith(open, i));
      if (opaque) {
        const end = input.indexOf(opaque[1], i + opaque[0].length);
        i = end < 0 ? input.length : end + opaque[1].length;
      } else {
        i = startTag(input, i + 1, emitExpression);
      }
      textStart = true;
      continue;
    }
    if (textStart && isExpressionStart(input, i)) {
      const end = expressionEnd(input, i);
      emitExpression(i, end, null);
      i = end;
      textStart = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    // Text that did not begin with an expression holds none: skip to the next markup.
    textStart = false;
    const next = input.indexOf('<', i);
    i = next < 0 ? input.length : next;
  }
  out.push(input.slice(copiedTo));
  return { xml: out.join(''), positions };
}

/** Reads a start tag from just after its `<` to just after its `>` (or the input's end). */
function startTag(input: string, i: number, emit: (from: number, to: number, quote: string) => void): number {
  while (i < input.length && input[i] !== '>') {
    const c = input[i];
    if (c !== '"' && c !== '\'') { i++; continue; }
    i++;
    if (isExpressionStart(input, i)) {
      const end = expressionEnd(input, i);
      emit(i, end, c);
      i = end;
    }
    const close = input.indexOf(c, i);
    i = close < 0 ? input.length : close + 1;
  }
  return Math.min(i + 1, input.length);
}

function isExpressionStart(input: string, i: number): boolean {
  return input[i] === '@' && (input[i + 1] === '(' || input[i + 1] === '{');
}

function expressionEnd(input: string, at: number): number {
  try {
    return scanExpression(input, at + 1);
  } catch (err) {
    if (!(err instanceof UnterminatedExpression)) throw err;
    const closer = input[at + 1] === '(' ? ')' : '}';
    throw new ExpressionSyntaxError(err.offset, `a policy expression ${input.slice(at, at + 2)}… never ends (no balancing "${closer}"): ${err.message}`);
  }
}

function encodeExpression(input: string, from: number, to: number, quote: string | null, positions: SourcePositions, outAt: number): string {
  let text = '';
  let copied = from;
  for (let i = from; i < to; i++) {
    const c = input[i];
    if (c !== '<' && c !== '&' && c !== quote) continue;
    const encoded = c === '<' ? '&lt;'
      : c === '&' ? (startsEntity(input, i) ? null : '&amp;')
        : c === '"' ? '&quot;' : '&apos;';
    if (encoded === null) continue;
    text += input.slice(copied, i);
    positions.replaced(i, outAt + text.length, encoded.length);
    text += encoded;
    copied = i + 1;
  }
  return text + input.slice(copied, to);
}

/** An entity XML decodes: the five named ones and character references. */
export function startsEntity(input: string, i: number): boolean {
  return /^&(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/.test(input.slice(i, i + 12));
}
