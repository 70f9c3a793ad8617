/**
 * The one table of coded errors. Every error the gateway reports to a client, a log or a test
 * is one of these codes. Tests assert codes, never message text.
 *
 * `source` says whose fault it is (client, backend, policy, internal); `retrySafe` says whether a
 * client or a retry policy may repeat the request without side effects.
 */
export type ErrorSource = 'client' | 'backend' | 'policy' | 'internal' | 'config';

export interface ErrorSpec {
  readonly status: number;
  readonly source: ErrorSource;
  readonly retrySafe: boolean;
  /** The message clients see; APIM's wording where APIM has one. */
  readonly message: string;
}

export const ERRORS = {
  OUTPOST_ERR_ROUTE_NOT_FOUND: { status: 404, source: 'client', retrySafe: false, message: 'Resource not found' },
  OUTPOST_ERR_BAD_PATH_ENCODING: { status: 400, source: 'client', retrySafe: false, message: 'Bad request: the request path has invalid percent-encoding' },
  OUTPOST_ERR_BAD_REQUEST_FRAMING: { status: 400, source: 'client', retrySafe: false, message: 'Bad request: conflicting or invalid Content-Length / Transfer-Encoding headers' },
  /** Request line: bad method, target (SP, CTL, non-ASCII, '#', wrong form) or version syntax; bare LF/CR. */
  OUTPOST_ERR_BAD_REQUEST_LINE: { status: 400, source: 'client', retrySafe: false, message: 'Bad request: malformed request line' },
  /** A header field line that breaks RFC 9112: obs-fold, bad name, control bytes, bare LF/CR. */
  OUTPOST_ERR_BAD_HEADER: { status: 400, source: 'client', retrySafe: false, message: 'Bad request: malformed header field' },
  /** Host missing (HTTP/1.1), repeated, empty, or not a host[:port]. */
  OUTPOST_ERR_BAD_HOST: { status: 400, source: 'client', retrySafe: false, message: 'Bad request: missing, duplicate or invalid Host header' },
  /** A path segment that decodes to a traversal (`..%2f`, `..%5c`, `.%2e/`, `..;`). */
  OUTPOST_ERR_PATH_TRAVERSAL: { status: 400, source: 'client', retrySafe: false, message: 'Bad request: encoded path traversal' },
  OUTPOST_ERR_HTTP_VERSION_NOT_SUPPORTED: { status: 505, source: 'client', retrySafe: false, message: 'HTTP version not supported' },
  OUTPOST_ERR_REQUEST_TARGET_TOO_LONG: { status: 414, source: 'client', retrySafe: false, message: 'Request-URI too long' },
  OUTPOST_ERR_UNSUPPORTED_TRANSFER_CODING: { status: 501, source: 'client', retrySafe: false, message: 'Not implemented: unsupported transfer coding' },
  OUTPOST_ERR_EXPECTATION_FAILED: { status: 417, source: 'client', retrySafe: false, message: 'Expectation failed' },
  /** The head did not arrive in time, or the body stalled. */
  OUTPOST_ERR_REQUEST_TIMEOUT: { status: 408, source: 'client', retrySafe: true, message: 'Request timeout' },
  OUTPOST_ERR_HEADERS_TOO_LARGE: { status: 431, source: 'client', retrySafe: false, message: 'Request header fields too large' },
  OUTPOST_ERR_BODY_TOO_LARGE: { status: 413, source: 'client', retrySafe: false, message: 'Request body too large' },
  OUTPOST_ERR_SUBSCRIPTION_KEY_MISSING: { status: 401, source: 'client', retrySafe: false, message: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.' },
  OUTPOST_ERR_SUBSCRIPTION_KEY_INVALID: { status: 401, source: 'client', retrySafe: false, message: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.' },
  /** A real key, but for a product or API that does not include this API. Same words as invalid (as APIM). */
  OUTPOST_ERR_SUBSCRIPTION_KEY_WRONG_SCOPE: { status: 401, source: 'client', retrySafe: false, message: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.' },
  OUTPOST_ERR_SUBSCRIPTION_INACTIVE: { status: 403, source: 'client', retrySafe: false, message: 'Access denied: the subscription is suspended or expired.' },
  /** ip-filter: the client address is not allowed (APIM answers ip-filter denials with 403). */
  OUTPOST_ERR_IP_FORBIDDEN: { status: 403, source: 'client', retrySafe: false, message: 'Forbidden' },
  /** check-header: header missing or no allowed value. Status and message come from the policy (failed-check-*). */
  OUTPOST_ERR_HEADER_CHECK_FAILED: { status: 401, source: 'client', retrySafe: false, message: 'Header check failed' },
  /** validate-jwt: no token where the policy looks (header, scheme or query parameter). Message configurable. */
  OUTPOST_ERR_JWT_MISSING: { status: 401, source: 'client', retrySafe: false, message: 'Unauthorized. Access token is missing or invalid.' },
  /** validate-jwt: bad signature, algorithm, expiry, issuer, audience or required claim. Message configurable. */
  OUTPOST_ERR_JWT_INVALID: { status: 401, source: 'client', retrySafe: false, message: 'Unauthorized. Access token is missing or invalid.' },
  /** validate-content / validate-parameters / validate-odata-request with action prevent, on a request: the client sees APIM's public response for the error. */
  OUTPOST_ERR_REQUEST_VALIDATION_FAILED: { status: 400, source: 'client', retrySafe: false, message: 'Bad request: the request does not conform to the API definition' },
  /** validate-content / validate-headers / validate-status-code with action prevent, on a response (APIM answers 502 and hides the details). */
  OUTPOST_ERR_RESPONSE_VALIDATION_FAILED: { status: 502, source: 'backend', retrySafe: false, message: 'The request could not be processed due to an internal error. Contact the API owner.' },
  /** validate-client-certificate: no client certificate, or one that breaks a rule (trust, dates, revocation, identities). */
  OUTPOST_ERR_CLIENT_CERTIFICATE_INVALID: { status: 401, source: 'client', retrySafe: false, message: 'Invalid client certificate.' },
  OUTPOST_ERR_RATE_LIMITED: { status: 429, source: 'policy', retrySafe: true, message: 'Rate limit is exceeded.' },
  /** quota / quota-by-key: the client sees APIM's words with the time until the window renews. */
  OUTPOST_ERR_QUOTA_EXCEEDED: { status: 403, source: 'policy', retrySafe: true, message: 'Out of call volume quota.' },
  /** llm-token-limit / azure-openai-token-limit: tokens-per-minute used up for this key (429 with Retry-After, as APIM). */
  OUTPOST_ERR_TOKEN_LIMIT_EXCEEDED: { status: 429, source: 'policy', retrySafe: true, message: 'Token limit is exceeded.' },
  /** llm-token-limit / azure-openai-token-limit: token-quota used up for this key until the period renews (403, as APIM). */
  OUTPOST_ERR_TOKEN_QUOTA_EXCEEDED: { status: 403, source: 'policy', retrySafe: true, message: 'Token quota is exceeded.' },
  /** rate-limit-by-key / quota-by-key: `calls` or `increment-count` computed by an expression is not a whole number in range. */
  OUTPOST_ERR_LIMIT_VALUE_INVALID: { status: 500, source: 'policy', retrySafe: false, message: 'Internal server error: a limit computed by a policy expression is not a valid count' },
  /** limit-concurrency: too many requests with this key in flight on this node. */
  OUTPOST_ERR_CONCURRENCY_LIMITED: { status: 429, source: 'policy', retrySafe: true, message: 'Too many concurrent requests.' },
  /** A value known only per request (cors echoing the request's Origin) is not a valid header value: never written. */
  OUTPOST_ERR_HEADER_VALUE_INVALID: { status: 400, source: 'client', retrySafe: false, message: 'Bad request: a header value the gateway would write back is not valid HTTP' },
  /** A policy expression or condition used up its step budget (steps, string size, regex steps): the policy fails rather than run on. */
  OUTPOST_ERR_EXPRESSION_BUDGET: { status: 500, source: 'policy', retrySafe: false, message: 'Internal server error: a policy expression exceeded its evaluation budget' },
  /** A policy expression raised a .NET exception at run time (null reference, bad cast, parse failure): on-error runs with context.LastError. */
  OUTPOST_ERR_EXPRESSION_FAILED: { status: 500, source: 'policy', retrySafe: false, message: 'Internal server error: a policy expression failed' },
  OUTPOST_ERR_POLICY_FAILED: { status: 500, source: 'policy', retrySafe: false, message: 'Internal server error: a policy failed' },
  OUTPOST_ERR_BACKEND_UNREACHABLE: { status: 502, source: 'backend', retrySafe: true, message: 'Bad gateway: the backend could not be reached' },
  OUTPOST_ERR_BACKEND_PROTOCOL: { status: 502, source: 'backend', retrySafe: false, message: 'Bad gateway: the backend sent an invalid response' },
  /** Every connection to the backend origin is busy and its wait queue is full (gateway.upstream.connections / queueLimit). */
  OUTPOST_ERR_UPSTREAM_BUSY: { status: 503, source: 'backend', retrySafe: true, message: 'Service unavailable: too many requests are waiting for the backend' },
  /** The backend's certificate did not verify (unknown CA, wrong name, expired), or it refused our client certificate (mTLS). */
  OUTPOST_ERR_BACKEND_TLS: { status: 502, source: 'backend', retrySafe: false, message: 'Bad gateway: the TLS connection to the backend failed' },
  OUTPOST_ERR_BACKEND_TIMEOUT: { status: 504, source: 'backend', retrySafe: false, message: 'Gateway timeout: the backend did not answer in time' },
  /** send-request could not reach its URL, or the answer was malformed (ignore-error="false"): on-error runs. */
  OUTPOST_ERR_SEND_REQUEST_FAILED: { status: 502, source: 'backend', retrySafe: false, message: 'Bad gateway: a send-request call failed' },
  /** send-request got no complete answer within its timeout attribute (ignore-error="false"). */
  OUTPOST_ERR_SEND_REQUEST_TIMEOUT: { status: 504, source: 'backend', retrySafe: false, message: 'Gateway timeout: a send-request call did not answer in time' },
  /** A body that set-body, find-and-replace or send-request must hold whole is over its bound (1 MiB). */
  OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE: { status: 502, source: 'backend', retrySafe: false, message: 'Bad gateway: a body is too large for the policies that transform it' },
  /** json-to-xml / xml-to-json in inbound: the request body is not the JSON or XML the policy converts (or nests deeper than it allows). */
  OUTPOST_ERR_REQUEST_BODY_NOT_CONVERTIBLE: { status: 400, source: 'client', retrySafe: false, message: 'Bad request: the request body could not be converted (malformed JSON or XML)' },
  /** json-to-xml / xml-to-json in outbound or on-error: the backend's body is not the JSON or XML the policy converts. */
  OUTPOST_ERR_RESPONSE_BODY_NOT_CONVERTIBLE: { status: 502, source: 'backend', retrySafe: false, message: 'Bad gateway: the backend response body could not be converted (malformed JSON or XML)' },
  /** jsonp: the callback query parameter is not a JavaScript name (letters, digits, _ $ and dots, at most 128): never written into a script. */
  OUTPOST_ERR_JSONP_CALLBACK_INVALID: { status: 400, source: 'client', retrySafe: false, message: 'Bad request: the JSONP callback parameter is not a valid JavaScript function name' },
  /** forward-request buffer-request-body="true": the request body is over gateway.maxReplayBodyBytes, the bound for a body kept to send again. */
  OUTPOST_ERR_REPLAY_BODY_TOO_LARGE: { status: 413, source: 'client', retrySafe: false, message: 'Request body too large: it is over the bound for a body the gateway keeps to send again' },
  /** forward-request fail-on-error-status-code="true": the backend answered 400-599, so on-error runs (context.Response is the backend's answer). */
  OUTPOST_ERR_BACKEND_ERROR_STATUS: { status: 502, source: 'backend', retrySafe: false, message: 'Bad gateway: the backend answered with an error status' },
  /** A fleet counter with fail-mode="closed" could not reach Redis within the budget (or the breaker is open). */
  OUTPOST_ERR_REDIS_UNAVAILABLE: { status: 503, source: 'internal', retrySafe: true, message: 'Service unavailable: the fleet-wide counter store cannot be reached' },
  /** set-backend-service backend-id: the backend's circuit breaker is open (or every service of the pool is). */
  OUTPOST_ERR_BACKEND_CIRCUIT_OPEN: { status: 503, source: 'backend', retrySafe: true, message: 'Service unavailable: the backend circuit breaker is open' },
  /** set-backend-service backend-id from an expression named a backend the config does not have. */
  OUTPOST_ERR_BACKEND_NOT_FOUND: { status: 500, source: 'policy', retrySafe: false, message: 'Internal server error: the policy named an unknown backend' },
  /** get-authorization-context named a provider-id / authorization-id pair the config's `authorizations` do not hold (ignore-error="false"). APIM answers 500. */
  OUTPOST_ERR_AUTHORIZATION_NOT_FOUND: { status: 500, source: 'policy', retrySafe: false, message: 'Internal server error: the policy named an unknown authorization' },
  /** get-authorization-context could not get an access token (token endpoint unreachable, slow, refusing, or answering no token; ignore-error="false"). APIM answers 500. */
  OUTPOST_ERR_AUTHORIZATION_FAILED: { status: 500, source: 'internal', retrySafe: true, message: 'Internal server error: an access token could not be obtained' },
  OUTPOST_ERR_SHUTTING_DOWN: { status: 503, source: 'internal', retrySafe: true, message: 'Service unavailable: the gateway is shutting down' },
  OUTPOST_ERR_NOT_READY: { status: 503, source: 'internal', retrySafe: true, message: 'Service unavailable: no configuration is loaded' },
  OUTPOST_ERR_INTERNAL: { status: 500, source: 'internal', retrySafe: false, message: 'Internal server error' },
  OUTPOST_ERR_CONFIG_INVALID: { status: 0, source: 'config', retrySafe: false, message: 'Configuration is invalid' },
  OUTPOST_ERR_POLICY_INVALID: { status: 0, source: 'config', retrySafe: false, message: 'A policy could not be compiled' },
  OUTPOST_ERR_CONFIG_UNREADABLE: { status: 0, source: 'config', retrySafe: false, message: 'Configuration file could not be read or parsed' },
  /** A certificate, key or CA file named by gateway.tls, gateway.upstream.tls or apis[].backendTls is missing, unreadable, not PEM, or a key that does not match its certificate. */
  OUTPOST_ERR_TLS_FILE_INVALID: { status: 0, source: 'config', retrySafe: false, message: 'A TLS certificate, key or CA file is invalid' },
  OUTPOST_ERR_PORT_IN_USE: { status: 0, source: 'internal', retrySafe: false, message: 'The listen port is already in use' },
  /** The port cannot be bound for another reason: below 1024 without the capability (EACCES), or an address this host does not have. */
  OUTPOST_ERR_PORT_UNAVAILABLE: { status: 0, source: 'internal', retrySafe: false, message: 'The listen port cannot be bound' },
  /** The command line or an OUTPOST_* environment variable is wrong: unknown command or flag, bad value. Exit code 2. */
  /** The running Node.js is older than Outpost supports (README, support matrix). Exit code 3. */
  OUTPOST_ERR_NODE_UNSUPPORTED: { status: 0, source: 'internal', retrySafe: false, message: 'This Node.js version is not supported' },
  OUTPOST_ERR_USAGE: { status: 0, source: 'config', retrySafe: false, message: 'Invalid command line; see `outpost help`' },
  /** Managed mode: the env file or environment has a missing or malformed setting (endpoint, token, CA file...). */
  OUTPOST_ERR_SETTINGS_INVALID: { status: 0, source: 'config', retrySafe: false, message: 'A managed-mode setting is missing or invalid' },
  /** The control plane could not be reached (DNS, refused, timeout, TLS); the gateway keeps serving what it has. */
  OUTPOST_ERR_CONTROL_PLANE_UNREACHABLE: { status: 0, source: 'internal', retrySafe: true, message: 'The control plane could not be reached' },
  /** The control plane answered with an unexpected status or a body that is not a config response. */
  OUTPOST_ERR_CONTROL_PLANE_RESPONSE: { status: 0, source: 'internal', retrySafe: true, message: 'The control plane sent an unexpected response' },
  /** The control plane refused the gateway token (401): expired, wrong signature, wrong gateway or rotated key. */
  OUTPOST_ERR_GATEWAY_TOKEN_REJECTED: { status: 0, source: 'config', retrySafe: false, message: 'The control plane refused the gateway token' },
  /** The gateway token expires within 7 days (or has expired): give the gateway a new one (env file + SIGHUP). */
  OUTPOST_ERR_GATEWAY_TOKEN_EXPIRING: { status: 0, source: 'config', retrySafe: false, message: 'The gateway token expires soon' },
  /** The config backup file is truncated, corrupt or not an Outpost backup: it is never served. */
  OUTPOST_ERR_BACKUP_CORRUPT: { status: 0, source: 'internal', retrySafe: false, message: 'The config backup is corrupt and was not used' },
  OUTPOST_ERR_BACKUP_WRITE_FAILED: { status: 0, source: 'internal', retrySafe: true, message: 'The config backup could not be written' },
  OUTPOST_ERR_WORKER_CRASHED: { status: 0, source: 'internal', retrySafe: false, message: 'A worker thread exited unexpectedly' },
  /** The workers cannot stay up (too many restarts in a window, or none up for too long): the process exits with code 3. */
  OUTPOST_ERR_WORKER_CRASH_LOOP: { status: 0, source: 'internal', retrySafe: false, message: 'The worker threads cannot stay up' },
  /** A worker count outside 1..256, from the command line, the config file or the machine's core count. */
  OUTPOST_ERR_WORKER_COUNT_INVALID: { status: 0, source: 'config', retrySafe: false, message: 'The worker count must be a whole number from 1 to 256' },
  /** Control plane: the management API was called without the admin bearer token, or with a wrong one. */
  OUTPOST_ERR_ADMIN_UNAUTHORIZED: { status: 401, source: 'client', retrySafe: false, message: 'Unauthorized: send the admin token as "Authorization: Bearer <token>"' },
  /** Control plane startup: neither OUTPOST_ADMIN_TOKEN nor OUTPOST_ADMIN_TOKEN_FILE gives a usable token. */
  OUTPOST_ERR_ADMIN_TOKEN_MISSING: { status: 0, source: 'config', retrySafe: false, message: 'No admin token: set OUTPOST_ADMIN_TOKEN or OUTPOST_ADMIN_TOKEN_FILE (16+ characters)' },
  /** Management API: the body is not JSON or breaks the schema; `problems` lists field paths. */
  OUTPOST_ERR_RESOURCE_INVALID: { status: 400, source: 'client', retrySafe: false, message: 'The resource is invalid' },
  /** Management API: the change would break another resource (e.g. deleting an API a product names). */
  OUTPOST_ERR_RESOURCE_CONFLICT: { status: 409, source: 'client', retrySafe: false, message: 'The change conflicts with other resources' },
  OUTPOST_ERR_RESOURCE_NOT_FOUND: { status: 404, source: 'client', retrySafe: false, message: 'Resource not found' },
  /** Gateway endpoints of the control plane: why a GatewayKey token was refused (401). */
  OUTPOST_ERR_GATEWAY_TOKEN_MISSING: { status: 401, source: 'client', retrySafe: false, message: 'Missing gateway token' },
  OUTPOST_ERR_GATEWAY_TOKEN_MALFORMED: { status: 401, source: 'client', retrySafe: false, message: 'Malformed gateway token' },
  OUTPOST_ERR_GATEWAY_TOKEN_UNKNOWN_GATEWAY: { status: 401, source: 'client', retrySafe: false, message: 'The gateway token names an unknown gateway' },
  OUTPOST_ERR_GATEWAY_TOKEN_EXPIRED: { status: 401, source: 'client', retrySafe: false, message: 'The gateway token has expired' },
  OUTPOST_ERR_GATEWAY_TOKEN_BAD_SIGNATURE: { status: 401, source: 'client', retrySafe: false, message: 'The gateway token signature is invalid (wrong or regenerated key)' },
  /** A new node id for a gateway that already tracks its maximum of connected nodes. */
  OUTPOST_ERR_GATEWAY_NODE_LIMIT: { status: 429, source: 'client', retrySafe: true, message: 'Too many nodes for this gateway: a new node id is accepted once a silent node is pruned' },
  /** Too many failed admin-token, dashboard-login or gateway-token attempts from one client address. */
  OUTPOST_ERR_AUTH_THROTTLED: { status: 429, source: 'client', retrySafe: true, message: 'Too many failed attempts from this address; retry after the time in Retry-After' },
  /** A state-changing dashboard request from another site (Origin or Referer not this control plane). */
  OUTPOST_ERR_CROSS_SITE_REQUEST: { status: 403, source: 'client', retrySafe: false, message: 'Forbidden: cross-site request' },
  /** Control plane telemetry intake: the upload is not msgpack, or a row breaks its bounds; nothing of it is stored. */
  OUTPOST_ERR_TELEMETRY_INVALID: { status: 400, source: 'client', retrySafe: false, message: 'The telemetry upload is invalid' },
  /** GET /analytics: a query parameter out of its range. */
  OUTPOST_ERR_ANALYTICS_QUERY_INVALID: { status: 400, source: 'client', retrySafe: false, message: 'The analytics query is invalid' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error that carries its code; anything thrown inside Outpost that a user may see is one. */
export class OutpostError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.details = details;
  }
}

/** Pre-rendered JSON bodies: error responses on the hot path cost one lookup, not a stringify. */
const errorBodies = new Map<ErrorCode, string>();
export function errorBody(code: ErrorCode): string {
  let body = errorBodies.get(code);
  if (body === undefined) {
    const spec = ERRORS[code];
    body = JSON.stringify({ statusCode: spec.status, message: spec.message });
    errorBodies.set(code, body);
  }
  return body;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 408: 'Request Timeout', 414: 'URI Too Long', 417: 'Expectation Failed', 501: 'Not Implemented', 505: 'HTTP Version Not Supported', 429: 'Too Many Requests', 404: 'Not Found', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};
/** "404 Not Found": a status line without its "HTTP/1.1 ". */
export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ''}`.trimEnd();
}
