/**
 * Where a character of the escaped XML stood in the author's file. The pre-pass replaces single
 * characters by entities (never across a line break), so positions only shift within a line;
 * errors found in the escaped text are reported at the author's line and column.
 */
export class SourcePositions {
  /** Per replacement, in order: its input offset, its output offset, and its output length. */
  private readonly inputAt: number[] = [];
  private readonly outputAt: number[] = [];
  private readonly outputLength: number[] = [];

  replaced(inputOffset: number, outputOffset: number, outputLength: number): void {
    this.inputAt.push(inputOffset);
    this.outputAt.push(outputOffset);
    this.outputLength.push(outputLength);
  }

  /** The input offset of output offset `out` (inside a replacement: the replaced character). */
  inputOffset(out: number): number {
    // The last replacement that starts at or before `out` (binary search: replacements are ordered).
    let lo = 0;
    let hi = this.outputAt.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.outputAt[mid] <= out) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0) return out;
    const end = this.outputAt[found] + this.outputLength[found];
    if (out < end) return this.inputAt[found];
    return this.inputAt[found] + 1 + (out - end);
  }

  /** Output line and column (1-based, as XML parsers report them) → the author's line and column. */
  inputLineColumn(output: string, input: string, line: number, column: number): { line: number; column: number } {
    let lineStart = 0;
    for (let l = 1; l < line; l++) {
      const eol = output.indexOf('\n', lineStart);
      if (eol < 0) break;
      lineStart = eol + 1;
    }
    return lineColumnOf(input, this.inputOffset(lineStart + Math.max(column, 1) - 1));
  }
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) { line++; lineStart = i + 1; }
  return { line, column: offset - lineStart + 1 };
}
