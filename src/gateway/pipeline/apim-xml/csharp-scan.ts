/**
 * Finds where a C# policy expression ends, by the lexical rules of C# that decide it: the
 * expression `@(…)` ends at the parenthesis that balances its first one, `@{…}` at the balancing
 * brace, and neither counts a bracket inside a string literal ("…" with backslash escapes),
 * a verbatim string (@"…" with "" for a quote), an interpolated string ($"…{hole}…", $@"…",
 * @$"…", where `{{` and `}}` are literal braces and a hole is code again), a char literal ('…')
 * or a comment (// to the line's end, /* … *\/).
 *
 * The scan reads XML entities as the characters they stand for (`&quot;` is a quote): a file in
 * APIM's escaped export form and a file written by hand end their expressions at the same place.
 * It is iterative (an explicit stack, bounded) so a hostile document cannot exhaust the call stack.
 */

export class UnterminatedExpression extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
    this.name = 'UnterminatedExpression';
  }
}

/** Interpolated strings nested in holes nested in strings…: far beyond any real policy. */
export const MAX_NESTING = 64;

type Frame =
  | { kind: 'code'; open: string; close: string; depth: number }
  | { kind: 'interpolated'; verbatim: boolean; at: number };

const ENTITIES: Readonly<Record<string, string>> = { quot: '"', apos: '\'', lt: '<', gt: '>', amp: '&' };
const ENTITY = /^&(?:(quot|apos|lt|gt|amp)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/;

/**
 * The character at `i` as XML would decode it; `readLength` is then how many input characters it
 * took. A module variable rather than a returned pair: this runs once per character of every
 * expression, and the config compiler should not allocate per character.
 */
let readLength = 1;

function readAt(input: string, i: number): string {
  const c = input[i];
  readLength = 1;
  if (c !== '&') return c ?? '';
  const m = ENTITY.exec(input.slice(i, i + 12));
  if (!m) return c;
  readLength = m[0].length;
  return m[1] ? ENTITIES[m[1]] : String.fromCodePoint(Math.min(Number.parseInt(m[2] ?? m[3], m[2] ? 10 : 16), 0x10ffff));
}

/** The character after the one at `j`, decoded. */
function readNext(input: string, j: number): string {
  readAt(input, j);
  return readAt(input, j + readLength);
}

/**
 * `openAt` is the index of the `(` or `{` after `@`; returns the index just after the balancing
 * closer. Throws UnterminatedExpression when the input ends first.
 */
export function scanExpression(input: string, openAt: number): number {
  const open = input[openAt];
  const stack: Frame[] = [{ kind: 'code', open, close: open === '(' ? ')' : '}', depth: 1 }];
  let i = openAt + 1;
  const push = (frame: Frame): void => {
    if (stack.length >= MAX_NESTING) throw new UnterminatedExpression(i, `strings and braces nest more than ${MAX_NESTING} deep`);
    stack.push(frame);
  };
  while (i < input.length) {
    const ch = readAt(input, i);
    const len = readLength;
    const top = stack[stack.length - 1];
    if (top.kind === 'interpolated') {
      if (ch === '"') {
        if (top.verbatim && readNext(input, i) === '"') { i = skip(input, i, 2); continue; }
        stack.pop();
      } else if (ch === '\\' && !top.verbatim) {
        i = skip(input, i, 2);
        continue;
      } else if ((ch === '{' || ch === '}') && readNext(input, i) === ch) {
        i = skip(input, i, 2);
        continue;
      } else if (ch === '{') {
        push({ kind: 'code', open: '{', close: '}', depth: 1 });
      }
      i += len;
      continue;
    }
    const after = readNext(input, i);
    if (ch === '/' && after === '/') {
      const eol = input.indexOf('\n', i);
      i = eol < 0 ? input.length : eol;
    } else if (ch === '/' && after === '*') {
      const end = input.indexOf('*/', i + 2);
      if (end < 0) throw new UnterminatedExpression(i, 'a /* comment is never closed');
      i = end + 2;
    } else if (ch === '"' || (ch === '@' && after === '"')) {
      i = skipString(input, ch === '@' ? skip(input, i, 2) : i + len, ch === '@', i);
    } else if (ch === '$' || (ch === '@' && after === '$')) {
      const prefix = interpolationPrefix(input, i);
      if (prefix === null) { i += len; continue; }
      push({ kind: 'interpolated', verbatim: prefix.verbatim, at: i });
      i = prefix.end;
    } else if (ch === '\'') {
      i = skipChar(input, i + len, i);
    } else {
      if (ch === top.open) top.depth++;
      else if (ch === top.close && --top.depth === 0) {
        stack.pop();
        if (stack.length === 0) return i + len;
      }
      i += len;
    }
  }
  const open_ = stack[stack.length - 1];
  throw new UnterminatedExpression(open_.kind === 'interpolated' ? open_.at : openAt - 1, 'the input ends inside it'); // openAt - 1: its @
}

/** `$"`, `$@"` or `@$"` at `i`: where the string's content starts. */
function interpolationPrefix(input: string, i: number): { verbatim: boolean; end: number } | null {
  let j = i;
  let verbatim = false;
  for (let k = 0; k < 2; k++) {
    const ch = readAt(input, j);
    if (ch === '$' || ch === '@') { verbatim ||= ch === '@'; j += readLength; continue; }
    break;
  }
  if (readAt(input, j) !== '"' || j === i) return null;
  return { verbatim, end: j + readLength };
}

/** Skips a string's content from `i` (just after its opening quote); returns the index after its closing quote. */
function skipString(input: string, i: number, verbatim: boolean, start: number): number {
  while (i < input.length) {
    const ch = readAt(input, i);
    const len = readLength;
    if (ch === '"') {
      if (verbatim && readAt(input, i + len) === '"') { i = skip(input, i, 2); continue; }
      return i + len;
    }
    if (ch === '\\' && !verbatim) { i = skip(input, i, 2); continue; }
    if (ch === '\n' && !verbatim) break;
    i += len;
  }
  throw new UnterminatedExpression(start, 'a string literal is never closed');
}

/**
 * A char literal holds one character, but the scan reads to the closing quote on the same line:
 * `'name'` (a common slip from JavaScript) then fails in the expression compiler with its own
 * message rather than here as an expression that never ends.
 */
function skipChar(input: string, i: number, start: number): number {
  while (i < input.length) {
    const ch = readAt(input, i);
    const len = readLength;
    if (ch === '\\') { i = skip(input, i, 2); continue; }
    if (ch === '\'') return i + len;
    if (ch === '\n') break;
    i += len;
  }
  throw new UnterminatedExpression(start, 'a char literal is never closed');
}

/** The index after `count` decoded characters from `i`. */
function skip(input: string, i: number, count: number): number {
  for (let k = 0; k < count && i < input.length; k++) { readAt(input, i); i += readLength; }
  return i;
}
