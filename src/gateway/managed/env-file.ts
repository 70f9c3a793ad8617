/**
 * Env files as APIM's deployment page hands them out (`env.conf` for `docker run --env-file`):
 * one `KEY=VALUE` per line, `#` comments, blank lines. The value is everything after the first
 * `=` (a GatewayKey token holds `&` and a space), so nothing is split or unescaped beyond that.
 * Matching surrounding quotes are removed because systemd's EnvironmentFile allows them and a
 * token never starts with a quote.
 */
import { readFile } from 'node:fs/promises';
import { OutpostError } from '../../shared/errors.js';

export interface EnvFileProblem { line: number; message: string }

export type EnvFileResult =
  | { ok: true; values: Map<string, string> }
  | { ok: false; problems: EnvFileProblem[] };

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseEnvFile(text: string): EnvFileResult {
  const values = new Map<string, string>();
  const problems: EnvFileProblem[] = [];
  // A BOM (Windows editors) would otherwise become part of the first key.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq < 0) { problems.push({ line: i + 1, message: 'expected KEY=VALUE' }); return; }
    const key = line.slice(0, eq).trim().replace(/^export\s+/, '');
    if (!KEY.test(key)) { problems.push({ line: i + 1, message: `"${key}" is not a valid setting name` }); return; }
    values.set(key, unquote(line.slice(eq + 1).trim()));
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values };
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) return value.slice(1, -1);
  return value;
}

/** Reads and parses `file`; a missing file or a bad line is a settings error naming the line. */
export async function readEnvFile(file: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', `cannot read env file ${file}: ${(err as Error).message}`);
  }
  const parsed = parseEnvFile(text);
  if (!parsed.ok) {
    const where = parsed.problems.map((p) => `line ${p.line}: ${p.message}`).join('; ');
    throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', `${file}: ${where}`, parsed.problems);
  }
  return parsed.values;
}
