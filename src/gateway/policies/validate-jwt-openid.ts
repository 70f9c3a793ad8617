/**
 * Keys from an OpenID provider (`<openid-config url="…/.well-known/openid-configuration" />`):
 * the configuration document names `jwks_uri`, which holds the keys. Fetched in the worker (the
 * compiler cannot wait on the network), asynchronously, and cached:
 *
 * - one source per URL per worker, shared by every policy and generation that names it, so a
 *   config reload does not refetch; at most MAX_SOURCES of them (the oldest is dropped);
 * - refreshed in the background when older than the refresh interval (requests keep using the
 *   current keys meanwhile), and at once when a token names a `kid` we do not have (the provider
 *   rotated), but at most once per UNKNOWN_KID_COOLDOWN_MS: a stream of tokens with random kids
 *   cannot turn the gateway into a load generator against the provider;
 * - bounded: each response at most MAX_BODY_BYTES, read within FETCH_TIMEOUT_MS, at most MAX_KEYS
 *   keys kept;
 * - a failed fetch keeps the last good keys (`lastError` says why).
 */
import { Buffer } from 'node:buffer';
import { undiciRequest as request } from '../../shared/lazy-undici.js';
import { importKeys, keysFromJwkJson, type JwtKey } from './validate-jwt-keys.js';

export const UNKNOWN_KID_COOLDOWN_MS = 30_000;
/** Before the first success, retry sooner: requests cannot be served without any keys. */
const FIRST_LOAD_RETRY_MS = 2_000;
const FETCH_TIMEOUT_MS = 5_000;
const MAX_BODY_BYTES = 512 * 1024;
const MAX_SOURCES = 32;

export class OpenIdKeySource {
  keys: JwtKey[] | null = null;
  /** The configuration document's `issuer` (validate-azure-ad-token derives the tenant's issuers from it), or null. */
  issuer: string | null = null;
  /** Successful and failed fetches of the key set, for tests and diagnostics. */
  fetches = 0;
  lastError: string | null = null;
  private loadedAt = 0;
  private lastAttempt = -Infinity;
  /** Last refetch caused by an unknown kid (the first load and timed refreshes do not count). */
  private lastKidRefresh = -Infinity;
  private inflight: Promise<void> | null = null;

  constructor(readonly url: string, private readonly refreshMs: number, private readonly now: () => number) {}

  /** Current keys; starts a background refresh when they are stale. Null before the first load. */
  current(): JwtKey[] | null {
    // A failed timed refresh is retried after the cooldown, not on every request.
    if (this.keys !== null && this.now() - this.loadedAt > this.refreshMs && this.inflight === null
      && this.now() - this.lastAttempt > UNKNOWN_KID_COOLDOWN_MS) void this.refresh();
    return this.keys;
  }

  /** Keys, waiting for the first load if there are none yet (null if that fails). */
  async ready(): Promise<JwtKey[] | null> {
    if (this.keys !== null) return this.current();
    if (this.inflight !== null) await this.inflight;
    else if (this.now() - this.lastAttempt >= FIRST_LOAD_RETRY_MS) await this.refresh();
    return this.keys;
  }

  /** A token named a kid we lack: refetch, unless we did so within the cooldown. */
  async refreshForUnknownKid(): Promise<JwtKey[] | null> {
    if (this.inflight !== null) await this.inflight;
    else if (this.now() - this.lastKidRefresh >= UNKNOWN_KID_COOLDOWN_MS) {
      this.lastKidRefresh = this.now();
      await this.refresh();
    }
    return this.keys;
  }

  private refresh(): Promise<void> {
    this.lastAttempt = this.now();
    this.inflight = this.load().then(
      (keys) => { this.keys = keys; this.loadedAt = this.now(); this.lastError = null; },
      (err: unknown) => { this.lastError = err instanceof Error ? err.message : String(err); },
    ).finally(() => { this.fetches++; this.inflight = null; });
    return this.inflight;
  }

  private async load(): Promise<JwtKey[]> {
    const config = await fetchJson(this.url);
    const jwksUri = (config as { jwks_uri?: unknown }).jwks_uri;
    if (typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri)) throw new Error(`${this.url}: no http(s) jwks_uri in the OpenID configuration`);
    const keys = importKeys(keysFromJwkJson(await fetchJson(jwksUri), false));
    if (keys.length === 0) throw new Error(`${jwksUri}: no usable RS256/ES256/HS256 signing keys`);
    const issuer = (config as { issuer?: unknown }).issuer;
    this.issuer = typeof issuer === 'string' && issuer.length <= 2048 ? issuer : null;
    return keys;
  }
}

async function fetchJson(url: string): Promise<unknown> {
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  const res = await request(url, { signal, headersTimeout: FETCH_TIMEOUT_MS, bodyTimeout: FETCH_TIMEOUT_MS, headers: { accept: 'application/json' } });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`${url}: HTTP ${res.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) { res.body.destroy(); throw new Error(`${url}: response larger than ${MAX_BODY_BYTES} bytes`); }
    chunks.push(chunk);
  }
  try { return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown; } catch { throw new Error(`${url}: response is not JSON`); }
}

const sources = new Map<string, OpenIdKeySource>();

/** The worker's source for this URL and interval (created, and its first fetch started, once). */
export function openIdSource(url: string, refreshMs: number, now: () => number): OpenIdKeySource {
  const id = `${refreshMs} ${url}`;
  let source = sources.get(id);
  if (source === undefined) {
    if (sources.size >= MAX_SOURCES) sources.delete(sources.keys().next().value!);
    source = new OpenIdKeySource(url, refreshMs, now);
    sources.set(id, source);
    void source.ready();
  }
  return source;
}
