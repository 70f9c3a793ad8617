/** The condition language (see ast.ts): parse at compile time, bind in the worker. */
export { parseExpression } from './parse.js';
export { bind, bindCondition, truthy } from './bind.js';
export { ExpressionError, MAX_DEPTH, MAX_LENGTH, MAX_MATCH_INPUT, MAX_PATTERN, MAX_REGEX_STEPS, type Expr, type Value } from './ast.js';
export { compileRegex, MAX_REGEX_STATES, RegexSyntaxError } from './regex/index.js';
export { bindConditionProgram, bindStringTemplate, bindTemplate, compileConditionProgram, compileTemplate, hasExpression, type Template } from './template.js';
export type { Program } from './csharp/cs-ast.js';
