/**
 * `outpost validate FILE`: the checks the gateway runs at startup (read, YAML syntax, schema, then
 * every policy of every scope, the TLS files it names and the environment variables its
 * authorizations read), with one line per problem on stdout:
 *
 *   FILE: <field path>: <problem> [OUTPOST_ERR_…]
 *   FILE: line L, column C: <problem> [OUTPOST_ERR_CONFIG_UNREADABLE]     (YAML syntax)
 *
 * Exit 0 when the file is valid, 1 when it has problems (README and `outpost help`: exit codes).
 */
import { loadConfigFile } from '../gateway/config/load-config.js';
import { compilePolicies } from '../gateway/pipeline/compile-policies.js';
import { readConfigFiles } from '../gateway/primary/config-files.js';
import { compileCertificates } from '../gateway/backends/client-certificates.js';
import { compileAuthorizations } from '../gateway/authorizations/compile-authorizations.js';
import type { ConfigProblem } from '../shared/config-schema.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { withRedisUrlOverride } from '../gateway/redis/redis-settings.js';
import { parseFlags, usageError } from './usage.js';

export async function validateCommand(args: string[]): Promise<ExitCode> {
  const { positionals } = parseFlags('validate', args, {}, true);
  if (positionals.length !== 1) throw usageError(`validate takes one config file, got ${positionals.length}`);
  const file = positionals[0];
  const result = await loadConfigFile(file);
  // Shape first; then what only compiling finds (client certificate and TLS files, policies), as
  // the gateway would at startup. OUTPOST_REDIS_URL counts as gateway.redis, as at startup
  // (scope="fleet" needs one or the other).
  const problems = result.ok ? [] : result.problems;
  if (result.ok) {
    const certificates = compileCertificates(result.config, problems);
    compileAuthorizations(result.config, problems);
    problems.push(...compilePolicies(withRedisUrlOverride(result.config, process.env.OUTPOST_REDIS_URL), certificates).problems);
    const files = await readConfigFiles(result.config, false);
    if (!files.ok) problems.push(...files.problems);
  }
  if (result.ok && problems.length === 0) {
    process.stdout.write(`${file}: valid (${result.config.apis.length} APIs)\n`);
    return EXIT.ok;
  }
  for (const p of problems) process.stdout.write(`${formatProblem(file, p)}\n`);
  return EXIT.config;
}

export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.line !== undefined ? `line ${p.line}, column ${p.column ?? 1}` : p.path || '(document)';
  return `${file}: ${where}: ${p.message} [${p.code ?? 'OUTPOST_ERR_CONFIG_INVALID'}]`;
}
