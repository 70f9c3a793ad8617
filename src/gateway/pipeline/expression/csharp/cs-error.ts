/**
 * Errors of policy expressions. CsCompileError is an ExpressionError (the class callers already
 * catch) whose message gives the line and column within the expression; the caller adds where
 * the policy is. CsRuntimeError is what an evaluation throws for a C# exception (null reference,
 * bad cast, parse failure): run-section.ts turns it into FAIL with context.LastError filled.
 */
import { ExpressionError } from '../ast.js';
import { OutpostError } from '../../../../shared/errors.js';

export class CsCompileError extends ExpressionError {
  constructor(source: string, offset: number, problem: string) {
    super(offset + 1, problem);
    const { line, col } = lineCol(source, offset);
    this.message = `at line ${line} col ${col}: ${problem}`;
  }
}

export function lineCol(source: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < source.length; i++) if (source.charCodeAt(i) === 10) { line++; start = i + 1; }
  return { line, col: offset - start + 1 };
}

/** A .NET exception an expression raised at run time; `type` is the .NET name APIM would show. */
export class CsRuntimeError extends OutpostError {
  constructor(readonly type: string, detail: string) {
    super('OUTPOST_ERR_EXPRESSION_FAILED', `Expression evaluation failed. ${detail}`);
    this.name = 'CsRuntimeError';
  }
}

export const nullReference = (what: string): CsRuntimeError => new CsRuntimeError('NullReferenceException', `Object reference not set to an instance of an object (${what}).`);
export const invalidCast = (from: string, to: string): CsRuntimeError => new CsRuntimeError('InvalidCastException', `Unable to cast object of type '${from}' to type '${to}'.`);
export const formatError = (detail: string): CsRuntimeError => new CsRuntimeError('FormatException', detail);
export const argumentError = (detail: string): CsRuntimeError => new CsRuntimeError('ArgumentException', detail);
