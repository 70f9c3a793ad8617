/**
 * Splits a condition into tokens, each with its 1-based position for error messages. Identifiers
 * may contain `-` (there is no subtraction), so `request.headers.x-api-version` is one path.
 */
import { ExpressionError, MAX_LENGTH } from './ast.js';

export type TokenKind = 'string' | 'number' | 'ident' | 'op' | 'end';

export interface Token {
  kind: TokenKind;
  /** Identifier or operator text, a string's decoded value, or a number's source. */
  text: string;
  pos: number;
}

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.', ','];
const NUMBER = /-?\d+(\.\d+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t' };

export function tokenize(source: string): Token[] {
  if (source.length > MAX_LENGTH) throw new ExpressionError(MAX_LENGTH + 1, `a condition is at most ${MAX_LENGTH} characters, this one has ${source.length}`);
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const pos = i + 1;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === "'" || c === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= source.length) throw new ExpressionError(pos, 'unterminated string');
        const d = source[i++];
        if (d === c) break;
        if (d === '\\') {
          const e = ESCAPES[source[i]];
          if (e === undefined) throw new ExpressionError(i + 1, `unknown escape "\\${source[i] ?? ''}" (known: \\\\ \\' \\" \\n \\t)`);
          text += e;
          i++;
        } else {
          text += d;
        }
      }
      tokens.push({ kind: 'string', text, pos });
      continue;
    }
    NUMBER.lastIndex = i;
    const numMatch = NUMBER.exec(source);
    if (numMatch) {
      tokens.push({ kind: 'number', text: numMatch[0], pos });
      i += numMatch[0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const idMatch = IDENT.exec(source);
    if (idMatch) {
      tokens.push({ kind: 'ident', text: idMatch[0], pos });
      i += idMatch[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op === undefined) {
      const hint = c === '=' ? ' (equality is ==)' : c === '&' || c === '|' ? ` (did you mean ${c}${c}?)` : c === '@' ? ' (C# policy expressions are not supported)' : '';
      throw new ExpressionError(pos, `unexpected character "${c}"${hint}`);
    }
    tokens.push({ kind: 'op', text: op, pos });
    i += op.length;
  }
  tokens.push({ kind: 'end', text: '', pos: source.length + 1 });
  return tokens;
}
