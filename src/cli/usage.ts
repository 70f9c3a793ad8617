/**
 * Command-line parsing shared by the `outpost` commands: flags through node:util parseArgs, with
 * every mistake turned into one coded usage error (OUTPOST_ERR_USAGE, exit 2) whose message names
 * the flag or environment variable, never a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { OutpostError } from '../shared/errors.js';
import { isParseArgsError } from './exit-codes.js';

export function usageError(message: string): OutpostError {
  return new OutpostError('OUTPOST_ERR_USAGE', message);
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode, its errors rewritten as usage errors naming the command. */
export function parseFlags<O extends Options>(command: string, args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    if (isParseArgsError(err)) throw usageError(`${command}: ${describeParseError(err.code, err.message)}`);
    throw err;
  }
}

/** Node's messages are long and suggest `--` tricks; say what is wrong in a few words. */
function describeParseError(code: string, message: string): string {
  const quoted = /'([^']+)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': return `unknown option "${quoted?.split(' ')[0] ?? message}"`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': return `unexpected argument "${quoted ?? message}"`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': return quoted ? `${quoted.split(' ')[0]} needs a value` : message.split('\n')[0];
    default: return message.split('\n')[0];
  }
}

/**
 * A whole number in [min, max] from a flag or an environment variable; `source` names it in the
 * error (`--port`, `OUTPOST_PORT`). Digits only: "8080abc", "-1", "1e3" and " 80" are refused.
 */
export function boundedInt(source: string, raw: string, min: number, max: number): number {
  const value = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw usageError(`${source} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

export const PORT_RANGE = { min: 0, max: 65535 } as const;

/** The version in package.json (two levels above dist/src/cli/), the file npm and the image ship. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
