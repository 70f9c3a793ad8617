/**
 * The files a config names besides itself, read in the compiler thread with the config, before it
 * is compiled (compile-task.ts; `outpost validate` runs the same checks): backend CA bundles and
 * client certificates (into the compiled table), and the HTTPS listener's certificates (back to
 * the primary, which sends them to the request workers in a message). A file that is missing or bad is a problem of the
 * config, with the field and the file: startup refuses it, a reload keeps what runs.
 */
import type { ConfigProblem, GatewayConfig } from '../../shared/config-schema.js';
import type { BackendTlsAssignment } from '../../shared/compiled-meta.js';
import { loadBackendTls } from '../tls/backend-tls-files.js';
import { loadHttpsMaterial, type LoadedHttps } from '../tls/https-material.js';
import { TlsFileProblem } from '../tls/pem-files.js';

export interface ConfigFiles {
  backendTls: BackendTlsAssignment;
  /** Null when the config has no gateway.tls. */
  https: LoadedHttps | null;
}

export async function readConfigFiles(config: GatewayConfig, warn = true): Promise<{ ok: true; files: ConfigFiles } | { ok: false; problems: ConfigProblem[] }> {
  const backend = await loadBackendTls(config, warn);
  const problems = backend.ok ? [] : backend.problems;
  let https: LoadedHttps | null = null;
  if (config.gateway.tls !== undefined) {
    try {
      https = await loadHttpsMaterial(config.gateway.tls);
    } catch (err) {
      if (!(err instanceof TlsFileProblem)) throw err;
      problems.push(err.toProblem());
    }
  }
  if (!backend.ok || problems.length > 0) return { ok: false, problems };
  return { ok: true, files: { backendTls: backend.assignment, https } };
}
