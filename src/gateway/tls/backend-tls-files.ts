/**
 * Backend TLS for a config, read when the config is loaded (in the compiler thread): per API, its
 * `apis[].backendTls` when it has one (all of it: an API can drop the global client certificate),
 * else `gateway.upstream.tls`, as distinct profiles the compiled table
 * carries to the workers (compiled-meta.ts). Every file is read once per load however many APIs
 * name it. `insecureSkipVerify` is logged at WARN on every load, naming the API.
 */
import { createHash } from 'node:crypto';
import type { ConfigProblem, GatewayConfig } from '../../shared/config-schema.js';
import type { BackendTlsAssignment, BackendTlsProfile } from '../../shared/compiled-meta.js';
import type { UpstreamTlsSettings } from '../../shared/tls-config.js';
import { log } from '../../shared/log.js';
import { readCertificates, readKeyPair, TlsFileProblem, type KeyPair } from './pem-files.js';

type Fields = UpstreamTlsSettings & { insecureSkipVerify?: boolean };

/** `warn`: log insecureSkipVerify (the gateway does on every load; `outpost validate` does not log). */
export async function loadBackendTls(config: GatewayConfig, warn = true): Promise<{ ok: true; assignment: BackendTlsAssignment } | { ok: false; problems: ConfigProblem[] }> {
  const global = config.gateway.upstream.tls;
  const cas = new Map<string, Promise<string>>();
  const pairs = new Map<string, Promise<KeyPair>>();
  const problems: ConfigProblem[] = [];
  const caOf = (path: string, file: string) => cached(cas, file, () => readCertificates(path, file).then((c) => c.pem));
  const pairOf = (base: string, certFile: string, keyFile: string) => cached(pairs, `${certFile}\u0000${keyFile}`, () => readKeyPair(base, certFile, keyFile));

  const build = async (fields: Fields | undefined, base: string): Promise<BackendTlsProfile | null> => {
    if (fields === undefined) return null;
    const { caFile, certFile, keyFile } = fields;
    const insecureSkipVerify = fields.insecureSkipVerify ?? false;
    if (caFile === undefined && certFile === undefined && !insecureSkipVerify) return null;
    const ca = caFile === undefined ? null : await caOf(`${base}.caFile`, caFile);
    const pair = certFile === undefined || keyFile === undefined ? null : await pairOf(base, certFile, keyFile);
    const body = { ca, cert: pair?.certPem ?? null, key: pair?.keyPem ?? null, insecureSkipVerify };
    return { id: createHash('sha256').update(JSON.stringify(body)).digest('hex'), ...body };
  };

  const profiles: BackendTlsProfile[] = [];
  const byId = new Map<string, number>();
  const indexOf = (p: BackendTlsProfile | null): number => {
    if (p === null) return -1;
    let at = byId.get(p.id);
    if (at === undefined) { at = profiles.push(p) - 1; byId.set(p.id, at); }
    return at;
  };
  let globalIndex = -1;
  try {
    globalIndex = indexOf(await build(global, 'gateway.upstream.tls'));
  } catch (err) {
    problems.push(asProblem(err));
  }
  const perApi: number[] = new Array(config.apis.length).fill(globalIndex);
  for (let i = 0; i < config.apis.length; i++) {
    const api = config.apis[i];
    if (api.backendTls === undefined) continue;
    if (api.backendTls.insecureSkipVerify && warn) {
      log('warn', 'backend TLS verification is off for this API (insecureSkipVerify): its https backends are not authenticated', { api: api.id, field: `apis[${i}].backendTls.insecureSkipVerify` });
    }
    try {
      perApi[i] = indexOf(await build(api.backendTls, `apis[${i}].backendTls`));
    } catch (err) {
      problems.push(asProblem(err));
    }
  }
  return problems.length > 0 ? { ok: false, problems: dedupe(problems) } : { ok: true, assignment: { profiles, perApi } };
}

function cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = map.get(key);
  if (p === undefined) { p = load(); map.set(key, p); }
  return p;
}

function asProblem(err: unknown): ConfigProblem {
  if (err instanceof TlsFileProblem) return err.toProblem();
  return { path: '', code: 'OUTPOST_ERR_TLS_FILE_INVALID', message: String(err) };
}

/** A shared file that fails is reported once, at the first field that named it. */
function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.message) && seen.add(p.message) !== undefined);
}
