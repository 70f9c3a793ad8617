/**
 * What the gateway notes about a request for telemetry and request logs (src/gateway/telemetry),
 * as fields of the ClientResponse that extends this: the server only carries them (and fills the
 * byte counts and start time). Plain fields on an object that exists anyway, so noting a request
 * allocates nothing.
 */
import { performance } from 'node:perf_hooks';

export class RequestNotes {
  /** performance.now() when the head was parsed. */
  readonly startedAt = performance.now();
  /** Head bytes + body bytes received for this request (set by the connection; chunk framing included). */
  requestBytes = 0;
  /** Head bytes + body bytes written (chunk framing excluded). */
  responseBytes = 0;
  /** Telemetry series of the matched operation (0: no API matched). */
  series = 0;
  /** OUTPOST_ERR_* code of a gateway-made answer, or null. */
  errorCode: string | null = null;
  /** performance.now() at the first backend dispatch and at the backend's end (0: no backend). */
  backendStartedAt = 0;
  backendEndedAt = 0;
  /** The backend's status (before outbound policies), 0 when none answered. */
  backendStatus = 0;
  /** Correlation id (client's X-Request-Id or generated): written on the response head when set. */
  requestId = '';
  /** Request-log facts: the client's method, the path and the query without the subscription key. */
  method = '';
  path = '';
  query = '';
  subscriptionId = '';
  productId = '';
  /** The policy context of an operation with policies (its cache result is read when the request ends). */
  policyContext: { readonly cacheResult: 'hit' | 'miss' | null } | null = null;
  /** false when the matched API opted out of request logs (or for probe paths). */
  logged = true;

  /** What a cache policy found, or null when none ran. */
  get cacheResult(): 'hit' | 'miss' | null { return this.policyContext === null ? null : this.policyContext.cacheResult; }
}
