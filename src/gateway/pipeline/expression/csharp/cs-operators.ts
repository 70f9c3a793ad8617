/**
 * C# operator semantics over run-time values: arithmetic with int division and
 * DivideByZeroException, string concatenation (null as ""), DateTime/TimeSpan arithmetic,
 * comparisons lifted over null (false, as for nullable types), logical operators on bools.
 */
import { CsDateTime, CsTimeSpan, typeName } from './cs-values.js';
import { csCompare, csEquals, csString } from './cs-convert.js';
import { CsRuntimeError } from './cs-error.js';
import type { EvalState } from './cs-state.js';

function badOperands(op: string, a: unknown, b: unknown): CsRuntimeError {
  return new CsRuntimeError('RuntimeBinderException', `Operator '${op}' cannot be applied to operands of type '${typeName(a)}' and '${typeName(b)}'.`);
}

function numeric(op: string, a: number, b: number): number {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/.': return a / b;
    case '/':
      if (Number.isInteger(a) && Number.isInteger(b)) {
        if (b === 0) throw new CsRuntimeError('DivideByZeroException', 'Attempted to divide by zero.');
        return Math.trunc(a / b);
      }
      return a / b;
    default:
      if (b === 0 && Number.isInteger(a) && Number.isInteger(b)) throw new CsRuntimeError('DivideByZeroException', 'Attempted to divide by zero.');
      return a % b;
  }
}

export function arithmetic(op: string, a: unknown, b: unknown, st: EvalState): unknown {
  if (op === '+' && (typeof a === 'string' || typeof b === 'string')) return st.str(csString(a) + csString(b));
  if (typeof a === 'number' && typeof b === 'number') return numeric(op, a, b);
  if (op === '/.') op = '/';
  if (a === null || b === null || a === undefined || b === undefined) return null; // lifted: int? + null is null
  if (op === '+' || op === '-') {
    const sign = op === '+' ? 1 : -1;
    if (a instanceof CsDateTime && b instanceof CsTimeSpan) return new CsDateTime(a.ms + sign * b.ms);
    if (a instanceof CsTimeSpan && b instanceof CsTimeSpan) return new CsTimeSpan(a.ms + sign * b.ms);
    if (op === '-' && a instanceof CsDateTime && b instanceof CsDateTime) return new CsTimeSpan(a.ms - b.ms);
  }
  if (op === '+' && (typeof a === 'string' || typeof b === 'string' || typeof a === 'object' || typeof b === 'object')) return st.str(csString(a) + csString(b));
  throw badOperands(op, a, b);
}

export function relational(op: string, a: unknown, b: unknown): boolean {
  if (a === null || b === null || a === undefined || b === undefined) return false;
  const c = csCompare(a, b);
  switch (op) {
    case '<': return c < 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    default: return c >= 0;
  }
}

export function equality(op: string, a: unknown, b: unknown): boolean {
  return op === '==' ? csEquals(a, b) : !csEquals(a, b);
}

export function bool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === null || v === undefined) throw new CsRuntimeError('NullReferenceException', `${what} is null where a bool is needed.`);
  throw new CsRuntimeError('InvalidCastException', `${what}: cannot use a value of type '${typeName(v)}' as a bool.`);
}

export function bitwise(op: string, a: unknown, b: unknown): unknown {
  if (typeof a === 'boolean' && typeof b === 'boolean') return op === '&' ? a && b : op === '|' ? a || b : a !== b;
  if (typeof a === 'number' && typeof b === 'number') return op === '&' ? a & b : op === '|' ? a | b : a ^ b;
  throw badOperands(op, a, b);
}

/**
 * `<<` and `>>`. Numbers do not carry their C# type, so the operand decides: an int32 value
 * shifted by less than 32 shifts as an int (count masked to 5 bits, result wrapped, as C# does);
 * a value beyond int32, or a count of 32 or more (meaningless for an int), shifts as a long
 * (count masked to 6 bits, 64-bit wrap). `1L << 31` is thus 2^31 only when written as a long
 * value; documented in the README.
 */
export function shift(op: string, a: unknown, b: unknown): unknown {
  if (a === null || b === null || a === undefined || b === undefined) return null;
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isInteger(a) || !Number.isInteger(b)) throw badOperands(op, a, b);
  const count = b & 63;
  if (a >= -2_147_483_648 && a <= 2_147_483_647 && count < 32) return op === '<<' ? a << count : a >> count;
  const wide = BigInt.asIntN(64, BigInt(a));
  return Number(BigInt.asIntN(64, op === '<<' ? wide << BigInt(count) : wide >> BigInt(count)));
}
