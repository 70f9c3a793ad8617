/**
 * The gateway's only connection to the control plane: outbound HTTP(S) through undici.
 * https verifies the server certificate (Node's CA store, or OUTPOST_CA_FILE for a private CA).
 * Every failure becomes an OutpostError with a code, and network failures keep their cause
 * (ENOTFOUND, EAI_AGAIN, ECONNREFUSED, a timeout, a certificate error) for the log line.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { OutpostError } from '../../shared/errors.js';
import type { ManagedSettings } from './managed-settings.js';

export type ConfigFetch =
  | { status: 200; etag: string | null; revision: number; config: unknown }
  | { status: 304 };

export class ControlPlaneClient {
  private agent: Agent | null = null;
  private agentCa: string | null = null;

  constructor(private settings: ManagedSettings) {}

  /** SIGHUP: a new token (or endpoint, or CA) applies from the next request. */
  update(settings: ManagedSettings): void {
    this.settings = settings;
  }

  async fetchConfig(opts: { etag: string | null; waitSeconds: number; timeoutMs: number; signal?: AbortSignal }): Promise<ConfigFetch> {
    const query = opts.waitSeconds > 0 ? `?wait=${opts.waitSeconds}` : '';
    const headers: Record<string, string> = { authorization: this.settings.token.header, accept: 'application/json' };
    if (opts.etag) headers['if-none-match'] = opts.etag;
    const res = await this.send('GET', `/gateway/config${query}`, headers, undefined, opts.timeoutMs, opts.signal);
    if (res.statusCode === 304) { await res.body.dump(); return { status: 304 }; }
    const text = await res.body.text();
    if (res.statusCode !== 200) throw statusError(res.statusCode, res.headers, text);
    let parsed: { revision?: unknown; config?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new OutpostError('OUTPOST_ERR_CONTROL_PLANE_RESPONSE', 'the config response is not JSON');
    }
    if (typeof parsed.revision !== 'number' || typeof parsed.config !== 'object' || parsed.config === null) {
      throw new OutpostError('OUTPOST_ERR_CONTROL_PLANE_RESPONSE', 'the config response lacks a numeric "revision" or a "config" object');
    }
    const etag = res.headers.etag;
    return { status: 200, etag: typeof etag === 'string' ? etag : null, revision: parsed.revision, config: parsed.config };
  }

  /** Heartbeats and config status: small JSON posts, 204 expected. */
  async post(path: '/gateway/heartbeat' | '/gateway/config-status', body: object, timeoutMs = 10_000): Promise<void> {
    const headers = { authorization: this.settings.token.header, 'content-type': 'application/json' };
    const res = await this.send('POST', path, headers, JSON.stringify(body), timeoutMs);
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw statusError(res.statusCode, res.headers, text);
  }

  /** A telemetry upload (msgpack, telemetry-uploader.ts): 204 expected. */
  async postTelemetry(body: Uint8Array, timeoutMs = 10_000): Promise<void> {
    const headers = { authorization: this.settings.token.header, 'content-type': 'application/msgpack' };
    const res = await this.send('POST', '/gateway/telemetry', headers, body, timeoutMs);
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw statusError(res.statusCode, res.headers, text);
  }

  async close(): Promise<void> {
    await this.agent?.close().catch(() => undefined);
    this.agent = null;
  }

  private dispatcher(): Agent {
    // One keep-alive agent; rebuilt only when the CA changes (SIGHUP with a new CA file).
    if (this.agent && this.agentCa === this.settings.ca) return this.agent;
    void this.agent?.close().catch(() => undefined);
    this.agentCa = this.settings.ca;
    this.agent = new Agent({ connect: { timeout: 5_000, ...(this.settings.ca ? { ca: this.settings.ca } : {}) }, keepAliveTimeout: 30_000 });
    return this.agent;
  }

  private async send(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body: string | Uint8Array | undefined, timeoutMs: number, signal?: AbortSignal): Promise<Dispatcher.ResponseData> {
    const url = this.settings.endpoint + path;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await request(url, {
        method, headers, body,
        dispatcher: this.dispatcher(),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const cause = networkCause(err) ?? (timeout.aborted ? 'TIMEOUT' : undefined);
      throw new OutpostError('OUTPOST_ERR_CONTROL_PLANE_UNREACHABLE', `${method} ${url}: ${cause ?? (err as Error).message}`, { cause });
    }
  }
}

/** ENOTFOUND, ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT, CERT_HAS_EXPIRED...: the innermost code. */
export function networkCause(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown; name?: unknown } | undefined;
  let found: string | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string') found = e.code;
    else if (e.name === 'TimeoutError') found = found ?? 'TIMEOUT';
    e = e.cause as typeof e;
  }
  return found;
}

function statusError(status: number, headers: Record<string, string | string[] | undefined>, text: string): OutpostError {
  let message = text.slice(0, 300);
  try { message = String((JSON.parse(text) as { message?: unknown }).message ?? message); } catch { /* not JSON */ }
  const reason = headers['x-outpost-error'];
  const details = { status, reason: typeof reason === 'string' ? reason : undefined, message };
  if (status === 401 || status === 403) return new OutpostError('OUTPOST_ERR_GATEWAY_TOKEN_REJECTED', `the control plane refused the token (${status}${details.reason ? ` ${details.reason}` : ''}): ${message}`, details);
  return new OutpostError('OUTPOST_ERR_CONTROL_PLANE_RESPONSE', `the control plane answered ${status}: ${message}`, details);
}
