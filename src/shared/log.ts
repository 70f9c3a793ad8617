/**
 * Logs are one JSON object per line on stdout, always: an exception's stack goes into a field,
 * never onto lines of its own. Worker threads write through the same function (process.stdout in
 * a worker is piped through the primary, line by line, so lines never interleave mid-line).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold = LEVELS[(process.env.OUTPOST_LOG_LEVEL as LogLevel) ?? 'info'] ?? LEVELS.info;
let baseFields: Record<string, unknown> = {};

export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level];
}

/** Fields added to every line from this thread (e.g. `{ worker: 2 }`). */
export function setLogContext(fields: Record<string, unknown>): void {
  baseFields = { ...baseFields, ...fields };
}

export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { error: err.message, errorCode: code, stack: err.stack };
  }
  return { error: String(err) };
}

export function log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < threshold) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...baseFields, ...fields });
  process.stdout.write(line + '\n');
}
