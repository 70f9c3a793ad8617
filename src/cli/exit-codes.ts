/**
 * The `outpost` command's exit codes, in one place (README and `outpost help` list the same):
 * scripts, systemd (RestartPreventExitStatus) and orchestrators can tell "fix the config" from
 * "fix the command line" from "something failed at run time" without reading logs.
 */
import { ERRORS, OutpostError, type ErrorCode } from '../shared/errors.js';

export const EXIT = {
  /** Success (or a clean drain after SIGTERM/SIGINT). */
  ok: 0,
  /** The config (file, env file, admin token) is invalid or cannot be read. */
  config: 1,
  /** Unknown command or flag, or a bad flag or OUTPOST_* variable value. */
  usage: 2,
  /** Anything else: a port in use, workers that cannot start, a crash. */
  runtime: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Codes whose exit code is not what their source implies. */
const BY_CODE: Partial<Record<ErrorCode, ExitCode>> = {
  OUTPOST_ERR_USAGE: EXIT.usage,
  // A token the control plane refuses is found at run time, not by reading the config.
  OUTPOST_ERR_GATEWAY_TOKEN_REJECTED: EXIT.runtime,
  OUTPOST_ERR_GATEWAY_TOKEN_EXPIRING: EXIT.runtime,
};

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof OutpostError) return BY_CODE[err.code] ?? (ERRORS[err.code].source === 'config' ? EXIT.config : EXIT.runtime);
  return isParseArgsError(err) ? EXIT.usage : EXIT.runtime;
}

/** node:util parseArgs throws TypeErrors coded ERR_PARSE_ARGS_* for unknown flags and missing values. */
export function isParseArgsError(err: unknown): err is TypeError & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
