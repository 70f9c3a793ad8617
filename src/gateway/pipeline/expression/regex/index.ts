/**
 * matches()'s regex engine: parse (regex-parse.ts) → Thompson program (regex-program.ts) → Pike
 * VM (pike-vm.ts). Linear time in the input for every accepted pattern; see ast.ts for the limits.
 */
import { MAX_PATTERN, MAX_REGEX_STEPS } from '../ast.js';
import { parseRegex, RegexSyntaxError } from './regex-parse.js';
import { compileProgram } from './regex-program.js';
import { PikeVm } from './pike-vm.js';

export { RegexSyntaxError } from './regex-parse.js';
export { MAX_REGEX_STATES } from './regex-program.js';
export { PikeVm } from './pike-vm.js';

/** Compiles `source` (flags '' or 'i'); throws RegexSyntaxError naming what is wrong or unsupported. */
export function compileRegex(source: string, flags: string, budget = MAX_REGEX_STEPS): PikeVm {
  if (source.length > MAX_PATTERN) throw new RegexSyntaxError(MAX_PATTERN, `a pattern is at most ${MAX_PATTERN} characters`);
  return new PikeVm(compileProgram(parseRegex(source, flags === 'i')), budget);
}
export { CaptureVm, compileCaptureRegex, type CaptureHistory, type CaptureResult } from './pike-captures.js';
export type { RegexGroups } from './regex-parse.js';
